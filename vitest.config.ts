import { defineConfig } from 'vitest/config';

// Unit tests run against TypeScript sources through the "source" export condition;
// integration tests spawn built processes and run inside a loopback-only namespace.
const sourceConditions = ['source', 'module', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ['source'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'shared/src/**/*.test.ts',
            'signaling/src/**/*.test.ts',
            'edge/src/**/*.test.ts',
            'pwa/src/**/*.test.ts',
          ],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
