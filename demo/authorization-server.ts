// The bundled local OpenID Provider, built on oidc-provider. It is configured the way a
// strict production provider would be, so the client is exercised against the real thing:
// one confidential client using client_secret_basic, code flow only, PKCE required, refresh
// tokens with rotation, JWT access tokens (RFC 9068) audience-restricted to the contacts
// server, and our own login and consent pages instead of devInteractions.
import { randomBytes } from 'node:crypto'
import express from 'express'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import Provider, { errors } from 'oidc-provider'
import { createInteractionRoutes } from './interactions.ts'
import { createMemoryAdapter, DEFAULT_MODEL_LIMIT } from './memory-adapter.ts'
import { providerErrorHandler } from './provider-error-handler.ts'
import { errorPage, logoutPage, signedOutPage } from './provider-pages.ts'
import { RequestLog } from './request-log.ts'
import { type DemoUser, findDemoUser } from './users.ts'

export interface DemoClient {
  clientId: string
  clientSecret: string
  redirectUris: string[]
  postLogoutRedirectUris?: string[]
}

export interface AuthorizationServerOptions {
  /** Externally visible issuer, e.g. http://localhost:4000 (no trailing slash). */
  issuer: string
  client: DemoClient
  /** Resource indicator of the contacts server: the `aud` of every access token. */
  contactsAudience: string
  /** Scope the contacts server requires. */
  contactsScope?: string
  accessTokenTtlSeconds?: number
  refreshTokenTtlSeconds?: number
  /** Directory holding demo/*.ejs. */
  viewsDir: string
  /** Directory holding provider.css. */
  publicDir: string
  /** Signing keys; a fresh RSA key is generated when omitted. */
  jwks?: { keys: JWK[] }
  /** Who may sign in; the demo users by default. */
  users?: readonly DemoUser[]
  /** How the login page names this provider; default "Demo Provider". */
  providerName?: string
  /** Serve RFC 7009 revocation (default on). Off, it is like Microsoft: no endpoint at all. */
  revocation?: boolean
}

/** One request to a protocol endpoint, as the server saw it (for tests and the bench). */
export interface EndpointRequest {
  endpoint: string
  method: string
  authorization: string | undefined
  params: Record<string, unknown>
  status: number
}

export interface AuthorizationServer {
  provider: Provider
  app: express.Express
  /** The last REQUEST_LOG_LIMIT requests to /token and /revoke, in order (mark()/since()). */
  requests: RequestLog<EndpointRequest>
  /**
   * Runs before the provider handles a /token or /revoke request. Tests use it to slow
   * the server down or make it fail; a request whose client hung up meanwhile is dropped
   * unprocessed, as a real server would.
   */
  intercept: ((endpoint: string, ctx: ProviderContext) => Promise<boolean | undefined>) | undefined
  /** Revoke every grant the account gave (what "remove access" does in a provider's UI). */
  revokeAccountGrants(accountId: string): Promise<number>
  /** How many records each model holds: each model's store is bounded on its own. */
  storedRecords(): Record<string, number>
}

/** The Koa context oidc-provider hands its middleware. */
export type ProviderContext = Parameters<Parameters<Provider['use']>[0]>[0]

const ROUTES = {
  authorization: '/authorize',
  token: '/token',
  revocation: '/revoke',
  jwks: '/jwks',
  userinfo: '/userinfo',
  end_session: '/session/end',
} as const

const OBSERVED: Record<string, string> = {
  [ROUTES.token]: 'token',
  [ROUTES.revocation]: 'revocation',
}

