// Synchronizer tokens for the app's own POST forms (sign out, disconnect): a random value
// kept in the server-side session and compared in constant time. SameSite=Lax already
// stops most cross-site POSTs; this covers old browsers and same-site attackers
// (oauth-client-security.md A11). Hand-written because it is this small and needs no
// second cookie, unlike double-submit libraries.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { NextFunction, Request, Response } from 'express'
import { AppError, ErrorCode } from '../errors.ts'

export function csrfTokenFor(req: Request): string {
  req.session.csrfToken ??= randomBytes(32).toString('base64url')
  return req.session.csrfToken
}

export function requireCsrf(req: Request, _res: Response, next: NextFunction) {
  const expected = req.session?.csrfToken
  const given: unknown = req.body?._csrf
  const ok =
    typeof expected === 'string' &&
    typeof given === 'string' &&
    given.length === expected.length &&
    timingSafeEqual(Buffer.from(given), Buffer.from(expected))
  if (ok) {
    next()
    return
  }
  next(
    new AppError(
      ErrorCode.CSRF_INVALID,
      'This form expired or did not come from this site. Please try again.',
      { status: 403 },
    ),
  )
}
