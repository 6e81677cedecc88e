import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // one release, built before any test file runs, shared by all of them
    globalSetup: ['test/support/build-release.ts'],
    // the walks start real servers, nginx and CLI processes on a busy 2-core machine
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
