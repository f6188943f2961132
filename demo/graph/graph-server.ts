// The demo's Microsoft Graph look-alike (contacts-apis.md §8.1–8.5): the contacts routes of
// Graph v1.0 behind JWT access tokens from a demo authorization server, checked as the
// People fake checks them (bearer-auth.ts), with Graph's error envelope, a `request-id` on
// every answer, Outlook's per-mailbox throttling, and switches and faults for tests. The
// demo runs it for real; tests drive it over HTTP and change its data through `mailboxes`.
import { randomBytes, randomUUID } from 'node:crypto'
import type { ErrorRequestHandler, Express, RequestHandler } from 'express'
import express from 'express'
import type { JWTVerifyGetKey } from 'jose'
import { type BearerRefusals, createBearerAuth, readGrant } from '../bearer-auth.ts'
import { RequestLog } from '../request-log.ts'
import { createTokenSigner } from '../signed-token.ts'
import { createDelta } from './delta.ts'
import { createFolderRoutes } from './folders.ts'
import { graphErrorForStatus, graphErrors, sendGraphError } from './graph-errors.ts'
import {
  createGraphFaults,
  type GraphFault,
  type GraphRoute,
  type GraphThrottle,
} from './graph-faults.ts'
import { defaultGraphSettings, type GraphSettings } from './graph-settings.ts'
import { createListContacts } from './list-contacts.ts'
import { createMailboxes, type Mailboxes, type MailboxSeed } from './mailbox.ts'

export type { GraphFault, GraphRoute } from './graph-faults.ts'
export type { GraphSettings } from './graph-settings.ts'
export type { GraphFields, Mailboxes, MailboxSeed } from './mailbox.ts'

export interface GraphServerOptions {
  issuer: string
  audience: string
  keys: JWTVerifyGetKey
  /** Each subject's mailbox at start. */
  mailboxes?: Readonly<Record<string, MailboxSeed>>
  /** Any of these scopes lets a token read contacts; default Contacts.Read, Contacts.ReadWrite. */
  scopes?: readonly string[]
  /** HMAC key of skip and delta tokens (≥ 32 bytes); random by default. */
  tokenSecret?: Uint8Array
  settings?: Partial<GraphSettings>
  throttle?: Partial<GraphThrottle>
  now?: () => number
}

export interface GraphRequestLogEntry {
  method: string
  path: string
  /** The request target exactly as received (path and query). */
  url: string
  query: Record<string, string>
  prefer: string | undefined
  sub?: string
  status: number
}

export interface GraphServer {
  app: Express
  mailboxes: Mailboxes
  faults: {
    add(fault: GraphFault): void
    clear(): void
    /** Every delta and skip token handed out so far is answered 410 from now on. */
    expireDeltaTokens(): void
  }
  settings: GraphSettings
  /** The highest number of requests of one mailbox the fake saw at once. */
  stats: { maxInFlight: number }
  requests: RequestLog<GraphRequestLogEntry>
}

const refusals: BearerRefusals = (res, refusal) => {
  switch (refusal) {
    case 'missing':
      return sendGraphError(res, graphErrors.missingToken())
    case 'scope':
      return sendGraphError(res, graphErrors.accessDenied())
    case 'unavailable':
      return sendGraphError(res, graphErrors.unavailable())
    default:
      return sendGraphError(res, graphErrors.invalidToken())
  }
}

export function createGraphServer(options: GraphServerOptions): GraphServer {
  const now = options.now ?? Date.now
  const settings: GraphSettings = { ...defaultGraphSettings(), ...options.settings }
  const throttle: GraphThrottle = {
    maxInFlight: 4,
    retryAfter: '1',
    requestsPerWindow: 10_000,
    windowMs: 10 * 60_000,
    ...options.throttle,
  }
  const requests = new RequestLog<GraphRequestLogEntry>()
  const mailboxes = createMailboxes({ now })
  for (const [sub, seed] of Object.entries(options.mailboxes ?? {})) mailboxes.replace(sub, seed)
  const signer = createTokenSigner(options.tokenSecret ?? randomBytes(32))
  let generation = 0
  const injector = createGraphFaults(throttle, now)
  const bearerAuth = createBearerAuth({
    issuer: options.issuer,
    audience: options.audience,
    keys: options.keys,
    requiredScope: options.scopes ?? ['Contacts.Read', 'Contacts.ReadWrite'],
    clockToleranceSeconds: 5,
    realm: '',
    refusals,
  })
  const folders = createFolderRoutes(mailboxes)
  const list = createListContacts({ mailboxes, signer, settings })
  const delta = createDelta({ mailboxes, signer, settings, generation: () => generation, now })

  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.set('query parser', 'simple')
  app.use(((req, res, next) => {
    res.set('request-id', randomUUID())
    res.set('client-request-id', req.get('client-request-id') ?? randomUUID())
    res.set('Cache-Control', 'no-store')
    const url = new URL(req.originalUrl, 'http://graph.invalid')
    const entry = {
      method: req.method,
      path: url.pathname,
      url: req.originalUrl,
      query: Object.fromEntries(url.searchParams),
      prefer: req.get('prefer'),
    }
    res.on('finish', () => {
      const sub = readGrant(res)?.sub
      requests.push({ ...entry, ...(sub && { sub }), status: res.statusCode })
    })
    next()
  }) satisfies RequestHandler)

  const route = (path: string, name: Exclude<GraphRoute, '*'>, handler: RequestHandler) =>
    app.get(
      path,
      injector.inject('beforeAuth', name),
      bearerAuth,
      injector.limit,
      injector.inject('afterAuth', name),
      handler,
    )
  route('/v1.0/me', 'contact', folders.me)
  route('/v1.0/me/contacts', 'contacts', list)
  route('/v1.0/me/contacts/delta', 'delta', delta)
  route('/v1.0/me/contacts/:id', 'contact', folders.oneContact)
  route('/v1.0/me/contacts/:id/photo/$value', 'photo', folders.photo)
  route('/v1.0/me/contactFolders', 'folders', folders.topFolders)
  route('/v1.0/me/contactFolders/:folder/childFolders', 'folders', folders.childFolders)
  route('/v1.0/me/contactFolders/:folder/contacts', 'contacts', list)
  route('/v1.0/me/contactFolders/:folder/contacts/delta', 'delta', delta)

  app.use(((_req, res) => sendGraphError(res, graphErrors.notFound())) satisfies RequestHandler)
  app.use(((err: unknown, _req, res, next) => {
    if (res.headersSent) return next(err)
    const status =
      typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number'
        ? err.status
        : 500
    if (status >= 500) console.error('graph demo: unexpected error', err)
    sendGraphError(res, graphErrorForStatus(status >= 400 && status < 500 ? status : 500))
  }) satisfies ErrorRequestHandler)

  return {
    app,
    mailboxes,
    faults: {
      add: injector.faults.add,
      clear: injector.faults.clear,
      expireDeltaTokens() {
        generation += 1
      },
    },
    settings,
    stats: injector.stats,
    requests,
  }
}
