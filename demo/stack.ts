// Starts the demo authorization server and the demo contacts server on loopback. The demo
// (fixed ports) and the integration tests (free ports) both use it.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRemoteJWKSet } from 'jose'
import {
  type AuthorizationServer,
  createAuthorizationServer,
  type DemoClient,
} from './authorization-server.ts'
import {
  type ContactsServer,
  type ContactsServerOptions,
  createContactsServer,
} from './contacts-server.ts'
import { createGraphServer, type GraphServer, type GraphSettings } from './graph/graph-server.ts'
import { createDemoMailboxes } from './graph/seed.ts'
import { DEMO_PUBLIC_DIR, DEMO_VIEWS_DIR } from './paths.ts'
import { createDemoDirectory, DEMO_CONTACT_GROUPS } from './seed.ts'
import { DEMO_MICROSOFT_USERS } from './users.ts'

/**
 * The demo client's secret. It holds characters that RFC 6749 §2.3.1 says must be
 * form-encoded before Basic encoding, so every demo sign-in proves the client gets that
 * right. A demo value for a server on your own machine: never reuse it elsewhere.
 */
export const DEMO_CLIENT_ID = 'contacts-importer'
export const DEMO_CLIENT_SECRET = 'demo: 100% s3cret +/&=? ~'

/**
 * The contacts server's token key, fixed so that a sync token the app kept from an earlier
 * demo run is answered as expired (the app then reads everything again) rather than as
 * invalid. Page tokens only page through a person's own contacts, so knowing it gains nothing.
 */
const DEMO_TOKEN_SECRET = new TextEncoder().encode('contacts demo: page and sync tokens.')

export interface DemoServers {
  issuer: string
  contactsUrl: string
  /** The contacts server's resource indicator (RFC 8707): the `aud` of access tokens. */
  contactsAudience: string
  authorizationServer: AuthorizationServer
  contactsServer: ContactsServer
  /** Where each server actually listens (address and port). */
  listening: { authorization: AddressInfo; contacts: AddressInfo }
  close(): Promise<void>
}

export interface DemoServersOptions {
  client: DemoClient
  /** Name used in URLs (the issuer, the contacts audience). */
  publicHost?: string
  /**
   * Interface to listen on; 127.0.0.1 when not given (or empty). Only an explicit value such
   * as 0.0.0.0 exposes the demo beyond this machine.
   */
  bindHost?: string
  authorizationPort?: number
  contactsPort?: number
  accessTokenTtlSeconds?: number
  /** How the contacts server behaves; by default at full speed, with the demo control page. */
  contacts?: Pick<
    ContactsServerOptions,
    'pageLatencyMs' | 'syncTokenTtlMs' | 'expiredSyncTokenAnswer' | 'demoControl' | 'now'
  >
}

// The demo's accounts and passwords are printed on the console and its client secret is in
// the source: reachable from the network, anyone there could sign in as a demo user.
const LOOPBACK = '127.0.0.1'

async function listen(
  host: string,
  port: number,
): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const address = server.address()
  if (!address || typeof address !== 'object') throw new Error(`no TCP address for ${host}:${port}`)
  return { server, address }
}

/**
 * One demo provider's two listeners, its authorization server's and its contacts API's, and
 * the addresses they are known by (the issuer, the contacts URL and its audience).
 */
