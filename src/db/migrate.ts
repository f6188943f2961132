// Schema migrations: plain SQL files in src/db/migrations (`NNNN_name.sql`, an
// `-- Up Migration` and a `-- Down Migration` section), applied in file-name order by
// node-pg-migrate's runner. The app runs them at start-up (main.ts) and `npm run migrate`
// runs them on their own (migrate-cli.ts).
//
// Several instances may start at once. node-pg-migrate 9 serialises them with a session
// advisory lock (pg_advisory_lock on its fixed PG_MIGRATE_LOCK_ID, scoped to this
// database) taken before it even creates its table, and released when it is done or its
// connection ends. Its default advisoryLockMode is 'fail': the second instance would
// throw "Another migration is already running". We use 'wait': it blocks until the first
// has finished, then finds nothing left to apply, and starts normally.
import { join } from 'node:path'
import { runner } from 'node-pg-migrate'
import pg from 'pg'
import type { Logger } from '../log.ts'

export const MIGRATIONS_DIR = join(import.meta.dirname, 'migrations')
/** node-pg-migrate's record of what has been applied (one row per migration file). */
export const MIGRATIONS_TABLE = 'schema_migrations'

/** Applies every pending migration; returns their names (empty when none was pending). */
export async function runMigrations(options: {
  databaseUrl: string
  log: Logger
}): Promise<string[]> {
  const { databaseUrl, log } = options
  // Our own client rather than node-pg-migrate's: it gets an error listener (a connection
  // that breaks mid-run fails the run instead of crashing the process), a bounded connect
  // and no statement_timeout, since a migration may legitimately run long.
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: 5000,
    application_name: 'contacts-importer migrations',
  })
  client.on('error', (err) =>
    log.warn({ err: { message: err.message } }, 'migration connection problem'),
  )
  await client.connect()
  try {
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'up',
      // All pending migrations commit together or not at all.
      singleTransaction: true,
      checkOrder: true,
      advisoryLockMode: 'wait',
      logger: {
        debug: (msg: string) => log.debug({ component: 'migrations' }, msg),
        info: (msg: string) => log.debug({ component: 'migrations' }, msg),
        warn: (msg: string) => log.warn({ component: 'migrations' }, msg),
        error: (msg: string) => log.error({ component: 'migrations' }, msg),
      },
    })
    const names = applied.map((migration) => migration.name)
    if (names.length > 0) log.info({ migrations: names }, 'database migrations applied')
    else log.info('database schema is up to date')
    return names
  } finally {
    await client.end()
  }
}
