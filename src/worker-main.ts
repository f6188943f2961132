// The worker entry point (`npm run worker`): configuration → the runtime (Redis,
// PostgreSQL and its migrations, providers, services, the import engine) → a worker that
// runs imports until SIGTERM. Any number of these, and of web processes, share one Redis and
// one PostgreSQL. SIGTERM stops taking jobs, lets each running import commit its current
// page and hand its job back (imports/import-worker.ts), then closes the runtime.
import { type Config, ConfigError, DATABASE_URL_REQUIRED, loadConfig, readEnv } from './config.ts'
import { exitOnSignals } from './exit-on-signals.ts'
import type { BackoffSettings } from './imports/backoff.ts'
import type { WorkerTiming } from './imports/import-worker.ts'
import { createLogger, type Logger } from './log.ts'
import { createRuntime } from './runtime.ts'

export interface RunningWorker {
  close(): Promise<void>
}

export interface WorkerOptions {
  /** BullMQ's stall detection and lock timings (tests shorten them). */
  timing?: WorkerTiming
  /** Retry delays of provider calls (tests shorten them). */
  backoff?: Partial<BackoffSettings>
}

export async function startWorker(
  config: Config,
  log: Logger,
  options: WorkerOptions = {},
): Promise<RunningWorker> {
  const runtime = await createRuntime(config, log, { backoff: options.backoff })
  try {
    await runtime.imports.startWorker({ timing: options.timing })
  } catch (err) {
    await runtime.close()
    throw err
  }
  return { close: () => runtime.close() }
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
  if (!config.database.url) {
    console.error(DATABASE_URL_REQUIRED)
    process.exit(2)
  }
  const log = createLogger({ level: config.logLevel })
  try {
    const running = await startWorker(config, log)
    exitOnSignals(running.close, log)
  } catch (err) {
    console.error((err as Error).message)
    process.exit(1)
  }
}

if (import.meta.main) await main()
