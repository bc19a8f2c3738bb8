import { defineConfig } from 'vitest/config';

/**
 * Two tiers. `unit`: the pure transform and the runners over embedded adapters, no services.
 * `integration`: adapters and end-to-end runs against real Kafka, PostgreSQL and S3, which
 * test/support/global-setup.ts finds or starts (env vars, else testcontainers, else local processes).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // Tests share the started services; files run one at a time on this 2-core target.
          fileParallelism: false,
        },
      },
    ],
  },
});
