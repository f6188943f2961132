// The demo contacts resource server: a Google People API v1 look-alike protected by JWT access
// tokens from the demo authorization server. The demo runs it for real; tests drive `app`
// through supertest and use `faults` and `requests` to steer and observe it.
import { randomBytes } from 'node:crypto'
import type { ErrorRequestHandler, Express, RequestHandler } from 'express'
import express from 'express'
import type { JWTVerifyGetKey } from 'jose'
import { createBearerAuth, readGrant } from './bearer-auth.ts'
import type { FaultQueue } from './contacts-faults.ts'
import { createFaultInjector } from './contacts-faults.ts'
import { googleErrorForStatus, googleErrors, sendGoogleError } from './google-errors.ts'
import { createListConnections } from './list-connections.ts'
import { createPageTokens } from './page-token.ts'
import type { ContactDirectory } from './person.ts'
import { RequestLog } from './request-log.ts'

export type { Fault, FaultQueue } from './contacts-faults.ts'

export interface ContactsServerOptions {
  /** Exact expected `iss`. */
  issuer: string
  /** Exact expected `aud`: this RS's resource indicator (mind the trailing slash). */
  audience: string
  /** createRemoteJWKSet(new URL(jwks_uri)) for the demo, createLocalJWKSet in tests. */
  keys: JWTVerifyGetKey
  directory: ContactDirectory
  /** Default 'contacts.read'. */
  requiredScope?: string
  /** HMAC key for page tokens, at least 32 bytes; random per server by default. */
  pageTokenSecret?: Uint8Array
  /** Default 5 seconds. */
  clockToleranceSeconds?: number
}

export interface RequestLogEntry {
  method: string
  path: string
  /** Query parameters; repeated ones as arrays. An access_token value is redacted. */
  query: Record<string, string | string[]>
  hadAuthorizationHeader: boolean
  sub?: string
  status: number
}

export interface ContactsServer {
  app: Express
  faults: FaultQueue
  /** The last REQUEST_LOG_LIMIT completed requests, in completion order. Never holds tokens. */
  requests: RequestLog<RequestLogEntry>
}

function queryOf(url: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {}
  for (const [name, raw] of new URL(url, 'http://rs.invalid').searchParams) {
    // A token sent in the URL is still a secret (RFC 9700 §4.9.3): keep the fact, not the value.
    const value = name === 'access_token' ? '[redacted]' : raw
    const seen = query[name]
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value]
  }
  return query
}

function logRequests(requests: RequestLogEntry[]): RequestHandler {
  return function logRequest(req, res, next) {
    const entry = {
      method: req.method,
      path: req.path,
      query: queryOf(req.originalUrl),
      hadAuthorizationHeader: req.headers.authorization !== undefined,
    }
    res.on('finish', () => {
      const sub = readGrant(res)?.sub
      requests.push({ ...entry, ...(sub === undefined ? {} : { sub }), status: res.statusCode })
    })
    next()
  }
}

// Contact data and auth errors must not be stored by caches (RFC 9111 §5.2.2.5).
const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store')
  next()
}

const notFound: RequestHandler = (_req, res) => sendGoogleError(res, googleErrors.notFound())

// Body-parser failures keep their 4xx; anything else is ours and says nothing about internals.
const handleError: ErrorRequestHandler = (err: unknown, _req, res, next) => {
  // Too late for a body: Express closes the connection, which is all that is left to do.
  if (res.headersSent) return next(err)
  const status =
    typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number'
      ? err.status
      : 500
  if (status >= 500) console.error('contacts demo RS: unexpected error', err)
  sendGoogleError(res, googleErrorForStatus(status >= 400 && status < 500 ? status : 500))
}

export function createContactsServer(options: ContactsServerOptions): ContactsServer {
  const requiredScope = options.requiredScope ?? 'contacts.read'
  const requests = new RequestLog<RequestLogEntry>()
  const { faults, inject } = createFaultInjector({ requiredScope })
  const bearerAuth = createBearerAuth({
    issuer: options.issuer,
    audience: options.audience,
    keys: options.keys,
    requiredScope,
    clockToleranceSeconds: options.clockToleranceSeconds ?? 5,
  })
  const listConnections = createListConnections({
    directory: options.directory,
    pageTokens: createPageTokens(options.pageTokenSecret ?? randomBytes(32)),
  })

  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false) // no-store data: conditional requests would only blur the tests
  app.use(logRequests(requests), noStore)

  app.get(
    '/v1/people/:id/connections',
    inject('beforeAuth'),
    // Only to find a form-body access_token and refuse it (RFC 6750 §2.2 is not supported here).
    express.urlencoded({ extended: false, limit: '16kb' }),
    bearerAuth,
    inject('afterAuth'),
    listConnections,
  )

  app.use(notFound)
  app.use(handleError)
  return { app, faults, requests }
}
