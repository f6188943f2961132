// createRuntime(config, log): everything an entry point needs, connected and checked —
// Redis, PostgreSQL (migrated), the providers (discovered), the domain services, the import
// engine (its queue and events; imports/import-engine.ts) — and one close() that releases
// it all. The web app (main.ts) and the worker (worker-main.ts) build on it, so both run
// the same services against the same stores.
import { type Config, describeDatabaseUrl } from './config.ts'
import { createDatabase, type Database, isServerRefusal } from './db/database.ts'
import { runMigrations } from './db/migrate.ts'
import { AppError } from './errors.ts'
import type { BackoffSettings } from './imports/backoff.ts'
import { createImportEngine, type ImportEngine } from './imports/import-engine.ts'
import { type Logger, withoutCredentials } from './log.ts'
import type { ProviderClient } from './oidc/provider-client.ts'
import { createProviders } from './oidc/providers.ts'
import { createRedis, type Redis } from './redis.ts'
import { createServices, type Services } from './services.ts'

export interface Runtime {
  config: Config
  log: Logger
  redis: Redis
  db: Database
  providers: ReadonlyMap<string, ProviderClient>
  services: Services
  /** Starts imports and reports their progress; runs them once a worker is started. */
  imports: ImportEngine
  /**
   * Stops the import workers (their imports handed back), then closes PostgreSQL and
   * Redis; call it after the entry point stopped taking work.
   */
  close(): Promise<void>
}

export interface RuntimeOptions {
  /** Retry delays of provider calls during imports (tests shorten them). */
  backoff?: Partial<BackoffSettings>
}

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

async function connectRedis(config: Config, log: Logger): Promise<Redis> {
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
  return redis
}

/**
 * Discovers every provider now, so a wrong issuer, or a provider without PKCE or
 * client_secret_basic, stops the process before it takes work. A provider that is merely
 * down does not: discovery is retried on the next sign-in.
 */
async function discoverProviders(providers: ReadonlyMap<string, ProviderClient>, log: Logger) {
  for (const provider of providers.values()) {
    try {
      await provider.discover()
      log.info({ provider: provider.settings.id }, 'provider discovered')
    } catch (err) {
      if (!(err instanceof AppError && err.retryable)) {
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
}

export async function createRuntime(
  config: Config,
  log: Logger,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const redis = await connectRedis(config, log)
  let db: Database | undefined
  try {
    db = await connectDatabase(config, log)
    const providers = createProviders(config, log)
    await discoverProviders(providers, log)
    const services = createServices({ config, log, redis, db, providers })
    const opened = db
    const imports = createImportEngine({
      config,
      log,
      redis,
      db,
      services,
      providers,
      backoff: options.backoff,
    })
    return {
      config,
      log,
      redis,
      db: opened,
      providers,
      services,
      imports,
      async close() {
        await imports.close()
        await opened.close()
        await redis.quit().catch(() => redis.disconnect())
      },
    }
  } catch (err) {
    await db?.close()
    redis.disconnect()
    throw err
  }
}
