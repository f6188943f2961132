// Programmatic fault injection for the demo contacts RS, so tests can drive the importer's retry,
// refresh and re-authorization paths (contacts-apis.md §7.5, §10). Faults are served in order.
// By default a fault answers after the access token was validated, so the request log still
// records who asked; `beforeAuth` makes it answer first, like a failing proxy in front of the RS.
import { setTimeout as sleep } from 'node:timers/promises'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { googleErrorForStatus } from './google-errors.ts'

export interface Fault {
  status: number
  /** JSON unless a string; defaults to the Google error body for `status`. */
  body?: unknown
  /** Replace the default headers (the Bearer challenge on 401 and 403) when given. */
  headers?: Record<string, string>
  /** How many data requests this fault answers; default 1. */
  times?: number
  delayMs?: number
  beforeAuth?: boolean
}

export interface FaultQueue {
  add(fault: Fault): void
  clear(): void
}

export type FaultPhase = 'beforeAuth' | 'afterAuth'

export interface FaultInjector {
  faults: FaultQueue
  inject(phase: FaultPhase): RequestHandler
}

export interface FaultInjectorOptions {
  realm?: string
  requiredScope: string
}

function checkFault(fault: Fault): void {
  const { status, times = 1, delayMs = 0 } = fault
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new TypeError(`fault.status must be an HTTP status from 200 to 599, got ${status}`)
  }
  if (!Number.isInteger(times) || times < 1) {
    throw new TypeError(`fault.times must be a positive integer, got ${times}`)
  }
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new TypeError(`fault.delayMs must be a non-negative number, got ${delayMs}`)
  }
}

export function createFaultInjector(options: FaultInjectorOptions): FaultInjector {
  const realm = `Bearer realm="${options.realm ?? 'contacts'}"`
  const pending: Array<{ fault: Fault; remaining: number }> = []

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

  function take(phase: FaultPhase): Fault | undefined {
    const head = pending[0]
    if (!head || (head.fault.beforeAuth === true) !== (phase === 'beforeAuth')) return undefined
    head.remaining -= 1
    if (head.remaining === 0) pending.shift()
    return head.fault
  }

  return {
    faults: {
      add(fault) {
        checkFault(fault)
        pending.push({ fault: { ...fault }, remaining: fault.times ?? 1 })
      },
      clear() {
        pending.length = 0
      },
    },
    inject(phase) {
      return async function injectFault(_req: Request, res: Response, next: NextFunction) {
        const fault = take(phase)
        if (!fault) return next()
        if (fault.delayMs) await sleep(fault.delayMs)
        res.status(fault.status).set(fault.headers ?? defaultHeaders(fault.status))
        const body = fault.body === undefined ? googleErrorForStatus(fault.status) : fault.body
        if (typeof body === 'string') res.send(body)
        else res.json(body)
      }
    },
  }
}
