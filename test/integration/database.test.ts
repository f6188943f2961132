// createDatabase() on a real PostgreSQL: the limits it promises (statement timeout, a
// bounded ping), TLS decided by sslmode in the URL, and a broken connection that is logged
// instead of crashing the process.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../demo/redis-server.ts'
import { createDatabase, type Database } from '../../src/db/database.ts'
import { createTestDatabase, type TestDatabase } from './support/database.ts'
import { memoryLogger } from './support/stack.ts'

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(() => database?.drop())

const opened: Database[] = []
afterAll(() => Promise.all(opened.map((db) => db.close())))
function open(url: string, logs: string[] = [], statementTimeoutMs = 15_000): Database {
  const db = createDatabase({ url, poolSize: 2, statementTimeoutMs }, memoryLogger(logs))
  opened.push(db)
  return db
}

function withSslMode(url: string, sslmode: string): string {
  const withMode = new URL(url)
  withMode.searchParams.set('sslmode', sslmode)
  return withMode.href
}

describe('createDatabase', () => {
  it('when a statement runs longer than DATABASE_STATEMENT_TIMEOUT_MS, then PostgreSQL cancels it', async () => {
    const db = open(database.url, [], 200)
    const { rows } = await db.query<{ timeout: string }>(
      "SELECT current_setting('statement_timeout') AS timeout",
    )
    expect(rows[0]?.timeout).toBe('200ms')
    await expect(db.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' })
  })

  it('when nothing listens at the URL, then ping() rejects quickly with the reason', async () => {
    const db = open(`postgres://importer:pw@127.0.0.1:${await freePort()}/contacts`)
    const started = Date.now()
    await expect(db.ping()).rejects.toThrow(/ECONNREFUSED/)
    expect(Date.now() - started).toBeLessThan(2500)
  })

  it('when sslmode=require or verify-full is in the URL, then the connection is TLS or refused, never plain', async () => {
    const plain = open(withSslMode(database.url, 'disable'))
    const ssl = await plain.query<{ ssl: boolean }>(
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    )
    expect(ssl.rows[0]?.ssl).toBe(false)

    for (const mode of ['require', 'verify-full']) {
      const db = open(withSslMode(database.url, mode))
      const result = await db
        .query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
        .then(
          (r) => r.rows[0]?.ssl,
          (err: Error) => err.message,
        )
      // A server without TLS (the embedded one) refuses; one with a certificate pg cannot
      // verify (the machine's self-signed one) fails the check; one it can verify is TLS.
      if (typeof result === 'string') {
        expect(result).toMatch(/does not support SSL|certificate|self[- ]signed/i)
      } else {
        expect(result).toBe(true)
      }
    }
  })

  it('when an idle connection is terminated by the server, then the pool logs it, the process lives on and the next query works', async () => {
    const logs: string[] = []
    const db = open(database.url, logs)
    const {
      rows: [backend],
    } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')

    await database.db.query('SELECT pg_terminate_backend($1)', [backend?.pid])
    for (let i = 0; i < 50 && !logs.some((l) => l.includes('database connection problem')); i++) {
      await sleep(20)
    }

    expect(logs.some((l) => l.includes('database connection problem'))).toBe(true)
    await expect(db.ping()).resolves.toBeUndefined()
  })

  it('when close() is called twice, then both calls resolve', async () => {
    const db = createDatabase(
      { url: database.url, poolSize: 1, statementTimeoutMs: 1000 },
      memoryLogger([]),
    )
    await db.ping()
    await expect(Promise.all([db.close(), db.close()])).resolves.toEqual([undefined, undefined])
  })

  it('when the URL is missing, then createDatabase says which variable to set', () => {
    expect(() =>
      createDatabase({ url: undefined, poolSize: 1, statementTimeoutMs: 1000 }, memoryLogger([])),
    ).toThrow(/DATABASE_URL/)
  })
})
