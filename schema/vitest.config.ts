import { defineConfig } from 'vitest/config';

// graphql 16 ships CJS (`main`) and ESM (`module`) builds. Node, and so the externalised Pothos,
// loads the CJS one; Vite would give our files the ESM one, and graphql refuses a schema built
// by "another module or realm". Pin Vite to the build Node uses, as in production.
const graphqlAsNodeLoadsIt = { find: /^graphql$/, replacement: 'graphql/index.js' };

export default defineConfig({
  resolve: { conditions: ['source'], alias: [graphqlAsNodeLoadsIt] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { include: ['src/**/*.test.ts'] },
});
