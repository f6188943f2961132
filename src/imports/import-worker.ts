// The BullMQ worker that runs imports, inside `npm start` or in `npm run worker`
// processes; any number of them share the queue. BullMQ holds a lock on each job it runs;
// a worker that dies loses it, and another worker's stalled check hands the job on, which
// resumes from the cursor the run saved with its last page.
// Stopping (SIGTERM): no new jobs are taken; each running import finishes the page it is
// writing and then hands its job back to the queue (moveToWait), so another worker — or
// this one after a restart — goes on from the saved cursor. Nothing is lost, nothing is
// written twice.
import { DelayedError, type Job, WaitingError, Worker } from 'bullmq'
import { ErrorCode } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { Redis } from '../redis.ts'
import { type ImportEvents, isFinished } from './import-events.ts'
import {
  type ImportJobData,
  QUEUE_NAME,
  type RunJobData,
  SYNC_JOB,
  type SyncJobData,
} from './import-queue.ts'
import type { ImportsStore } from './imports-store.ts'
import type { RunOutcome } from './run-import.ts'
import type { ImportStarter } from './start-imports.ts'

/** BullMQ's timings; the defaults are BullMQ's own (tests shorten them). */
export interface WorkerTiming {
  /** How often this worker looks for jobs whose worker died. */
  stalledIntervalMs?: number
  /** How long a job's lock lives without being renewed (renewed at half of it). */
  lockDurationMs?: number
  /** How many times a job may stall before it fails. */
  maxStalledCount?: number
}

export interface ImportWorker {
  /** Stops taking jobs, hands running imports back after their current page, closes. */
  close(): Promise<void>
}

export interface ImportWorkerDeps {
  /** A worker connection (redis.ts createQueueRedis); BullMQ adds a blocking one of its own. */
  connection: Redis
  prefix: string
  concurrency: number
  runImport(runId: string, signal: AbortSignal): Promise<RunOutcome>
  starter: ImportStarter
  imports: ImportsStore
  events: ImportEvents
  log: Logger
  timing?: WorkerTiming
}

const isSyncJob = (job: Job<ImportJobData>): job is Job<SyncJobData> => job.name === SYNC_JOB

/**
 * A job this worker took while stopping (a fetch already under way when the close began
 * can still take one) goes back at once, a moment later, for another worker.
 */
const HAND_BACK_DELAY_MS = 1000

export async function startImportWorker(deps: ImportWorkerDeps): Promise<ImportWorker> {
  const { log, timing = {} } = deps
  const running = new Set<AbortController>()
  let stopping = false

  async function processRun(job: Job<RunJobData>, token: string | undefined) {
    if (stopping) {
      log.debug({ run: job.data.runId }, 'import taken while stopping; handed back')
      await job.moveToDelayed(Date.now() + HAND_BACK_DELAY_MS, token)
      throw new DelayedError()
    }
    const controller = new AbortController()
    running.add(controller)
    try {
      const outcome = await deps.runImport(job.data.runId, controller.signal)
      if (outcome !== 'stopped') return outcome
      // Handed back without using up an attempt: the next worker resumes the run.
      await job.moveToWait(token)
      log.info({ run: job.data.runId }, 'import handed back to the queue')
      throw new WaitingError()
    } finally {
      running.delete(controller)
    }
  }

  const worker = new Worker<ImportJobData>(
    QUEUE_NAME,
    async (job, token) => {
      if (isSyncJob(job)) {
        await deps.starter.scheduled(job.data.personId, job.data.connectionId)
        return 'scheduled'
      }
      return processRun(job as Job<RunJobData>, token)
    },
    {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: deps.concurrency,
      maxStalledCount: timing.maxStalledCount ?? 2,
      ...(timing.stalledIntervalMs !== undefined && { stalledInterval: timing.stalledIntervalMs }),
      ...(timing.lockDurationMs !== undefined && { lockDuration: timing.lockDurationMs }),
    },
  )
  worker.on('error', (err) =>
    log.warn({ err: { message: err.message } }, 'import worker: queue problem'),
  )
  worker.on('stalled', (jobId) => log.warn({ job: jobId }, 'import job stalled; handed on'))
  // The job's last attempt failed (our own stores stayed away): the run ends failed, so
  // that the connection can be imported again.
  worker.on('failed', (job, err) => {
    if (!job || isSyncJob(job)) return
    if (job.attemptsMade < (job.opts.attempts ?? 1)) return
    const { runId } = job.data as RunJobData
    log.error({ run: runId, err }, 'import job failed for good')
    void deps.imports
      .finish(undefined, runId, {
        state: 'failed',
        error: {
          code: ErrorCode.INTERNAL,
          message:
            'The import stopped because of a problem on our side. Nothing was lost; please try again.',
          retryable: true,
        },
      })
      .then(async (ended) => {
        const run = ended ? await deps.imports.byId(runId) : undefined
        if (run && isFinished(run.state)) await deps.events.publish(run)
      })
      .catch((cause: unknown) => log.warn({ run: runId, err: cause }, 'run not marked failed'))
  })
  await worker.waitUntilReady()
  await deps.starter
    .reconcileSchedules()
    .catch((err: unknown) => log.warn({ err }, 'sync schedules not reconciled'))
  log.info({ concurrency: deps.concurrency }, 'import worker started')

  let closing: Promise<void> | undefined
  return {
    close() {
      closing ??= (async () => {
        stopping = true
        // Closing first, so no job is taken between the abort and the close.
        const closed = worker.close()
        for (const controller of running) controller.abort()
        await closed
        log.info('import worker stopped')
      })()
      return closing
    },
  }
}
