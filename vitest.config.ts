import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // dist/ is rebuilt first when src/ is newer: a single e2e file never runs a stale bundle.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The end-to-end files mostly wait on the emulator's timelines, not the CPU: four at once
    // on a 2-core machine roughly halves the run without crowding the processes they spawn.
    maxWorkers: 4,
  },
});
