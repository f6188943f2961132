// Synchronizer tokens for the app's own POST forms (sign out, disconnect): a random value
// kept in the server-side session and compared in constant time. SameSite=Lax already
// stops most cross-site POSTs; this covers old browsers and same-site attackers
// (oauth-client-security.md A11). Hand-written because it is this small and needs no
// second cookie, unlike double-submit libraries.
// The comparison is of SHA-256 digests, never of the raw strings: timingSafeEqual throws
// on buffers of different byte lengths, and a submitted value with a multibyte character
// can have the token's length in characters but not in bytes (that was a 500). Digests
// always have the same length, and comparing them leaks nothing about the token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { NextFunction, Request, Response } from 'express'
import { AppError, ErrorCode } from '../errors.ts'

export function csrfTokenFor(req: Request): string {
  req.session.csrfToken ??= randomBytes(32).toString('base64url')
  return req.session.csrfToken
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest()

export function requireCsrf(req: Request, _res: Response, next: NextFunction) {
  const expected = req.session?.csrfToken
  const given: unknown = req.body?._csrf
  const ok =
    typeof expected === 'string' &&
    typeof given === 'string' &&
    timingSafeEqual(digest(given), digest(expected))
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
