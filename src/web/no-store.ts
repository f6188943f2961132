import type { NextFunction, Request, Response } from 'express'

/** Pages that show personal data or carry one-time values must not be cached or kept. */
export function noStore(_req: Request, res: Response, next: NextFunction) {
  res.set('Cache-Control', 'no-store')
  next()
}
