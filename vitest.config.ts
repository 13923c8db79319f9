import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // In CI also write a JSON report, from which .ci/run prints the plain summary line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'node_modules/.vitest/results.json' }]] : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/server/test/**/*.test.ts', 'packages/sdk/test/**/*.test.ts'],
          globalSetup: ['packages/server/test/harness/global-setup.ts'],
          pool: 'forks',
          testTimeout: 30_000,
          hookTimeout: 120_000,
          // graphql-ws runs inside the server (graphql/subscriptions.ts): bundled with the tests so
          // it shares their one copy of graphql (Node would give it graphql's CommonJS build, vite
          // the ES module build, and graphql refuses objects of the other copy).
          server: { deps: { inline: ['graphql-ws'] } },
        },
      },
    ],
  },
});
