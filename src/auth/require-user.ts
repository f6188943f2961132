// Guards the person's pages. A browser is sent to sign in and brought back afterwards; an
// API client (fetch, XHR, curl asking for JSON) gets a 401 instead of a redirect it cannot
// follow.
import type { NextFunction, Request, Response } from 'express'
import { AppError, ErrorCode } from '../errors.ts'

export function requireUser(req: Request, res: Response, next: NextFunction) {
  if (req.session?.personId) {
    next()
    return
  }
  // `*/*` (curl, fetch) counts as an API client here, as in the error handler.
  if (req.method === 'GET' && req.accepts(['json', 'html']) === 'html') {
    res.redirect(303, `/login?returnTo=${encodeURIComponent(req.originalUrl)}`)
    return
  }
  next(
    new AppError(ErrorCode.LOGIN_REQUIRED, 'Sign in to see this page.', {
      status: 401,
    }),
  )
}
