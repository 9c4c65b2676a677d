import { defineConfig } from 'vitest/config';

// One graphql build for Pothos, graphql-yoga and our files (see schema/vitest.config.ts).
const graphqlAsNodeLoadsIt = { find: /^graphql$/, replacement: 'graphql/index.js' };

export default defineConfig({
  resolve: { conditions: ['source'], alias: [graphqlAsNodeLoadsIt] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['../../infra/src/testing/postgres.global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
