// Public API of the `fluxbase` package for programmatic use and tests.
export { startServer, resolveConfig, type StartOptions, type RunningServer } from './main.ts';
export { buildApp, type AppDeps } from './app.ts';
export { loadConfig, resolveSecrets, type Config } from './config/index.ts';
export { mintApiKeys, type ApiKeys } from './auth/index.ts';
export { createLogger, type Logger } from './observability/index.ts';
