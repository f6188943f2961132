// Fault injection and throttling for the Graph fake (contacts-apis.md §8.5):
//   - queued faults, served in order on the requests of their route: a status with Graph's
//     error body (or a body of the test's own), a Retry-After value as given (fractions
//     included, "2.128"), or only a delay;
//   - the mailbox limiter of Outlook: more than `maxInFlight` requests at once per (app,
//     mailbox) → 429 with Retry-After; the highest number seen at once is kept for tests;
//   - 10,000 requests per 10 minutes per (app, mailbox) → 429 with the seconds left.
import { setTimeout as sleep } from 'node:timers/promises'
import type { RequestHandler, Response } from 'express'
import { readGrant } from '../bearer-auth.ts'
import { graphErrorForStatus, sendGraphError } from './graph-errors.ts'

export type GraphRoute = 'contacts' | 'delta' | 'folders' | 'contact' | 'photo' | '*'

export interface GraphFault {
  status?: number
  /** Graph's error code instead of the status' usual one (e.g. resyncRequired). */
  code?: string
  /** A body of its own: JSON, or text when a string. */
  body?: unknown
  headers?: Record<string, string>
  /** The Retry-After header, exactly as sent. */
  retryAfter?: string
  times?: number
  after?: number
  delayMs?: number
  route?: GraphRoute
  /** Answer before the token is checked, like a proxy in front. */
  beforeAuth?: boolean
}

export interface GraphThrottle {
  /** In-flight requests per (app, mailbox) beyond which Graph answers 429; default 4. */
  maxInFlight: number
  /** Retry-After sent with the limiter's 429, as a string; default '1'. */
  retryAfter: string
  requestsPerWindow: number
  windowMs: number
}

export function createGraphFaults(throttle: GraphThrottle, now: () => number) {
  const queue: Array<GraphFault & { seen: number; left: number }> = []
  const inFlight = new Map<string, number>()
  const windows = new Map<string, { start: number; count: number }>()
  const stats = { maxInFlight: 0 }

  function take(route: Exclude<GraphRoute, '*'>, beforeAuth: boolean) {
    for (const [index, fault] of queue.entries()) {
      if ((fault.beforeAuth ?? false) !== beforeAuth) continue
      if ((fault.route ?? '*') !== '*' && fault.route !== route) continue
      if (fault.seen < (fault.after ?? 0)) {
        fault.seen += 1
        continue
      }
      fault.left -= 1
      if (fault.left <= 0) queue.splice(index, 1)
      return fault
    }
    return undefined
  }

  async function answer(res: Response, fault: GraphFault): Promise<boolean> {
    if (fault.delayMs) await sleep(fault.delayMs)
    if (fault.status === undefined) return false
    if (fault.retryAfter !== undefined) res.set('Retry-After', fault.retryAfter)
    if (fault.status === 401) res.set('WWW-Authenticate', 'Bearer realm="", error="invalid_token"')
    for (const [name, value] of Object.entries(fault.headers ?? {})) res.set(name, value)
    if (fault.body !== undefined) {
      res.status(fault.status)
      // A string is JSON unless the fault names its own type (a photo route's odd answers).
      if (typeof fault.body === 'string') {
        if (!res.get('Content-Type')) res.type('application/json')
        res.send(fault.body)
      } else res.json(fault.body)
      return true
    }
    const [status, code, message] = graphErrorForStatus(fault.status)
    sendGraphError(res, [status, fault.code ?? code, message])
    return true
  }

  const inject =
    (phase: 'beforeAuth' | 'afterAuth', route: Exclude<GraphRoute, '*'>): RequestHandler =>
    async (_req, res, next) => {
      const fault = take(route, phase === 'beforeAuth')
      if (fault && (await answer(res, fault))) return
      next()
    }

  /** After the token check: Outlook's per-mailbox limits (§4.4). */
  const limit: RequestHandler = (_req, res, next) => {
    const grant = readGrant(res)
    const key = `${grant?.clientId}|${grant?.sub}`
    const at = now()
    const window = windows.get(key)
    if (!window || at - window.start >= throttle.windowMs) windows.set(key, { start: at, count: 1 })
    else if (++window.count > throttle.requestsPerWindow) {
      res.set('Retry-After', String(Math.ceil((window.start + throttle.windowMs - at) / 1000)))
      return sendGraphError(res, graphErrorForStatus(429))
    }
    const running = (inFlight.get(key) ?? 0) + 1
    if (running > throttle.maxInFlight) {
      res.set('Retry-After', throttle.retryAfter)
      return sendGraphError(res, graphErrorForStatus(429))
    }
    inFlight.set(key, running)
    stats.maxInFlight = Math.max(stats.maxInFlight, running)
    res.on('close', () => {
      const left = (inFlight.get(key) ?? 1) - 1
      if (left <= 0) inFlight.delete(key)
      else inFlight.set(key, left)
    })
    next()
  }

  return {
    faults: {
      add(fault: GraphFault) {
        queue.push({ ...fault, seen: 0, left: fault.times ?? 1 })
      },
      clear() {
        queue.length = 0
        stats.maxInFlight = 0
      },
    },
    stats,
    inject,
    limit,
  }
}
