// `npm run migrate`: applies the pending migrations to DATABASE_URL and exits — 0 when the
// schema is up to date, 2 when the configuration is wrong, 1 when the migration failed.
// The app also migrates at start-up; this is for a release step that runs before it.
import { ConfigError, describeDatabaseUrl, loadMigrateConfig, readEnv } from '../config.ts'
import { createLogger } from '../log.ts'
import { runMigrations } from './migrate.ts'

async function main() {
  let config: ReturnType<typeof loadMigrateConfig>
  try {
    config = loadMigrateConfig(readEnv())
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(2)
    }
    throw err
  }
  const log = createLogger({ level: config.logLevel, name: 'migrate' })
  try {
    await runMigrations({ databaseUrl: config.databaseUrl, log })
  } catch (err) {
    console.error(
      `Migrating ${describeDatabaseUrl(config.databaseUrl)} failed: ${(err as Error).message}`,
    )
    process.exit(1)
  }
}

if (import.meta.main) await main()
