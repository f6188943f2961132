// The web entry point: configuration → Redis → PostgreSQL (and its migrations) → providers →
// services → app → listen.
// `npm start` runs this from the environment alone; `npm run demo` wraps it with the local
// provider and contacts server (demo/main.ts).
import type { Server } from 'node:http'
import { createApp } from './app.ts'
import { type Config, ConfigError, DATABASE_URL_REQUIRED, loadConfig, readEnv } from './config.ts'
import type { Database } from './db/database.ts'
import { exitOnSignals } from './exit-on-signals.ts'
import { createLogger, type Logger } from './log.ts'
import type { Redis } from './redis.ts'
import { createRuntime } from './runtime.ts'
import { createHttpServer } from './web/http-server.ts'

export interface RunningApp {
  server: Server
  url: string
  log: Logger
  redis: Redis
  db: Database
  close(): Promise<void>
}

export async function startApp(config: Config, log: Logger): Promise<RunningApp> {
  const runtime = await createRuntime(config, log)
  const { redis, db, providers, services, imports } = runtime
  const app = createApp({ config, log, redis, db, providers, services, imports })
  const server = createHttpServer(app, config.server, log)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
      // Loopback unless HOST asks for more (config.ts).
      server.listen(config.port, config.host)
    })
  } catch (err) {
    await runtime.close()
    throw new Error(`Cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`)
  }
  log.info(
    { url: config.appUrl.origin, host: config.host, port: config.port },
    'contacts importer listening',
  )
  // WORKER=on (the default): this process runs imports too; `npm run worker` adds more.
  if (config.worker.enabled) {
    try {
      await imports.startWorker()
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await runtime.close()
      throw new Error(`The import worker could not start: ${(err as Error).message}`)
    }
  }

  return {
    server,
    url: config.appUrl.origin,
    log,
    redis,
    db,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      // Progress streams (SSE) never end by themselves: give requests under way a moment,
      // then cut what is left (the browsers reconnect to another instance).
      const cut = setTimeout(() => server.closeAllConnections(), 2000)
      await closed
      clearTimeout(cut)
      server.closeAllConnections()
      // Then the worker hands its imports back after their current page (runtime.close).
      await runtime.close()
    },
  }
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
