import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Real servers on loopback: give slow CI machines room, but keep runs bounded.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // Every ContactSource adapter against its own local fake; no Redis needed.
      { test: { name: 'contract', include: ['test/contract/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
})
