// Progress of a run, across processes: the worker publishes a snapshot of the run after
// each committed page and each change of state, on a Redis pub/sub channel of that run
// (under REDIS_KEY_PREFIX); any web instance watching it forwards it to the browser (SSE).
// A snapshot carries ids, state and numbers only — never a contact, never a token.
// Each process has one subscriber connection, shared by every watcher; pub/sub delivers
// nothing that was published before subscribing, so a watcher subscribes first and then
// reads the run from PostgreSQL (web/routes/imports.ts).
import type { Logger } from '../log.ts'
import type { Redis } from '../redis.ts'
import type { RedisKeys } from '../redis-keys.ts'
import type {
  ImportCounts,
  ImportError,
  ImportKind,
  ImportRun,
  ImportState,
} from './imports-store.ts'

export interface RunSnapshot {
  id: string
  connectionId: string
  state: ImportState
  kind: ImportKind
  counts: ImportCounts
  pagesDone: number
  /** The provider's count of the whole set, when known: the progress bar's max. */
  total: number | null
  error: ImportError | null
}

export function snapshotOf(run: ImportRun): RunSnapshot {
  return {
    id: run.id,
    connectionId: run.connectionId,
    state: run.state,
    kind: run.kind,
    counts: { ...run.counts },
    pagesDone: run.pagesDone,
    total: run.total ?? null,
    error: run.error ? { ...run.error } : null,
  }
}

export const isFinished = (state: ImportState) => state === 'completed' || state === 'failed'

export type SnapshotListener = (snapshot: RunSnapshot) => void

export interface ImportEvents {
  /** Best effort: a lost event only delays a progress bar (the page reads PostgreSQL). */
  publish(run: ImportRun): Promise<void>
  /** Resolves once subscribed; call the returned function to stop watching. */
  watch(runId: string, listener: SnapshotListener): Promise<() => void>
  close(): Promise<void>
}

function parseSnapshot(message: string): RunSnapshot | undefined {
  try {
    const value = JSON.parse(message) as RunSnapshot
    return typeof value === 'object' && value !== null && typeof value.id === 'string'
      ? value
      : undefined
  } catch {
    return undefined
  }
}

export function createImportEvents(deps: {
  /** For PUBLISH (any connection). */
  publisher: Redis
  /** Makes this process' subscriber connection, on the first watch. */
  createSubscriber: () => Redis
  keys: RedisKeys
  log: Logger
}): ImportEvents {
  const { publisher, keys, log } = deps
  const listeners = new Map<string, Set<SnapshotListener>>()
  let subscriber: Redis | undefined
  let connected: Promise<Redis> | undefined

  /**
   * Connected before the first SUBSCRIBE: a lazily connecting ioredis client that meets a
   * SUBSCRIBE first runs its ready check in subscriber mode, and fails.
   */
  function subscriberConnection(): Promise<Redis> {
    connected ??= (async () => {
      const connection = open()
      await connection.connect()
      return connection
    })().catch((err: unknown) => {
      connected = undefined
      subscriber?.disconnect()
      subscriber = undefined
      throw err
    })
    return connected
  }

  function open(): Redis {
    const connection = deps.createSubscriber()
    connection.on('error', (err: Error) =>
      log.warn({ err: { message: err.message } }, 'import events: redis connection problem'),
    )
    connection.on('message', (channel: string, message: string) => {
      const snapshot = parseSnapshot(message)
      if (!snapshot) return
      for (const listener of listeners.get(channel) ?? []) listener(snapshot)
    })
    subscriber = connection
    return connection
  }

  return {
    async publish(run) {
      try {
        await publisher.publish(keys.importEvents(run.id), JSON.stringify(snapshotOf(run)))
      } catch (err) {
        log.warn({ run: run.id, err: { message: (err as Error).message } }, 'import event lost')
      }
    },

    async watch(runId, listener) {
      const channel = keys.importEvents(runId)
      let set = listeners.get(channel)
      if (!set) {
        set = new Set()
        listeners.set(channel, set)
      }
      set.add(listener)
      let stopped = false
      const stop = () => {
        if (stopped) return
        stopped = true
        const current = listeners.get(channel)
        current?.delete(listener)
        if (current && current.size === 0) {
          listeners.delete(channel)
          subscriber?.unsubscribe(channel).catch(() => {})
        }
      }
      try {
        await (await subscriberConnection()).subscribe(channel)
      } catch (err) {
        stop()
        throw err
      }
      return stop
    },

    async close() {
      listeners.clear()
      const closing = subscriber
      subscriber = undefined
      connected = undefined
      if (closing) await closing.quit().catch(() => closing.disconnect())
    },
  }
}
