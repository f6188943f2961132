// The web entry point: configuration → Redis → PostgreSQL (and its migrations) → providers →
// services → app → listen.
// `npm start` runs this from the environment alone; `npm run demo` wraps it with the local
// provider and contacts server (demo/main.ts).
import type { Server } from 'node:http'
import { createApp } from './app.ts'
import { type Config, ConfigError, describeDatabaseUrl, loadConfig, readEnv } from './config.ts'
import { createDatabase, type Database, isServerRefusal } from './db/database.ts'
import { runMigrations } from './db/migrate.ts'
import { AppError } from './errors.ts'
import { createLogger, type Logger, withoutCredentials } from './log.ts'
import { createProviders } from './oidc/providers.ts'
import { createRedis, type Redis } from './redis.ts'
import { createServices } from './services.ts'
import { createHttpServer } from './web/http-server.ts'

export interface RunningApp {
  server: Server
  url: string
  log: Logger
  redis: Redis
  db: Database
  close(): Promise<void>
}

/** `npm start` says this when DATABASE_URL is missing; the demo and the tests set their own. */
export const DATABASE_URL_REQUIRED =
  'DATABASE_URL is required: production names its database (postgres://user:password@host:5432/contacts, or DATABASE_URL_FILE). `npm run demo` starts a local one.'

/**
 * A pool on `config.database.url` that has answered, with the schema migrated; otherwise
 * one line saying what is wrong and where (never the password).
 */
async function connectDatabase(config: Config, log: Logger): Promise<Database> {
  const db = createDatabase(config.database, log)
  const url = config.database.url ?? ''
  const shown = describeDatabaseUrl(url)
  try {
    // Longer than a readiness probe: a first connection may include a TLS handshake.
    await db.ping(5000)
  } catch (err) {
    await db.close()
    throw new Error(
      isServerRefusal(err)
        ? `PostgreSQL at ${shown} refused the connection: ${err.message}. Check DATABASE_URL.`
        : `PostgreSQL does not answer at ${shown} (${(err as Error).message}). Start it, or set DATABASE_URL.`,
    )
  }
  try {
    await runMigrations({ databaseUrl: url, log })
  } catch (err) {
    await db.close()
    throw new Error(`Migrating the database at ${shown} failed: ${(err as Error).message}`)
  }
  return db
}

function causeOf(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err
  return cause instanceof Error ? cause.message : String(cause)
}

export async function startApp(config: Config, log: Logger): Promise<RunningApp> {
  const redis = createRedis(config.redis.url)
  redis.on('error', (err) =>
    log.warn({ err: { message: err.message } }, 'redis connection problem'),
  )
  try {
    await redis.connect()
  } catch (err) {
    redis.disconnect()
    throw new Error(
      `Redis does not answer at ${withoutCredentials(config.redis.url)} (${(err as Error).message}). Start it, or set REDIS_URL.`,
    )
  }
  let db: Database
  try {
    db = await connectDatabase(config, log)
  } catch (err) {
    redis.disconnect()
    throw err
  }

  const providers = createProviders(config, log)
  // Discover every provider now, so a wrong issuer, or a provider without PKCE or
  // client_secret_basic, stops the app before it listens. A provider that is merely down
  // does not: discovery is retried on the next sign-in.
  for (const provider of providers.values()) {
    try {
      await provider.discover()
      log.info({ provider: provider.settings.id }, 'provider discovered')
    } catch (err) {
      if (!(err instanceof AppError && err.retryable)) {
        redis.disconnect()
        await db.close()
        throw new Error(
          `Provider "${provider.settings.id}" (${provider.settings.issuer.href}) cannot be used: ${causeOf(err)}`,
        )
      }
      log.warn(
        { provider: provider.settings.id },
        'provider not reachable yet; will retry on sign-in',
      )
    }
  }

  const services = createServices({ config, log, redis, db, providers })
  const app = createApp({ config, log, redis, db, providers, services })
  const server = createHttpServer(app, config.server, log)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
      // Loopback unless HOST asks for more (config.ts).
      server.listen(config.port, config.host)
    })
  } catch (err) {
    redis.disconnect()
    await db.close()
    throw new Error(`Cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`)
  }
  log.info(
    { url: config.appUrl.origin, host: config.host, port: config.port },
    'contacts importer listening',
  )

  return {
    server,
    url: config.appUrl.origin,
    log,
    redis,
    db,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await db.close()
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}

export function exitOnSignals(close: () => Promise<void>, log: Logger) {
  let closing = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (closing) return
      closing = true
      log.info({ signal }, 'shutting down')
      const force = setTimeout(() => process.exit(1), 10_000)
      force.unref()
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      )
    })
  }
  // An unexpected exception leaves the process in an unknown state: log it and let the
  // supervisor start a fresh one.
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception')
    process.exit(1)
  })
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection')
    process.exit(1)
  })
}

async function main() {
  let config: Config
  try {
    config = loadConfig(readEnv())
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(2)
    }
    throw err
  }
  // loadConfig leaves DATABASE_URL optional because the demo and the tests fill it in;
  // production has no such fallback, so `npm start` refuses here, before any connection.
  if (!config.database.url) {
    console.error(DATABASE_URL_REQUIRED)
    process.exit(2)
  }
  const log = createLogger({ level: config.logLevel })
  try {
    const running = await startApp(config, log)
    exitOnSignals(running.close, log)
  } catch (err) {
    console.error((err as Error).message)
    process.exit(1)
  }
}

if (import.meta.main) await main()
