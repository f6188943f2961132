// Programmatic fault injection for the demo contacts RS, so tests can drive the importer's retry,
// refresh, resync and re-authorization paths (contacts-apis.md §7.5, §10). Faults are served in
// order, each on the requests of its route. By default a fault answers after the access token
// was validated, so the request log still records who asked; `beforeAuth` makes it answer
// first, like a failing proxy in front of the RS. A fault without a status only delays the
// request, which is then answered as usual: a slow page.
import { setTimeout as sleep } from 'node:timers/promises'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { googleErrorForStatus } from './google-errors.ts'

/** `connections`: people.connections.list; `contactGroups`: contactGroups.list. */
export type FaultRoute = 'connections' | 'contactGroups' | '*'

export interface Fault {
  /** The status to answer with; without one the request is only delayed (`delayMs`). */
  status?: number
  /** JSON unless a string; defaults to the Google error body for `status`. */
  body?: unknown
  /** Replace the default headers (the Bearer challenge on 401 and 403) when given. */
  headers?: Record<string, string>
  /** Adds `Retry-After: <n>`; Google's quota errors come without one (§3.6). */
  retryAfterSeconds?: number
  /** How many matching requests this fault answers; default 1. */
  times?: number
  /** Let this many matching requests through first: `after: 1` fails the second page. */
  after?: number
  delayMs?: number
  beforeAuth?: boolean
  /** Which requests it applies to; default 'connections', the pages. */
  route?: FaultRoute
}

export interface FaultQueue {
  add(fault: Fault): void
  /** Drops the pending faults (expired sync tokens stay expired). */
  clear(): void
  /** Every sync token handed out so far answers EXPIRED_SYNC_TOKEN from now on. */
  expireSyncTokens(): void
}

export type FaultPhase = 'beforeAuth' | 'afterAuth'

export interface FaultInjector {
  faults: FaultQueue
  inject(phase: FaultPhase, route: Exclude<FaultRoute, '*'>): RequestHandler
}

export interface FaultInjectorOptions {
  realm?: string
  requiredScope: string
  onExpireSyncTokens(): void
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new TypeError(`fault.${name} must be an integer of at least ${min}, got ${value}`)
  }
}

function checkFault(fault: Fault): void {
  const {
    status,
    times = 1,
    after = 0,
    delayMs = 0,
    retryAfterSeconds,
    route = 'connections',
  } = fault
  if (status === undefined && fault.delayMs === undefined) {
    throw new TypeError('a fault needs a status, a delayMs, or both')
  }
  if (status !== undefined && (!Number.isInteger(status) || status < 200 || status > 599)) {
    throw new TypeError(`fault.status must be an HTTP status from 200 to 599, got ${status}`)
  }
  checkCount('times', times, 1)
  checkCount('after', after, 0)
  if (retryAfterSeconds !== undefined) checkCount('retryAfterSeconds', retryAfterSeconds, 0)
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new TypeError(`fault.delayMs must be a non-negative number, got ${delayMs}`)
  }
  if (!['connections', 'contactGroups', '*'].includes(route)) {
    throw new TypeError(`fault.route must be connections, contactGroups or *, got ${route}`)
  }
}

export function createFaultInjector(options: FaultInjectorOptions): FaultInjector {
  const realm = `Bearer realm="${options.realm ?? 'contacts'}"`
  const pending: Array<{ fault: Fault; remaining: number; skip: number }> = []

  function defaultHeaders(status: number): Record<string, string> {
    if (status === 401) {
      return {
        'WWW-Authenticate': `${realm}, error="invalid_token", error_description="The access token is invalid or expired"`,
      }
    }
    if (status === 403) {
      return {
        'WWW-Authenticate': `${realm}, error="insufficient_scope", scope="${options.requiredScope}"`,
      }
    }
    return {}
  }

  function take(phase: FaultPhase, route: FaultRoute): Fault | undefined {
    const index = pending.findIndex(({ fault }) => {
      const applies = fault.route ?? 'connections'
      return applies === '*' || applies === route
    })
    const head = pending[index]
    if (!head || (head.fault.beforeAuth === true) !== (phase === 'beforeAuth')) return undefined
    if (head.skip > 0) {
      head.skip -= 1
      return undefined
    }
    head.remaining -= 1
    if (head.remaining === 0) pending.splice(index, 1)
    return head.fault
  }

  return {
    faults: {
      add(fault) {
        checkFault(fault)
        pending.push({ fault: { ...fault }, remaining: fault.times ?? 1, skip: fault.after ?? 0 })
      },
      clear() {
        pending.length = 0
      },
      expireSyncTokens() {
        options.onExpireSyncTokens()
      },
    },
    inject(phase, route) {
      return async function injectFault(_req: Request, res: Response, next: NextFunction) {
        const fault = take(phase, route)
        if (!fault) return next()
        if (fault.delayMs) await sleep(fault.delayMs)
        if (fault.status === undefined) return next()
        res.status(fault.status).set(fault.headers ?? defaultHeaders(fault.status))
        if (fault.retryAfterSeconds !== undefined) {
          res.set('Retry-After', String(fault.retryAfterSeconds))
        }
        const body = fault.body === undefined ? googleErrorForStatus(fault.status) : fault.body
        if (typeof body === 'string') res.send(body)
        else res.json(body)
      }
    },
  }
}
