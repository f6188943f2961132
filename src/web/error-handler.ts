// The single error handler. It decides what a failure looks like to the person (an HTML
// page with a way forward, or JSON for API clients) and what goes to the log. Only
// AppErrors that are marked exposable show their message; everything else is a generic
// 500 page, never a stack trace or an upstream body.
import type { NextFunction, Request, Response } from 'express'
import * as client from 'openid-client'
import { safeReturnTo } from '../auth/return-to.ts'
import { isDatabaseUnavailable } from '../db/database.ts'
import { AppError, ErrorCode, storeUnavailable } from '../errors.ts'
import { type Logger, redactUrl } from '../log.ts'
import { isRedisUnavailable } from '../redis.ts'
import { type ErrorAction, toPublicError } from './public-error.ts'

/** What a request that could not be read is told, by its status. */
const UNREADABLE: Record<number, string> = {
  413: 'The request was too large.',
  415: 'The request was sent in a form this page does not accept.',
}

/**
 * The client's mistakes, as the libraries under us report them: http-errors from
 * body-parser and serve-static (a 4xx `status` or `statusCode`, with or without `expose`),
 * and the router's URIError for a path parameter that is not valid percent-encoding (it
 * carries status 400 but no `expose`). Every URIError comes from decoding something the
 * request carried. openid-client's errors also carry the provider's HTTP status; they are
 * translated where they are thrown, so one arriving here untranslated is our fault, not the
 * client's, and stays a 500.
 */
function clientErrorStatus(err: unknown): number | undefined {
  if (err instanceof URIError) return 400
  if (!(err instanceof Error) || isUpstreamError(err)) return undefined
  const { status, statusCode } = err as { status?: unknown; statusCode?: unknown }
  const value = typeof status === 'number' ? status : statusCode
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value < 500
    ? value
    : undefined
}

function isUpstreamError(err: Error): boolean {
  return (
    err instanceof client.ResponseBodyError ||
    err instanceof client.WWWAuthenticateChallengeError ||
    err instanceof client.AuthorizationResponseError
  )
}

export function normalize(err: unknown): unknown {
  if (err instanceof AppError) return err
  if (isRedisUnavailable(err) || isDatabaseUnavailable(err)) return storeUnavailable(err)
  const status = clientErrorStatus(err)
  if (status !== undefined) {
    return new AppError(
      ErrorCode.BAD_REQUEST,
      UNREADABLE[status] ?? 'The request could not be read.',
      {
        status,
        cause: err,
      },
    )
  }
  return err
}

/** The one way a failed request is logged: real faults loudly, expected failures briefly. */
export function logFailure(log: Logger, error: unknown, req: Request): void {
  const publicError = toPublicError(error)
  const context = { reqId: req.id, method: req.method, url: redactUrl(req.originalUrl) }
  if (publicError.status >= 500 && !(error instanceof AppError)) {
    log.error({ err: error, ...context }, 'unhandled error')
  } else {
    const errorCode = error instanceof AppError ? error.code : publicError.code
    log[publicError.status >= 500 ? 'warn' : 'info'](
      { ...context, errorCode, cause: causeSummary(error) },
      'request failed',
    )
  }
}

export function createErrorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    const error = normalize(err)
    const publicError = toPublicError(error)
    logFailure(log, error, req)
    if (res.headersSent) {
      next(err)
      return
    }
    const action =
      publicError.action ??
      (error instanceof AppError && error.retryable
        ? // Only ever a same-origin path: "//host/…" must not become a link elsewhere.
          { label: 'Try again', href: retryHref(req) }
        : { label: 'Back to the start page', href: '/' })
    const view = { ...publicError, action: comeBackHere(action, req) }
    res.status(publicError.status)
    res.set('Cache-Control', 'no-store')
    if (error instanceof AppError && error.status === 503) res.set('Retry-After', '5')
    // RFC 6585 §4: say how long to wait; the limiter knows when its window ends.
    if (error instanceof AppError && error.status === 429) {
      res.set('Retry-After', String(Math.max(1, error.retryAfterSeconds ?? 60)))
    }
    // API clients (and `*/*`, as curl sends) get JSON; browsers get the page.
    res.format({
      json: () => {
        res.json({ error: { code: view.code, title: view.title, message: view.message } })
      },
      html: () => {
        res.render(
          'errors/error',
          { title: view.title, error: view },
          (renderErr: Error | null, html: string) => {
            if (renderErr) {
              log.error({ err: renderErr }, 'error page failed to render')
              res.type('text').send(`${view.title}\n\n${view.message}\n`)
              return
            }
            res.send(html)
          },
        )
      },
      default: () => {
        res.type('text').send(`${view.title}\n\n${view.message}\n`)
      },
    })
  }
}

/**
 * Where "Try again" leads: the same page for a GET, but never an /auth/ URL — a callback
 * URL carries a spent code and a state, and retrying it can only fail (RFC 9700 §4.3).
 */
function retryHref(req: Request): string {
  if (req.method !== 'GET') return '/'
  if (req.path.startsWith('/auth/')) return '/login'
  // Only ever a same-origin path: "//host/…" must not become a link elsewhere.
  return safeReturnTo(req.originalUrl)
}

/**
 * A "sign in again" or "reconnect" button on a page the person was reading brings them
 * back to that page afterwards (the value is checked again by /login). Not to a sign-in's
 * failure page: it is shown once, and its button already names where the sign-in was going.
 */
function comeBackHere(action: ErrorAction, req: Request): ErrorAction {
  const back =
    req.method === 'GET' &&
    !req.path.startsWith('/auth/') &&
    req.path !== '/login' &&
    req.path !== '/sign-in/failed'
  if (!back || !action.href.startsWith('/login?') || action.href.includes('returnTo='))
    return action
  return { ...action, href: `${action.href}&returnTo=${encodeURIComponent(req.originalUrl)}` }
}

/** The cause's class and message for the log: enough to debug, nothing token-shaped. */
function causeSummary(err: unknown): string | undefined {
  const cause = err instanceof Error ? err.cause : undefined
  if (!(cause instanceof Error)) return undefined
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : ''
  return `${cause.name}: ${cause.message}${inner}`.slice(0, 300)
}
