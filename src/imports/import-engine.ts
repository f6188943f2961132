// The import engine of one process, built from the runtime: the queue that starts runs,
// the progress events, and — in a process that runs imports (WORKER=on, `npm run worker`)
// — the worker. Its Redis connections are its own (BullMQ's settings, redis.ts
// createQueueRedis), apart from the web's fail-fast client, under REDIS_KEY_PREFIX.
import type { Config } from '../config.ts'
import type { Database } from '../db/database.ts'
import type { Logger } from '../log.ts'
import type { ProviderClient } from '../oidc/provider-client.ts'
import { createQueueRedis, type Redis } from '../redis.ts'
import type { Services } from '../services.ts'
import { type BackoffSettings, createBackoff } from './backoff.ts'
import { createImportEvents, type ImportEvents } from './import-events.ts'
import { createImportQueue } from './import-queue.ts'
import { type ImportWorker, startImportWorker, type WorkerTiming } from './import-worker.ts'
import { createRunImport } from './run-import.ts'
import { createImportStarter, type ImportStarter } from './start-imports.ts'

export interface ImportEngine {
  starter: ImportStarter
  events: ImportEvents
  /** Runs imports in this process until close(). */
  startWorker(options?: { concurrency?: number; timing?: WorkerTiming }): Promise<ImportWorker>
  /** Stops this process' workers (their imports handed back), then closes the queue. */
  close(): Promise<void>
}

export interface ImportEngineDeps {
  config: Config
  log: Logger
  /** The app's client: progress events are published with it. */
  redis: Redis
  db: Database
  services: Services
  providers: ReadonlyMap<string, ProviderClient>
  /** Retry delays of provider calls (tests shorten them; the defaults are real). */
  backoff?: Partial<BackoffSettings>
}

export function createImportEngine(deps: ImportEngineDeps): ImportEngine {
  const { config, log, services } = deps
  const keys = services.keys
  const connections: Redis[] = []
  const connect = (role: 'producer' | 'worker') => {
    const connection = createQueueRedis(config.redis.url, role)
    connection.on('error', () => {}) // reported by BullMQ's own 'error' listeners
    connections.push(connection)
    return connection
  }
  const queue = createImportQueue({ connection: connect('producer'), prefix: keys.bullPrefix, log })
  const events = createImportEvents({
    publisher: deps.redis,
    createSubscriber: () => connect('worker'),
    keys,
    log,
  })
  const starter = createImportStarter({
    imports: services.importsStore,
    people: services.people,
    queue,
    log,
    syncEveryHours: config.worker.syncEveryHours,
  })
  const sources = new Map(
    [...services.contactSources].flatMap(([id, source]) => {
      const provider = deps.providers.get(id)
      return provider ? [[id, { source, contactsUrl: provider.settings.contactsUrl }] as const] : []
    }),
  )
  const runImport = createRunImport({
    db: deps.db,
    imports: services.importsStore,
    contacts: services.contactsStore,
    people: services.people,
    connections: services.connections,
    sources,
    events,
    backoff: createBackoff(deps.backoff, {
      onRetry: (err, waitMs) =>
        log.info({ errorCode: err.code, provider: err.provider, waitMs }, 'contacts API: retrying'),
    }),
    log,
  })
  const workers: ImportWorker[] = []

  let closing: Promise<void> | undefined
  return {
    starter,
    events,
    async startWorker(options = {}) {
      const worker = await startImportWorker({
        connection: connect('worker'),
        prefix: keys.bullPrefix,
        concurrency: options.concurrency ?? config.worker.concurrency,
        runImport,
        starter,
        imports: services.importsStore,
        events,
        log,
        timing: options.timing,
      })
      workers.push(worker)
      return worker
    },
    close() {
      closing ??= (async () => {
        await Promise.all(workers.map((worker) => worker.close()))
        await queue.close()
        await events.close()
        await Promise.all(
          connections.map((c) =>
            c.quit().then(
              () => {},
              () => c.disconnect(),
            ),
          ),
        )
      })()
      return closing
    },
  }
}
