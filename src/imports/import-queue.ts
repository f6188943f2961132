// The import queue (BullMQ, on the app's Redis under REDIS_KEY_PREFIX): one job per run,
// whose id is the run's id, so that adding a run's job twice adds it once — a second
// click, a scheduled sync and a resumed start all meet at the same job. The run's record
// in PostgreSQL is the history; finished jobs are removed from Redis, which also lets a
// run whose job was lost (Redis restarted empty) get a job again when someone starts it.
// Periodic syncs are BullMQ job schedulers, one per connection: their jobs only start
// (or join) that connection's run (import-worker.ts), so a schedule never runs an import
// next to another one of the same connection.
import { Queue } from 'bullmq'
import type { Logger } from '../log.ts'
import type { Redis } from '../redis.ts'

export const QUEUE_NAME = 'imports'

/** A run's job: the run does the rest (run-import.ts). */
export interface RunJobData {
  runId: string
}

/** A scheduled sync's job: start or join an incremental run of the connection. */
export interface SyncJobData {
  personId: string
  connectionId: string
}

export type ImportJobData = RunJobData | SyncJobData

export const RUN_JOB = 'run'
export const SYNC_JOB = 'sync'

export interface ImportQueue {
  /** Makes sure the run has a job (a no-op while it has one). */
  enqueue(runId: string): Promise<void>
  /** One incremental sync of the connection every `hours`, from now on. */
  schedule(connection: { id: string; personId: string }, hours: number): Promise<void>
  unschedule(connectionId: string): Promise<void>
  /** The connections that have a schedule. */
  scheduled(): Promise<string[]>
  close(): Promise<void>
}

/** BullMQ ids may not hold ':' (it separates its keys). */
export const scheduleId = (connectionId: string) => `sync-${connectionId}`

/** Infrastructure failures (our PostgreSQL down) only: a run's own failures end the run. */
const ATTEMPTS = 5

export function createImportQueue(deps: {
  /** A producer connection (redis.ts createQueueRedis); the caller closes it. */
  connection: Redis
  prefix: string
  log: Logger
}): ImportQueue {
  // Made on first use: a process that never starts an import (or an anonymous visit)
  // leaves nothing of BullMQ's in Redis.
  let made: Queue<ImportJobData> | undefined
  function queue(): Queue<ImportJobData> {
    if (made) return made
    made = new Queue<ImportJobData>(QUEUE_NAME, {
      connection: deps.connection,
      prefix: deps.prefix,
      defaultJobOptions: {
        attempts: ATTEMPTS,
        backoff: { type: 'exponential', delay: 5000 },
        removeOnComplete: true,
        removeOnFail: true,
      },
    })
    // Without a listener an 'error' event would end the process; a start fails on its own.
    made.on('error', (err: Error) =>
      deps.log.warn({ err: { message: err.message } }, 'import queue: redis connection problem'),
    )
    return made
  }

  return {
    async enqueue(runId) {
      await queue().add(RUN_JOB, { runId }, { jobId: runId })
    },

    async schedule(connection, hours) {
      await queue().upsertJobScheduler(
        scheduleId(connection.id),
        { every: hours * 3600 * 1000 },
        {
          name: SYNC_JOB,
          data: { personId: connection.personId, connectionId: connection.id },
          opts: { attempts: 1, removeOnComplete: true, removeOnFail: true },
        },
      )
    },

    async unschedule(connectionId) {
      await queue().removeJobScheduler(scheduleId(connectionId))
    },

    async scheduled() {
      const schedulers = await queue().getJobSchedulers(0, -1)
      return schedulers.flatMap((s) => {
        const data = s.template?.data as Partial<SyncJobData> | undefined
        return typeof data?.connectionId === 'string' ? [data.connectionId] : []
      })
    },

    close: async () => {
      await made?.close()
    },
  }
}
