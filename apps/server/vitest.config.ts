import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // HTTP tests start real servers and child processes; a busy 2-core CI machine needs headroom
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
