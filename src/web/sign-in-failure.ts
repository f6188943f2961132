// A failed callback is never rendered at the callback URL: that URL carries the code and the
// state, and a page shown there keeps them in the browser's history and in anything that
// reads it (RFC 9700 §4.3). The failure is answered with a 303 to a clean URL instead; the
// public error waits in Redis for that one view (60 s, read once). When Redis itself is the
// failure, the clean URL carries only the reason (never `code` or `state`: those are the
// callback's own parameters).
import { randomBytes } from 'node:crypto'
import type { NextFunction, Request, Response } from 'express'
import { AppError, ErrorCode } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { Redis } from '../redis.ts'
import type { RedisKeys } from '../redis-keys.ts'
import { logFailure, normalize } from './error-handler.ts'
import { toPublicError } from './public-error.ts'

const PATH = '/sign-in/failed'
const PROVIDER_ID = /^[a-z][a-z0-9_]{0,31}$/
const KEEP_SECONDS = 60

interface StoredFailure {
  status: number
  code: ErrorCode
  message: string
  provider: string | undefined
  returnTo: string | undefined
}

/** A value shaped like a provider id (config.ts's rule), for a link parameter only. */
const providerIdOf = (value: unknown) =>
  typeof value === 'string' && PROVIDER_ID.test(value) ? value : undefined

const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && Object.hasOwn(ErrorCode, value)

export function createSignInFailure(deps: { redis: Redis; keys: RedisKeys; log: Logger }) {
  /** Error middleware of the callback route. */
  async function redirect(err: unknown, req: Request, res: Response, next: NextFunction) {
    if (res.headersSent) {
      next(err)
      return
    }
    const error = normalize(err)
    logFailure(deps.log, error, req)
    const shown = toPublicError(error)
    const failure: StoredFailure = {
      status: shown.status,
      code: shown.code,
      message: shown.message,
      // The provider the sign-in was for, also when the failure was not its own (Redis).
      provider:
        (error instanceof AppError ? error.provider : undefined) ??
        providerIdOf(req.params.provider),
      returnTo: error instanceof AppError ? error.returnTo : undefined,
    }
    const id = randomBytes(16).toString('base64url')
    let target: string
    try {
      await deps.redis.set(deps.keys.signInFailure(id), JSON.stringify(failure), 'EX', KEEP_SECONDS)
      target = `${PATH}?id=${id}`
    } catch {
      const params = new URLSearchParams({ reason: ErrorCode.STORE_UNAVAILABLE })
      if (failure.provider) params.set('provider', failure.provider)
      target = `${PATH}?${params}`
    }
    res.set('Cache-Control', 'no-store')
    res.redirect(303, target)
  }

  /** GET /sign-in/failed: the failure's page, through the one error handler. */
  async function show(req: Request, _res: Response) {
    const { id, reason, provider } = req.query
    if (reason === ErrorCode.STORE_UNAVAILABLE) {
      throw new AppError(
        ErrorCode.STORE_UNAVAILABLE,
        'The service was briefly unavailable, so the sign-in did not complete. Please sign in again in a moment.',
        {
          status: 503,
          retryable: true,
          returnTo: '/',
          // Only a link parameter (and /login checks it again), never shown as text.
          provider:
            typeof provider === 'string' && PROVIDER_ID.test(provider) ? provider : undefined,
        },
      )
    }
    const raw =
      typeof id === 'string' && /^[\w-]{22}$/.test(id)
        ? await deps.redis.getdel(deps.keys.signInFailure(id))
        : null
    const failure = raw ? (JSON.parse(raw) as StoredFailure) : undefined
    if (!failure || !isErrorCode(failure.code)) {
      throw new AppError(
        ErrorCode.LOGIN_FAILED,
        'This sign-in did not complete. Please sign in again.',
        { status: 400, returnTo: '/' },
      )
    }
    // Whatever failed, the way forward is a new sign-in (never the spent callback URL).
    throw new AppError(failure.code, failure.message, {
      status: failure.status,
      provider: failure.provider,
      returnTo: failure.returnTo ?? '/',
    })
  }

  return { path: PATH, redirect, show }
}