async function listenPair(
  options: { publicHost?: string; bindHost?: string; authorizationPort?: number },
  contactsPort: number | undefined,
) {
  const publicHost = options.publicHost ?? '127.0.0.1'
  // `|| LOOPBACK`, not `??`: an empty host (an unset variable) makes Node listen on every
  // interface.
  const bindHost = options.bindHost?.trim() || LOOPBACK
  const as = await listen(bindHost, options.authorizationPort ?? 0)
  const rs = await listen(bindHost, contactsPort ?? 0).catch(async (err: unknown) => {
    await close(as.server)
    throw err
  })
  const issuer = `http://${publicHost}:${as.address.port}`
  const contactsUrl = `http://${publicHost}:${rs.address.port}`
  return { as, rs, issuer, contactsUrl, contactsAudience: `${contactsUrl}/` }
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/**
 * The provider variables that point the app at the demo servers (what an operator would
 * put in the environment for a real provider).
 */
export function demoProviderEnv(demo: DemoServers): Record<string, string> {
  return {
    PROVIDERS: 'demo',
    DEMO_ISSUER: demo.issuer,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_SCOPES: 'openid profile email offline_access contacts.read',
    DEMO_CONTACTS_URL: demo.contactsUrl,
    DEMO_RESOURCE: demo.contactsAudience,
    DEMO_LABEL: 'Demo Provider',
  }
}

export async function startDemoServers(options: DemoServersOptions): Promise<DemoServers> {
  const { as, rs, issuer, contactsUrl, contactsAudience } = await listenPair(
    options,
    options.contactsPort,
  )

  const authorizationServer = await createAuthorizationServer({
    issuer,
    client: options.client,
    contactsAudience,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    viewsDir: DEMO_VIEWS_DIR,
    publicDir: DEMO_PUBLIC_DIR,
  })
  const contactsServer = createContactsServer({
    issuer,
    audience: contactsAudience,
    keys: createRemoteJWKSet(new URL(`${issuer}/jwks`)),
    pageTokenSecret: DEMO_TOKEN_SECRET,
    people: createDemoDirectory(),
    groups: DEMO_CONTACT_GROUPS,
    demoControl: true,
    ...options.contacts,
  })
  as.server.on('request', authorizationServer.app)
  rs.server.on('request', contactsServer.app)

  return {
    issuer,
    contactsUrl,
    contactsAudience,
    authorizationServer,
    contactsServer,
    listening: { authorization: as.address, contacts: rs.address },
    async close() {
      await Promise.all([close(as.server), close(rs.server)])
    },
  }
}

/** The second demo provider's client: its own id and secret, as at another provider. */
export const DEMO_MICROSOFT_CLIENT_ID = 'contacts-importer-work'
export const DEMO_MICROSOFT_CLIENT_SECRET = 'demo microsoft: w0rk s3cret'
const DEMO_GRAPH_TOKEN_SECRET = new TextEncoder().encode('graph demo: skip and delta tokens..')

export interface DemoMicrosoftServers {
  issuer: string
  /** The Graph fake's base (it serves /v1.0 below it). */
  contactsUrl: string
  contactsAudience: string
  authorizationServer: AuthorizationServer
  graphServer: GraphServer
  listening: { authorization: AddressInfo; graph: AddressInfo }
  close(): Promise<void>
}

export interface DemoMicrosoftOptions {
  client: DemoClient
  publicHost?: string
  bindHost?: string
  authorizationPort?: number
  graphPort?: number
  accessTokenTtlSeconds?: number
  graph?: Partial<GraphSettings>
}

/**
 * "Demo Microsoft": a second local authorization server (its own issuer, client and users,
 * and no revocation endpoint, as at Microsoft) and the Graph-shaped contacts fake, seeded
 * with alice's and carol's work contacts.
 */
export async function startDemoMicrosoft(
  options: DemoMicrosoftOptions,
): Promise<DemoMicrosoftServers> {
  const { as, rs, issuer, contactsUrl, contactsAudience } = await listenPair(
    options,
    options.graphPort,
  )
  const authorizationServer = await createAuthorizationServer({
    issuer,
    client: options.client,
    contactsAudience,
    contactsScope: 'Contacts.Read',
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    viewsDir: DEMO_VIEWS_DIR,
    publicDir: DEMO_PUBLIC_DIR,
    users: DEMO_MICROSOFT_USERS,
    providerName: 'Demo Microsoft',
    revocation: false,
  })
  const graphServer = createGraphServer({
    issuer,
    audience: contactsAudience,
    keys: createRemoteJWKSet(new URL(`${issuer}/jwks`)),
    tokenSecret: DEMO_GRAPH_TOKEN_SECRET,
    mailboxes: createDemoMailboxes(),
    settings: options.graph,
  })
  as.server.on('request', authorizationServer.app)
  rs.server.on('request', graphServer.app)
  return {
    issuer,
    contactsUrl,
    contactsAudience,
    authorizationServer,
    graphServer,
    listening: { authorization: as.address, graph: rs.address },
    async close() {
      await Promise.all([close(as.server), close(rs.server)])
    },
  }
}

/** The provider variables of Demo Microsoft, to add to demoProviderEnv's (PROVIDERS too). */
export function demoMicrosoftEnv(ms: DemoMicrosoftServers): Record<string, string> {
  return {
    DEMO_MICROSOFT_ISSUER: ms.issuer,
    DEMO_MICROSOFT_CLIENT_ID: DEMO_MICROSOFT_CLIENT_ID,
    DEMO_MICROSOFT_CLIENT_SECRET: DEMO_MICROSOFT_CLIENT_SECRET,
    DEMO_MICROSOFT_SCOPES: 'openid profile email offline_access Contacts.Read',
    DEMO_MICROSOFT_CONTACTS_API: 'graph',
    DEMO_MICROSOFT_CONTACTS_URL: ms.contactsUrl,
    DEMO_MICROSOFT_RESOURCE: ms.contactsAudience,
    DEMO_MICROSOFT_LABEL: 'Demo Microsoft',
  }
}
