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
        },
      },
    ],
  },
});
