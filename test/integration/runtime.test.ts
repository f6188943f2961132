// createRuntime: what every entry point (web now, the worker next) starts from — Redis and
// PostgreSQL connected, the schema migrated, the providers discovered, the services built —
// and one close() that releases all of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { createRuntime } from '../../src/runtime.ts'
import { memoryLogger, startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack?.close())

describe('createRuntime', () => {
  it('when started from a configuration, then its services reach Redis, PostgreSQL and the provider without any web app', async () => {
    const lines: string[] = []
    const runtime = await createRuntime(loadConfig(stack.env), memoryLogger(lines))
    try {
      expect(await runtime.redis.ping()).toBe('PONG')
      expect(
        await runtime.services.people.connections('00000000-0000-4000-8000-000000000000'),
      ).toEqual([])
      expect(await runtime.providers.get('demo')?.supportsRevocation()).toBe(true)
      expect(lines.some((line) => line.includes('provider discovered'))).toBe(true)
    } finally {
      await runtime.close()
    }
    await expect(runtime.redis.ping()).rejects.toThrow()
    await expect(runtime.db.query('SELECT 1')).rejects.toThrow()
  })

  it('when PostgreSQL does not answer, then it fails with one line that names it', async () => {
    const config = loadConfig({ ...stack.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' })
    await expect(createRuntime(config, memoryLogger([]))).rejects.toThrow(
      /^PostgreSQL does not answer at \S*127\.0\.0\.1:1\S* \(/,
    )
  })
})
