// One log line per request: a request id, who asked (the client address as TRUST_PROXY
// resolves it, and the person when signed in), what (method, the matched route pattern and
// the URL with codes and states cut out), the status and the duration. Never a token, a
// code, a state or a cookie: the URL goes through redactUrl, and no header is logged.
import { randomUUID } from 'node:crypto'
import type { NextFunction, Request, Response } from 'express'
import { type Logger, redactUrl } from '../log.ts'

declare module 'express-serve-static-core' {
  interface Request {
    id: string
  }
}

/** The pattern of the route that answered (`/auth/callback/:provider`), when one did. */
function routeOf(req: Request): string | undefined {
  const path: unknown = (req.route as { path?: unknown } | undefined)?.path
  if (typeof path === 'string') return path
  // A route declared for several paths at once: the one asked for, else all of them.
  if (Array.isArray(path)) return path.find((p) => p === req.path) ?? path.join('|')
  return undefined
}

export function requestLog(log: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    req.id = randomUUID()
    const started = process.hrtime.bigint()
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      const level = req.path === '/healthz' || req.path === '/readyz' ? 'debug' : 'info'
      log[level](
        {
          reqId: req.id,
          ip: req.ip,
          // After sign-out the session is gone: the person who asked is still known here.
          personId: req.session?.personId ?? res.locals.person?.id,
          method: req.method,
          route: routeOf(req),
          url: redactUrl(req.originalUrl),
          status: res.statusCode,
          ms: Math.round(ms),
        },
        'request',
      )
    })
    next()
  }
}
