// Makes sure the integration tests have a real Redis: the one named by REDIS_URL,
// or a private redis-server on a free port that is stopped after the run.
import type { TestProject } from 'vitest/node'
import { redisAnswers, startRedisServer } from '../../demo/redis-server.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string
  }
}

export default async function setup(project: TestProject) {
  const configured = process.env.REDIS_URL
  if (configured) {
    if (!(await redisAnswers(configured, 2000))) {
      throw new Error(`REDIS_URL is set to ${configured}, but nothing answers PING there`)
    }
    project.provide('redisUrl', configured)
    return
  }
  const server = await startRedisServer().catch((err: Error) => {
    throw new Error(
      `The tests need a real Redis. Set REDIS_URL, or install redis-server so a private one can be started (${err.message})`,
    )
  })
  project.provide('redisUrl', server.url)
  return () => server.stop()
}
