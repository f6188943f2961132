// Starting imports, for a click, a first sign-in and a schedule alike: a run per
// connection, created or joined (never two of one connection at once), with its job made
// sure of. The kind is decided by what the connection holds: a sync token means only the
// changes are read (the worker may still turn it into a resync).
import { AppError, ErrorCode, reconnectNeeded, storeUnavailable } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { Connection, PeopleStore } from '../people/people-store.ts'
import type { ImportQueue } from './import-queue.ts'
import type { ImportRun, ImportsStore } from './imports-store.ts'

export interface ImportStarter {
  /**
   * Starts (or joins) an import of the person's connection `connectionId`, or of each of
   * their active connections. An id that is not theirs is NOT_FOUND; an ended connection
   * asks for a reconnect.
   */
  start(personId: string, connectionId?: string): Promise<ImportRun[]>
  /**
   * After a sign-in (or an account added): the connection that signed in is imported by
   * itself when it never was — the person came to import; nothing when it was. The
   * person's schedules are made sure of.
   */
  afterSignIn(personId: string, connectionId: string): Promise<ImportRun | undefined>
  /**
   * After the person connected (or reconnected) a source on purpose: that connection is
   * imported now (created or joined), whether it was imported before or not; the person's
   * schedules are made sure of.
   */
  afterConnect(personId: string, connectionId: string): Promise<ImportRun>
  /** The connection was removed: its schedule goes (best effort; scheduled() also drops it). */
  forget(connectionId: string): Promise<void>
  /** A scheduled sync of one connection; nothing when it has ended (its schedule goes). */
  scheduled(personId: string, connectionId: string): Promise<ImportRun | undefined>
  /** Makes every active connection's schedule, and drops those of ended ones. */
  reconcileSchedules(): Promise<void>
}

const notFound = () =>
  new AppError(ErrorCode.NOT_FOUND, 'There is no such connection.', { status: 404 })

export function createImportStarter(deps: {
  imports: ImportsStore
  people: PeopleStore
  queue: ImportQueue
  log: Logger
  /** SYNC_EVERY_HOURS; undefined: no schedules. */
  syncEveryHours: number | undefined
}): ImportStarter {
  const { imports, people, queue, log, syncEveryHours } = deps

  async function startOne(connection: Connection): Promise<ImportRun> {
    const sync = await imports.syncState(connection.id)
    const { run, created } = await imports.createOrJoin(
      connection,
      sync.syncToken ? 'incremental' : 'full',
    )
    try {
      await queue.enqueue(run.id)
    } catch (err) {
      if (!created) {
        // Joined: the run most likely has its job already.
        log.warn({ run: run.id, err: { message: (err as Error).message } }, 'job not ensured')
        return run
      }
      // A run nobody will ever take must not hold the connection's one place.
      await imports.finish(undefined, run.id, {
        state: 'failed',
        error: {
          code: ErrorCode.STORE_UNAVAILABLE,
          message: 'The import could not be started. Please try again in a moment.',
          retryable: true,
        },
      })
      throw storeUnavailable(err)
    }
    if (created) {
      log.info({ run: run.id, connection: connection.id, kind: run.kind }, 'import queued')
    }
    return run
  }

  /** Best effort: the worker's start-up makes the schedules that are missing. */
  async function ensureSchedule(connection: Connection) {
    if (syncEveryHours === undefined) return
    await queue.schedule(connection, syncEveryHours).catch((err: unknown) => {
      log.warn(
        { connection: connection.id, err: { message: (err as Error).message } },
        'sync not scheduled',
      )
    })
  }

  return {
    async start(personId, connectionId) {
      const connections = await people.connections(personId)
      if (connectionId !== undefined) {
        const connection = connections.find((c) => c.id === connectionId)
        if (!connection) throw notFound()
        if (connection.status !== 'active') throw reconnectNeeded(connection.provider)
        return [await startOne(connection)]
      }
      const active = connections.filter((c) => c.status === 'active')
      if (active.length === 0) {
        const last = connections.at(-1)
        throw last ? reconnectNeeded(last.provider) : notFound()
      }
      const runs: ImportRun[] = []
      for (const connection of active) runs.push(await startOne(connection))
      return runs
    },

    async afterSignIn(personId, connectionId) {
      const active = (await people.connections(personId)).filter((c) => c.status === 'active')
      for (const connection of active) await ensureSchedule(connection)
      const signedIn = active.find((c) => c.id === connectionId)
      if (!signedIn || (await imports.hasCompleted(signedIn.id))) return undefined
      return startOne(signedIn)
    },

    async afterConnect(personId, connectionId) {
      const active = (await people.connections(personId)).filter((c) => c.status === 'active')
      for (const connection of active) await ensureSchedule(connection)
      const connected = active.find((c) => c.id === connectionId)
      if (!connected) throw notFound()
      return startOne(connected)
    },

    async forget(connectionId) {
      await queue.unschedule(connectionId).catch((err: unknown) => {
        log.warn(
          { connection: connectionId, err: { message: (err as Error).message } },
          'sync schedule of a removed connection not removed; its next run drops it',
        )
      })
    },

    async scheduled(personId, connectionId) {
      const connection = await people.connection(personId, connectionId)
      if (connection?.status !== 'active') {
        await queue.unschedule(connectionId)
        log.info({ connection: connectionId }, 'connection ended; its sync schedule removed')
        return undefined
      }
      return startOne(connection)
    },

    async reconcileSchedules() {
      const active = await imports.activeConnections()
      const wanted = new Set(active.map((c) => c.id))
      for (const id of await queue.scheduled()) {
        if (syncEveryHours === undefined || !wanted.has(id)) await queue.unschedule(id)
      }
      if (syncEveryHours === undefined) return
      for (const connection of active) await queue.schedule(connection, syncEveryHours)
    },
  }
}
