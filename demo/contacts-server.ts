// The demo contacts resource server: a Google People API v1 look-alike protected by JWT access
// tokens from the demo authorization server. The demo runs it for real; tests drive `app`
// through supertest, change the data through `directory`, and use `faults`, `settings` and
// `requests` to steer and observe it.
import { randomBytes } from 'node:crypto'
import type { ErrorRequestHandler, Express, RequestHandler } from 'express'
import express from 'express'
import type { JWTVerifyGetKey } from 'jose'
import { createBearerAuth, readGrant } from './bearer-auth.ts'
import { type ContactDirectory, createContactDirectory } from './contact-directory.ts'
import type { ContactGroupSeed } from './contact-groups.ts'
import type { FaultQueue } from './contacts-faults.ts'
import { createFaultInjector } from './contacts-faults.ts'
import { createDemoControl } from './demo-control.ts'
import {
  type ExpiredSyncTokenAnswer,
  googleErrorForStatus,
  googleErrors,
  sendGoogleError,
} from './google-errors.ts'
import { type ConnectionsSettings, createListConnections } from './list-connections.ts'
import { createListGroups } from './list-groups.ts'
import { createPageTokens } from './page-token.ts'
import type { PeopleBySubject } from './person.ts'
import { RequestLog } from './request-log.ts'
import { createTokenSigner } from './signed-token.ts'
import { createSyncTokens } from './sync-token.ts'

export type { ContactDirectory, NewPerson, PersonChange } from './contact-directory.ts'
export type { ContactGroupSeed } from './contact-groups.ts'
export type { Fault, FaultQueue, FaultRoute } from './contacts-faults.ts'
export type { ExpiredSyncTokenAnswer } from './google-errors.ts'

/** Google's: a sync token is good for 7 days after its full sync (contacts-apis.md §3.3). */
export const SYNC_TOKEN_TTL_MS = 7 * 24 * 3600 * 1000

export interface ContactsServerOptions {
  /** Exact expected `iss`. */
  issuer: string
  /** Exact expected `aud`: this RS's resource indicator (mind the trailing slash). */
  audience: string
  /** createRemoteJWKSet(new URL(jwks_uri)) for the demo, createLocalJWKSet in tests. */
  keys: JWTVerifyGetKey
  /** Each subject's people at start; the server's `directory` changes, this stays as it is. */
  people?: PeopleBySubject
  /** The user contact groups of every subject (the system groups are always there). */
  groups?: readonly ContactGroupSeed[]
  /** Default 'contacts.read'. */
  requiredScope?: string
  /**
   * HMAC key for page and sync tokens, at least 32 bytes; random per server by default. With
   * a fixed key, a sync token of an earlier run is answered as expired instead of invalid.
   */
  pageTokenSecret?: Uint8Array
  /** Default 5 seconds. */
  clockToleranceSeconds?: number
  /** Time a page takes per 1,000 people on it (ms); default 0. */
  pageLatencyMs?: number
  /** Sync tokens expire this long after their full sync, and tombstones are kept as long. */
  syncTokenTtlMs?: number
  /** How an expired sync token is answered; default FAILED_PRECONDITION (HTTP 400). */
  expiredSyncTokenAnswer?: ExpiredSyncTokenAnswer
  /** Serve the demo control page (GET /__demo); for the loopback demo only. Default off. */
  demoControl?: boolean
  /** The clock, in ms since the epoch; Date.now by default. */
  now?: () => number
}

/** What a test may change while the server runs. */
export type ContactsServerSettings = ConnectionsSettings

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
  /** The data; every mutation bumps the change sequence that sync tokens count from. */
  directory: ContactDirectory
  faults: FaultQueue
  settings: ContactsServerSettings
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
  const now = options.now ?? Date.now
  const requests = new RequestLog<RequestLogEntry>()
  const settings: ContactsServerSettings = {
    pageLatencyMs: options.pageLatencyMs ?? 0,
    syncTokenTtlMs: options.syncTokenTtlMs ?? SYNC_TOKEN_TTL_MS,
    expiredSyncTokenAnswer: options.expiredSyncTokenAnswer ?? 'FAILED_PRECONDITION',
  }
  let generation = 0
  const { faults, inject } = createFaultInjector({
    requiredScope,
    onExpireSyncTokens: () => {
      generation += 1
    },
  })
  const directory = createContactDirectory({
    people: options.people,
    groups: options.groups,
    // Read at each purge: a test that shortens the lifetime shortens the tombstones' too.
    get tombstoneTtlMs() {
      return settings.syncTokenTtlMs
    },
    now,
  })
  const signer = createTokenSigner(options.pageTokenSecret ?? randomBytes(32))
  const pageTokens = createPageTokens(signer)
  const bearerAuth = createBearerAuth({
    issuer: options.issuer,
    audience: options.audience,
    keys: options.keys,
    requiredScope,
    clockToleranceSeconds: options.clockToleranceSeconds ?? 5,
  })
  const listConnections = createListConnections({
    directory,
    pageTokens,
    syncTokens: createSyncTokens(signer),
    settings,
    generation: () => generation,
    instance: randomBytes(9).toString('base64url'),
    now,
  })
  const listGroups = createListGroups({ directory, pageTokens, now })

  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false) // no-store data: conditional requests would only blur the tests
  app.use(logRequests(requests), noStore)
  // Only to find a form-body access_token and refuse it (RFC 6750 §2.2 is not supported here).
  const formBody = express.urlencoded({ extended: false, limit: '16kb' })

  app.get(
    '/v1/people/:id/connections',
    inject('beforeAuth', 'connections'),
    formBody,
    bearerAuth,
    inject('afterAuth', 'connections'),
    listConnections,
  )
  app.get(
    '/v1/contactGroups',
    inject('beforeAuth', 'contactGroups'),
    formBody,
    bearerAuth,
    inject('afterAuth', 'contactGroups'),
    listGroups,
  )
  if (options.demoControl) app.use(createDemoControl(directory))

  app.use(notFound)
  app.use(handleError)
  return { app, directory, faults, settings, requests }
}
