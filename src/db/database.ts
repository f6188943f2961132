// The one place that builds the PostgreSQL pool. Everything that talks to the database gets
// the Database made here, so the limits are the same everywhere: a bounded pool, a
// server-side statement timeout, a bounded wait for a connection, and a broken connection
// that is logged and replaced instead of crashing the process.
import pg from 'pg'
import { type Config, describeDatabaseUrl } from '../config.ts'
import type { Logger } from '../log.ts'

export interface Database {
  /**
   * The pool, for work that needs one connection throughout (a transaction):
   * `const client = await db.pool.connect()`, then `client.release()` in a `finally`.
   */
  readonly pool: pg.Pool
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>
  /** Resolves when PostgreSQL answers a query within `timeoutMs`; rejects with why not. */
  ping(timeoutMs?: number): Promise<void>
  /** Waits for checked-out connections to come back, then closes them all. Idempotent. */
  close(): Promise<void>
}

/** Waiting longer than this for a connection (pool full, server gone) fails the request. */
const CONNECT_TIMEOUT_MS = 5000
/** A readiness probe must answer quickly (Redis' command timeout is the same). */
const PING_TIMEOUT_MS = 2000

export function createDatabase(settings: Config['database'], log: Logger): Database {
  const { url } = settings
  if (!url) {
    throw new Error(
      'createDatabase: settings.url is empty; set DATABASE_URL (postgres://user:password@host:5432/db)',
    )
  }
  const pool = new pg.Pool({
    // No `ssl` option here on purpose: pg merges the URL over these options, so sslmode in
    // DATABASE_URL decides TLS (and certificate checks), and nothing of ours overrides it.
    connectionString: url,
    max: settings.poolSize,
    // Sent at connection start-up, so the server enforces it on every statement.
    statement_timeout: settings.statementTimeoutMs,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // Names our sessions in pg_stat_activity.
    application_name: 'contacts-importer',
  })
  // An idle connection that breaks (server restart, network, an admin's
  // pg_terminate_backend) is emitted here; pg-pool has already dropped it and opens a new
  // one on demand. Without a listener the 'error' event would crash the process.
  pool.on('error', (err: Error & { code?: string }) => {
    log.warn(
      { err: { message: err.message, code: err.code }, database: describeDatabaseUrl(url) },
      'database connection problem',
    )
  })

  let closing: Promise<void> | undefined
  return {
    pool,
    query: (text, values) => pool.query(text, values),
    async ping(timeoutMs = PING_TIMEOUT_MS) {
      let timer: NodeJS.Timeout | undefined
      try {
        await Promise.race([
          pool.query('SELECT 1'),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${timeoutMs} ms`)),
              timeoutMs,
            )
          }),
        ])
      } finally {
        clearTimeout(timer)
      }
    },
    close() {
      closing ??= pool.end()
      return closing
    },
  }
}

/**
 * True when PostgreSQL itself answered with an error (a wrong password, no such database:
 * a SQLSTATE), as opposed to nothing usable answering at all (refused, timed out, TLS).
 */
export function isServerRefusal(err: unknown): err is pg.DatabaseError {
  return err instanceof pg.DatabaseError
}

/** SQLSTATE classes that mean "the server cannot serve now", not "the query is wrong". */
const UNAVAILABLE_STATES = [
  '08', // connection exception
  '53', // insufficient resources (too many connections, disk full)
  '57P', // operator intervention: admin or crash shutdown, cannot connect now
  '55000', // "database is not currently accepting connections" (ALLOW_CONNECTIONS false)
]

/**
 * PostgreSQL is not there or cannot serve: a 503 the person can retry, like Redis being
 * down, rather than a 500 (which would also be logged as a fault of ours).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (err instanceof pg.DatabaseError) {
    return UNAVAILABLE_STATES.some((state) => err.code?.startsWith(state))
  }
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT') return true
  // pg-pool's own words for a pool that could not get, or lost, a connection.
  return /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error/.test(
    err.message,
  )
}
