// One log line per request, with a request id, and with codes and states cut out of URLs.
import { randomUUID } from 'node:crypto'
import type { NextFunction, Request, Response } from 'express'
import { type Logger, redactUrl } from '../log.ts'

declare module 'express-serve-static-core' {
  interface Request {
    id: string
  }
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
          method: req.method,
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
