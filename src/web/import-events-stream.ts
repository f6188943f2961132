// GET /imports/:id/events: a run's progress as Server-Sent Events (HTML Living Standard
// §9.2). The stream subscribes to the run's channel first and only then reads the run from
// PostgreSQL, so no page committed in between is missed, whichever instance runs the
// import; the first event is that snapshot. Snapshots only ever move forward (a late
// event never takes the bar back), the stream ends after a finished state (the script
// closes its EventSource, so the browser does not reconnect), and everything is let go
// when the browser leaves — at any point, even before the stream has begun. Each person
// may hold a few streams per instance at once.
import type { Request, Response } from 'express'
import { AppError, ErrorCode } from '../errors.ts'
import {
  type ImportEvents,
  isFinished,
  type RunSnapshot,
  snapshotOf,
} from '../imports/import-events.ts'
import type { ImportsReader } from '../imports/imports-store.ts'

export interface EventStreamOptions {
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs?: number
  /** Streams one person may have open on this instance. */
  maxPerPerson?: number
}

/** Orders snapshots: finished after active after waiting; a resync after its first read. */
function rank(s: RunSnapshot): number {
  const state = { waiting: 0, active: 1, completed: 2, failed: 2 }[s.state]
  return state * 1e9 + (s.kind === 'resync' ? 1e8 : 0) + s.pagesDone
}

export function createEventStream(deps: {
  reader: ImportsReader
  events: ImportEvents
  options?: EventStreamOptions
}) {
  const heartbeatMs = deps.options?.heartbeatMs ?? 15_000
  const maxPerPerson = deps.options?.maxPerPerson ?? 5
  const open = new Map<string, number>()

  return async function eventStream(req: Request, res: Response) {
    const personId = req.session.personId as string
    const runId = String(req.params.id)
    const run = await deps.reader.get(personId, runId)
    if (!run) throw new AppError(ErrorCode.NOT_FOUND, 'There is no such import.', { status: 404 })
    if ((open.get(personId) ?? 0) >= maxPerPerson) {
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        'Too many progress pages are open. Close one and reload this page.',
        { status: 429, retryable: true, retryAfterSeconds: 10 },
      )
    }

    // From here on this stream counts, until it ends for whatever reason.
    open.set(personId, (open.get(personId) ?? 0) + 1)
    let ended = false
    let started = false
    let last = -1
    const pending: RunSnapshot[] = []
    let stopWatching: (() => void) | undefined
    let heartbeat: NodeJS.Timeout | undefined
    function end() {
      if (ended) return
      ended = true
      clearInterval(heartbeat)
      stopWatching?.()
      const count = (open.get(personId) ?? 1) - 1
      if (count > 0) open.set(personId, count)
      else open.delete(personId)
      // Before the stream began, the answer is the error handler's (or nobody's).
      if (res.headersSent && !res.writableEnded) res.end()
    }
    // Registered before anything is awaited: a browser that leaves early is noticed too.
    res.on('close', end)

    const send = (snapshot: RunSnapshot) => {
      if (ended) return
      if (!started) {
        pending.push(snapshot)
        return
      }
      if (rank(snapshot) < last) return
      last = rank(snapshot)
      res.write(`event: progress\ndata: ${JSON.stringify(snapshot)}\n\n`)
      if (isFinished(snapshot.state)) end()
    }

    try {
      // Subscribed before the snapshot is read: nothing committed in between is missed.
      if (!isFinished(run.state)) {
        const stop = await deps.events.watch(runId, send)
        if (ended) stop()
        else stopWatching = stop
      }
    } catch (err) {
      end()
      throw err
    }
    if (ended) return
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // no-transform: a proxy must neither compress (buffering the stream) nor cache it.
      'Cache-Control': 'no-store, no-transform',
      'X-Accel-Buffering': 'no', // nginx: pass each event on at once
      Connection: 'keep-alive',
    })
    // The browser waits this long before reconnecting after a dropped stream.
    res.write('retry: 3000\n\n')
    heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs)
    heartbeat.unref()

    let current: typeof run | undefined
    try {
      current = isFinished(run.state) ? run : await deps.reader.get(personId, runId)
    } catch (err) {
      end()
      throw err
    } finally {
      started = true
    }
    if (!current) {
      // Deleted meanwhile (the person deleted their data): nothing more will come.
      end()
      return
    }
    send(snapshotOf(current))
    for (const snapshot of pending.splice(0)) send(snapshot)
  }
}
