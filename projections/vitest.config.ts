import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { include: ['src/**/*.test.ts', 'test/**/*.test.ts'], globalSetup: ['../infra/src/testing/postgres.global-setup.ts'], testTimeout: 60_000, hookTimeout: 120_000 },
});
