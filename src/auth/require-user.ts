// Guards the person's pages. A browser is sent to sign in and brought back afterwards; an
// API client (fetch, XHR, curl asking for JSON) gets a 401 instead of a redirect it cannot
// follow.
import type { NextFunction, Request, Response } from 'express'
import { AppError, ErrorCode } from '../errors.ts'

export function requireUser(req: Request, res: Response, next: NextFunction) {
  if (req.session?.user) {
    next()
    return
  }
  if (req.method === 'GET' && req.accepts(['html', 'json']) === 'html') {
    res.set('Cache-Control', 'no-store')
    res.redirect(303, `/login?returnTo=${encodeURIComponent(req.originalUrl)}`)
    return
  }
  next(
    new AppError(ErrorCode.LOGIN_REQUIRED, 'Sign in to see this page.', {
      status: 401,
      title: 'Sign-in required',
      action: { label: 'Sign in', href: '/login' },
    }),
  )
}
