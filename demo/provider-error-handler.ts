// The last word on every error the demo provider's Express app sees (its login and consent
// forms; oidc-provider answers its own endpoints through renderError). Without it Express's
// default handler prints the stack, with absolute paths of this machine, into the page.
// Client errors (body-parser's 413/415/400, a broken percent-encoding) keep their status and
// their http-errors message, which is written to be shown; anything else is a generic 500
// whose details go to the terminal only, the way oidc-provider's err_out.js treats errors
// that are not exposed.
import { STATUS_CODES } from 'node:http'
import type { ErrorRequestHandler } from 'express'
import { errorPage } from './provider-pages.ts'

interface HttpErrorLike {
  status?: unknown
  statusCode?: unknown
  expose?: unknown
  message?: unknown
}

function clientStatus(err: HttpErrorLike): number | undefined {
  const status = err.status ?? err.statusCode
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined
}

export const providerErrorHandler: ErrorRequestHandler = (err: unknown, req, res, next) => {
  // Too late for a page: Express closes the connection, which is all that is left to do.
  if (res.headersSent) return next(err)
  const known = typeof err === 'object' && err !== null ? (err as HttpErrorLike) : {}
  const status = clientStatus(known) ?? 500
  if (status === 500) console.error('demo provider: unexpected error', err)
  const description =
    status < 500 && known.expose === true && typeof known.message === 'string'
      ? known.message
      : (STATUS_CODES[status] ?? 'Error')
  const out = {
    error: status < 500 ? 'invalid_request' : 'server_error',
    error_description: description,
  }
  res.status(status).set('Cache-Control', 'no-store')
  if (req.accepts(['html', 'json']) === 'json') res.json(out)
  else res.type('html').send(errorPage(out))
}
