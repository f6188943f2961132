// The absolute lifetime of a sign-in (SESSION_MAX_AGE_SECONDS), next to the idle one that
// express-session's rolling cookie gives: however active a session is, it ends this long
// after the sign-in, and the person signs in again. The connections stay: background
// imports do not depend on a browser session.
import type { NextFunction, Request, Response } from 'express'
import { destroySession } from '../session/session-ops.ts'

export function enforceSessionMaxAge(maxAgeSeconds: number) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const { personId, signedInAt } = req.session
    // A session from before signedInAt existed counts as signed in now (it is at most one
    // idle lifetime old).
    if (personId && signedInAt !== undefined && Date.now() - signedInAt > maxAgeSeconds * 1000) {
      await destroySession(req)
      // A fresh, empty session for the rest of this request (express-session creates one
      // only at the start of a request).
      req.sessionStore.generate(req)
    }
    next()
  }
}
