import { defineConfig } from 'vitest/config';

// Three projects: unit (pure/core, fast), integration (real sshd/nginx/PostgreSQL/SMTP hosts),
// e2e (the built UI in Debian's Chromium through playwright-core). Real parts, never mocks.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // What the UI shows after an action arrives through the API and a re-render: poll for it with
          // room for a loaded machine. A test states a timeout only when it waits for something slower.
          expect: { poll: { timeout: 15_000, interval: 100 } },
        },
      },
    ],
  },
});
