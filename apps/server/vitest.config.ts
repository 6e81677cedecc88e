import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        // Modules beside their code: turbo caches this task (turbo.json, test:unit).
        extends: true,
        // a walk over the whole corpus takes 20 s alone on a 2-core machine; with every package's tests beside it, more
        test: { name: 'unit', include: ['src/**/*.test.ts'], testTimeout: 60_000 },
      },
      {
        // Real servers on loopback, child processes, crash rounds: run every time (test:http).
        extends: true,
        test: { name: 'http', include: ['test/**/*.test.ts'] },
      },
    ],
    // HTTP tests start real servers and child processes; a busy 2-core CI machine needs headroom
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
