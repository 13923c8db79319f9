export { CATALOG, catalogEntry, type CatalogEntry, type ErrorCode } from './catalog.ts';
export { AppError, errors, isAppError, type AppErrorInit } from './app-error.ts';
export { fromPgError, isPgError, type PgErrorLike } from './pg.ts';
export { toAppError, renderError, mountOf, type Mount } from './render.ts';