async function generateJwks(): Promise<{ keys: JWK[] }> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 })
  const jwk = await exportJWK(privateKey)
  return { keys: [{ ...jwk, kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' }] }
}

export async function createAuthorizationServer(
  options: AuthorizationServerOptions,
): Promise<AuthorizationServer> {
  const accessTokenTtl = options.accessTokenTtlSeconds ?? 300
  const refreshTokenTtl = options.refreshTokenTtlSeconds ?? 14 * 24 * 3600
  const contactsScope = options.contactsScope ?? 'contacts.read'
  const grantsByAccount = new Map<string, Set<string>>()
  // Not oidc-provider's development adapter: its one shared LRU let anonymous /authorize
  // traffic evict the grants of people who signed in (see memory-adapter.ts).
  const adapter = createMemoryAdapter()

  const provider = new Provider(options.issuer, {
    adapter,
    clients: [
      {
        client_id: options.client.clientId,
        client_secret: options.client.clientSecret,
        client_name: 'Contacts Importer',
        redirect_uris: options.client.redirectUris,
        post_logout_redirect_uris: options.client.postLogoutRedirectUris ?? [],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: options.jwks ?? (await generateJwks()),
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: ROUTES,
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic'],
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name'],
      email: ['email', 'email_verified'],
    },
    // PKCE for every client, not only public ones: closes code injection and PKCE
    // downgrade (RFC 9700 §2.1.1, §4.8.2).
    pkce: { required: () => true },
    // Every use of a refresh token returns a new one; presenting a used one revokes the
    // whole grant (RFC 9700 §4.14.2), which is what makes the client's single-flight matter.
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: refreshTokenTtl,
      Grant: refreshTokenTtl,
      Session: 14 * 24 * 3600,
      Interaction: 600,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: options.revocation ?? true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.type = 'html'
          ctx.body = logoutPage(form, ctx.oidc.client?.clientName)
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html'
          ctx.body = signedOutPage()
        },
      },
      userinfo: { enabled: true },
      // The client and the contacts server are bearer-only; with DPoP on, a DPoP-bound
      // token would reach a server that must reject it (RFC 9449 §7.2).
      dPoP: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? options.contactsAudience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (indicator !== options.contactsAudience) throw new errors.InvalidTarget()
          return {
            scope: contactsScope,
            audience: options.contactsAudience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: accessTokenTtl,
            jwt: { sign: { alg: 'RS256' } },
          }
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => {
      const user = findDemoUser(sub, options.users)
      if (!user) return undefined
      return {
        accountId: user.id,
        claims: async () => ({
          sub: user.id,
          name: user.name,
          given_name: user.givenName,
          family_name: user.familyName,
          email: user.email,
          email_verified: true,
        }),
      }
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html'
      ctx.body = errorPage(out)
    },
  })

  const server: AuthorizationServer = {
    provider,
    app: express(),
    requests: new RequestLog(),
    intercept: undefined,
    async revokeAccountGrants(accountId) {
      const grantIds = [...(grantsByAccount.get(accountId) ?? [])]
      grantsByAccount.delete(accountId)
      for (const grantId of grantIds) {
        await Promise.all([
          provider.AccessToken.revokeByGrantId(grantId),
          provider.RefreshToken.revokeByGrantId(grantId),
          provider.AuthorizationCode.revokeByGrantId(grantId),
          provider.Grant.adapter.destroy(grantId),
        ])
      }
      return grantIds.length
    },
    storedRecords: () => adapter.sizes(),
  }

  provider.use(async (ctx, next) => {
    const endpoint = ctx.method === 'POST' ? OBSERVED[ctx.path] : undefined
    if (!endpoint) return next()
    if (server.intercept && (await server.intercept(endpoint, ctx)) === false) return
    // The client gave up while we were held back: like a real server whose connection
    // dropped before it read the request, do not act on it.
    if (ctx.req.destroyed || ctx.req.socket.destroyed) return
    await next()
    const params = ctx.oidc?.params ? { ...ctx.oidc.params } : {}
    server.requests.push({
      endpoint,
      method: ctx.method,
      authorization: ctx.get('authorization') || undefined,
      params,
      status: ctx.status,
    })
  })

  server.app.disable('x-powered-by')
  server.app.set('views', options.viewsDir)
  server.app.set('view engine', 'ejs')
  server.app.get('/provider.css', (_req, res) => {
    res.sendFile('provider.css', { root: options.publicDir, maxAge: '1h' })
  })
  server.app.use(
    createInteractionRoutes({
      provider,
      users: options.users,
      providerName: options.providerName,
      onGrant: (accountId, grantId) => {
        const grants = grantsByAccount.get(accountId) ?? new Set()
        grants.add(grantId)
        // The Grant store keeps no more than this either: older ids are gone there already.
        for (const oldest of grants) {
          if (grants.size <= DEFAULT_MODEL_LIMIT) break
          grants.delete(oldest)
        }
        grantsByAccount.set(accountId, grants)
      },
    }),
  )
  server.app.use(provider.callback())
  server.app.use(providerErrorHandler)
  return server
}
