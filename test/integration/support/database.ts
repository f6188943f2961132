// A database of its own for each test file (or each stack), on the server the global setup
// provides: a random name, migrated unless asked not to, dropped afterwards. Files run in
// parallel without seeing each other's rows, and nothing is left behind.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'
import { createDatabase, type Database } from '../../../src/db/database.ts'
import { runMigrations } from '../../../src/db/migrate.ts'
import { createLogger, type Logger } from '../../../src/log.ts'

export interface TestDatabase {
  /** The new database's URL (the server's credentials, the new database's name). */
  url: string
  name: string
  /** A pool on it (createDatabase), for the test's own queries. */
  db: Database
  /** Closes `db`, then drops the database, disconnecting whoever is still connected. */
  drop(): Promise<void>
}

export interface TestDatabaseOptions {
  /** false: leave the database empty (the migration tests run the migrations themselves). */
  migrate?: boolean
  log?: Logger
}

/**
 * Runs `sql` on the server's own database, for what cannot run inside the database it is
 * about (CREATE/DROP DATABASE, ALTER DATABASE … ALLOW_CONNECTIONS).
 */
export async function onServer(sql: string, values: unknown[] = []): Promise<void> {
  const client = new pg.Client({
    connectionString: inject('databaseUrl'),
    connectionTimeoutMillis: 5000,
  })
  client.on('error', () => {})
  await client.connect()
  try {
    await client.query(sql, values)
  } finally {
    await client.end()
  }
}

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const log = options.log ?? createLogger({ level: 'silent' })
  // A prefix that says where a leftover came from (a run that was killed before drop()).
  const name = `ci_test_${randomBytes(6).toString('hex')}`
  await onServer(`CREATE DATABASE ${pg.escapeIdentifier(name)}`)
  const url = new URL(inject('databaseUrl'))
  url.pathname = `/${name}`
  if (options.migrate !== false) {
    await runMigrations({ databaseUrl: url.href, log }).catch(async (err: unknown) => {
      await onServer(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`)
      throw err
    })
  }
  const db = createDatabase({ url: url.href, poolSize: 5, statementTimeoutMs: 15_000 }, log)
  let dropping: Promise<void> | undefined
  return {
    url: url.href,
    name,
    db,
    drop() {
      dropping ??= (async () => {
        await db.close()
        // FORCE (PostgreSQL 13+) ends the sessions still connected: an app pool a test did
        // not close, a child process that was killed.
        await onServer(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`)
      })()
      return dropping
    },
  }
}
