// What every entry point (`npm start`, `npm run worker`) does around its own start: read and
// check the configuration (exit 2 with every problem listed), refuse to run without a
// database, start, then stop cleanly on SIGTERM/SIGINT (exit-on-signals.ts). A failure to
// start is one line on stderr and exit 1: no stack trace for an operator to decode.
import { type Config, ConfigError, loadConfig, readEnv } from './config.ts'
import { exitOnSignals } from './exit-on-signals.ts'
import { createLogger, type Logger } from './log.ts'

/** `npm start` says this when DATABASE_URL is missing; the demo and the tests set their own. */
export const DATABASE_URL_REQUIRED =
  'DATABASE_URL is required: production names its database (postgres://user:password@host:5432/contacts, or DATABASE_URL_FILE). `npm run demo` starts a local one.'

export async function runFromEnv(
  start: (config: Config, log: Logger) => Promise<{ close(): Promise<void> }>,
): Promise<void> {
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
  // production has no such fallback, so the entry points refuse here, before any connection.
  if (!config.database.url) {
    console.error(DATABASE_URL_REQUIRED)
    process.exit(2)
  }
  const log = createLogger({ level: config.logLevel })
  // The handlers go in before the start: /readyz answers from the moment the server listens,
  // while the worker is still starting, and a supervisor's SIGTERM in that window must still
  // close what is open (after the start has finished) rather than kill the process mid-way.
  const started = start(config, log)
  exitOnSignals(async () => (await started).close(), log)
  try {
    await started
  } catch (err) {
    console.error((err as Error).message)
    process.exit(1)
  }
}
