// A failed callback is never rendered at the callback URL: that URL carries the code and the
// state, and a page shown there keeps them in the browser's history and in anything that
// reads it (RFC 9700 §4.3). The failure is answered with a 303 to a clean URL instead.
//   - The callback's own refusals (no, unknown, used or foreign state; a connect flow back
//     in another sign-in; an unknown provider; a rate limit) have fixed messages: the clean URL names the reason and nothing is
//     stored, so forged or anonymous callbacks cost no server-side state.
//   - Failures after a real sign-in got under way (the provider declined, the exchange or
//     the ID token failed, a store broke) keep their exact message in Redis for that one
//     view (60 s, read once); when Redis itself is what failed, the reason alone is sent.
// Never `code` or `state` in the clean URL: those are the callback's own parameters.
import { randomBytes } from 'node:crypto'
import type { NextFunction, Request, Response } from 'express'
import { isLoginProblem, loginProblem } from '../auth/login-problems.ts'
import { PROVIDER_ID } from '../config.ts'
import { AppError, ErrorCode, rateLimited, unknownProvider } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { Redis } from '../redis.ts'
import type { RedisKeys } from '../redis-keys.ts'
import { logFailure, normalize } from './error-handler.ts'
import { toPublicError } from './public-error.ts'

const PATH = '/sign-in/failed'
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

/** Reasons whose page the clean URL alone can show. */
const BY_REASON = new Set<string>([
  ErrorCode.LOGIN_STATE_MISSING,
  ErrorCode.LOGIN_STATE_UNKNOWN,
  ErrorCode.LOGIN_STATE_MISMATCH,
  ErrorCode.CONNECT_SIGNED_OUT,
  ErrorCode.CONNECT_OTHER_PERSON,
  ErrorCode.UNKNOWN_PROVIDER,
  ErrorCode.RATE_LIMITED,
  ErrorCode.STORE_UNAVAILABLE,
])

/** The page for a reason named in the clean URL (checked against the fixed list). */
function errorForReason(query: Request['query']): AppError | undefined {
  const { reason, provider, wait } = query
  if (typeof reason !== 'string' || !BY_REASON.has(reason)) return undefined
  const providerId = providerIdOf(provider)
  if (isLoginProblem(reason)) return loginProblem(reason, providerId)
  if (reason === ErrorCode.UNKNOWN_PROVIDER) return unknownProvider()
  if (reason === ErrorCode.RATE_LIMITED) {
    const seconds = typeof wait === 'string' && /^\d{1,4}$/.test(wait) ? Number(wait) : 60
    return rateLimited(Math.max(1, seconds))
  }
  return new AppError(
    ErrorCode.STORE_UNAVAILABLE,
    'The service was briefly unavailable, so the sign-in did not complete. Please sign in again in a moment.',
    // Only a link parameter (and /login checks it again), never shown as text.
    { status: 503, retryable: true, returnTo: '/', provider: providerId },
  )
}

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
    // The provider the sign-in was for, also when the failure was not its own (Redis).
    const provider =
      (error instanceof AppError ? error.provider : undefined) ?? providerIdOf(req.params.provider)
    const byReason = (reason: string) => {
      const params = new URLSearchParams({ reason })
      if (provider) params.set('provider', provider)
      if (error instanceof AppError && error.retryAfterSeconds !== undefined) {
        params.set('wait', String(error.retryAfterSeconds))
      }
      return `${PATH}?${params}`
    }
    let target: string
    if (BY_REASON.has(shown.code)) {
      target = byReason(shown.code)
    } else {
      const failure: StoredFailure = {
        status: shown.status,
        code: shown.code,
        message: shown.message,
        provider,
        returnTo: error instanceof AppError ? error.returnTo : undefined,
      }
      const id = randomBytes(16).toString('base64url')
      try {
        await deps.redis.set(
          deps.keys.signInFailure(id),
          JSON.stringify(failure),
          'EX',
          KEEP_SECONDS,
        )
        target = `${PATH}?id=${id}`
      } catch {
        target = byReason(ErrorCode.STORE_UNAVAILABLE)
      }
    }
    res.set('Cache-Control', 'no-store')
    res.redirect(303, target)
  }

  /** GET /sign-in/failed: the failure's page, through the one error handler. */
  async function show(req: Request, _res: Response) {
    const named = errorForReason(req.query)
    if (named) throw named
    const { id } = req.query
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
