// A small Entra-like identity endpoint for tests (contacts-apis.md §4.5, §8.1 and §8.6): the
// routes of login.microsoftonline.com under /:tenant — discovery with the multi-tenant issuer
// template, authorize, token (client_secret_basic or _post, PKCE, single-use codes, refresh
// rotation), keys — and nothing else: no revocation endpoint, and a discovery document that,
// like the real one, lists neither `code_challenge_methods_supported` nor revocation.
// There is no login page: each authorization signs in the account the test chose
// (signInAs), consenting to what the test says, with ID token claims it may alter.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import express, { type Request, type Response } from 'express'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'

/** Where the real service lives: ID tokens name it, and openid-client recognises it. */
export const ENTRA_ORIGIN = 'https://login.microsoftonline.com'
/** The directory of personal Microsoft accounts (what `consumers` resolves to). */
export const CONSUMERS_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad'

const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const TEMPLATED = new Set(['common', 'organizations'])

export interface EntraAccount {
  /** Object id of the user in its directory. */
  oid: string
  /** The directory (tenant) the account belongs to. */
  tid: string
  name: string
  email: string
}

export interface EntraSignIn {
  account: EntraAccount
  /** What the person consents to, of the requested scopes (default: all of them). */
  grant?: (requested: string[]) => string[]
  /** ID token claims to replace; `undefined` removes one (e.g. `tid`). */
  claims?: Record<string, unknown>
}

export interface EntraClient {
  clientId: string
  clientSecret: string
  redirectUris: string[]
}

export interface EntraRequest {
  endpoint: 'authorize' | 'token' | 'keys' | 'discovery'
  tenant: string
  /** How the client authenticated at the token endpoint. */
  clientAuth?: 'client_secret_basic' | 'client_secret_post'
  params: Record<string, string>
  status: number
}

export interface EntraFake {
  /** Where the fake listens (http://127.0.0.1:port); endpoints in its metadata point here. */
  origin: string
  register(client: EntraClient): void
  /** The next authorization signs in this way (once); otherwise as `defaultAccount`. */
  signInAs(signIn: EntraSignIn): void
  defaultAccount: EntraAccount
  requests: EntraRequest[]
  close(): Promise<void>
}

interface IssuedCode {
  clientId: string
  redirectUri: string
  challenge: string | undefined
  nonce: string | undefined
  scopes: string[]
  signIn: EntraSignIn
  expiresAt: number
}

interface Grant {
  clientId: string
  scopes: string[]
  signIn: EntraSignIn
}

/** Entra's error body (§4.5): an AADSTS code in the description and in error_codes. */
function aadError(res: Response, status: number, error: string, code: number, text: string) {
  res.status(status).json({
    error,
    error_description: `AADSTS${code}: ${text} Trace ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  })
}

/** RFC 6749 §2.3.1: Basic credentials are form-encoded before base64. */
function basicCredentials(header: string | undefined): [string, string] | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '')
  if (!match?.[1]) return undefined
  const decoded = Buffer.from(match[1], 'base64').toString()
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  const formDecode = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '))
  return [formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1))]
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url')
const now = () => Math.floor(Date.now() / 1000)

export async function startEntraFake(
  options: { defaultAccount?: EntraAccount } = {},
): Promise<EntraFake> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const kid = randomBytes(8).toString('hex')
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' }
  const clients = new Map<string, EntraClient>()
  const codes = new Map<string, IssuedCode>()
  const grants = new Map<string, Grant>()
  let next: EntraSignIn | undefined

  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address !== 'object') throw new Error('no port')
  const origin = `http://127.0.0.1:${address.port}`

  const fake: EntraFake = {
    origin,
    register: (client) => clients.set(client.clientId, client),
    signInAs: (signIn) => {
      next = signIn
    },
    defaultAccount: options.defaultAccount ?? {
      oid: randomUUID(),
      tid: randomUUID(),
      name: 'Megan Bowen',
      email: 'megan@contoso.example',
    },
    requests: [],
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }

  /** The issuer a tenant segment's discovery document names (§4.5). */
  function issuerOf(tenant: string): string | undefined {
    if (TEMPLATED.has(tenant)) return `${ENTRA_ORIGIN}/{tenantid}/v2.0`
    if (tenant === 'consumers') return `${ENTRA_ORIGIN}/${CONSUMERS_TENANT}/v2.0`
    if (TENANT_ID.test(tenant)) return `${ENTRA_ORIGIN}/${tenant}/v2.0`
    return undefined
  }

  async function idToken(grant: Grant, nonce: string | undefined): Promise<string> {
    const { account, claims: replaced = {} } = grant.signIn
    const claims: Record<string, unknown> = {
      ver: '2.0',
      iss: `${ENTRA_ORIGIN}/${account.tid}/v2.0`,
      aud: grant.clientId,
      iat: now(),
      nbf: now(),
      exp: now() + 3600,
      // Pairwise: the same account has another `sub` in every app.
      sub: createHash('sha256').update(`${account.oid}:${grant.clientId}`).digest('base64url'),
      oid: account.oid,
      tid: account.tid,
      name: account.name,
      preferred_username: account.email,
      email: account.email,
      ...(nonce ? { nonce } : {}),
    }
    for (const [name, value] of Object.entries(replaced)) {
      if (value === undefined) delete claims[name]
      else claims[name] = value
    }
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .sign(privateKey)
  }

  const app = express()
  app.disable('x-powered-by')
  const log = (req: Request, res: Response, entry: Omit<EntraRequest, 'status' | 'tenant'>) => {
    res.on('finish', () =>
      fake.requests.push({ ...entry, tenant: String(req.params.tenant), status: res.statusCode }),
    )
  }

  app.get('/:tenant/v2.0/.well-known/openid-configuration', (req, res) => {
    const tenant = String(req.params.tenant)
    log(req, res, { endpoint: 'discovery', params: {} })
    const issuer = issuerOf(tenant)
    if (!issuer) {
      aadError(res, 400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`)
      return
    }
    const base = `${origin}/${tenant}`
    res.json({
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: [
        'client_secret_post',
        'private_key_jwt',
        'client_secret_basic',
      ],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer,
      request_uri_parameter_supported: false,
      userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'name', 'oid', 'tid'],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: null,
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    })
  })

  app.get('/:tenant/discovery/v2.0/keys', (req, res) => {
    log(req, res, { endpoint: 'keys', params: {} })
    res.json({ keys: [publicJwk] })
  })

  app.get('/:tenant/oauth2/v2.0/authorize', (req, res) => {
    const params = Object.fromEntries(
      Object.entries(req.query).filter((e): e is [string, string] => typeof e[1] === 'string'),
    )
    log(req, res, { endpoint: 'authorize', params })
    const client = clients.get(params.client_id ?? '')
    if (!client || !issuerOf(String(req.params.tenant))) {
      res.status(400).type('text').send('AADSTS700016: Application not found in the directory.')
      return
    }
    const redirectUri = params.redirect_uri ?? ''
    if (!client.redirectUris.includes(redirectUri)) {
      res.status(400).type('text').send('AADSTS50011: The redirect URI does not match.')
      return
    }
    const back = new URL(redirectUri)
    const fail = (error: string, description: string) => {
      back.searchParams.set('error', error)
      back.searchParams.set('error_description', description)
      if (params.state) back.searchParams.set('state', params.state)
      res.redirect(302, back.href)
    }
    if (params.response_type !== 'code') {
      fail('unsupported_response_type', 'AADSTS70005: response_type is not supported.')
      return
    }
    const requested = (params.scope ?? '').split(' ').filter(Boolean)
    if (!requested.includes('openid')) {
      fail('invalid_request', 'AADSTS900144: The request body must contain scope openid.')
      return
    }
    // Entra takes one prompt value only (AADSTS90023).
    if (params.prompt && !['login', 'none', 'consent', 'select_account'].includes(params.prompt)) {
      fail('invalid_request', "AADSTS90023: Unsupported 'prompt' value.")
      return
    }
    // This fake insists on PKCE S256, which the app must send though discovery omits it.
    if (!params.code_challenge || params.code_challenge_method !== 'S256') {
      fail('invalid_request', 'AADSTS9002325: Proof Key for Code Exchange is required.')
      return
    }
    const signIn = next ?? { account: fake.defaultAccount }
    next = undefined
    const code = randomBytes(32).toString('base64url')
    codes.set(code, {
      clientId: client.clientId,
      redirectUri,
      challenge: params.code_challenge,
      nonce: params.nonce,
      scopes: signIn.grant ? signIn.grant(requested) : requested,
      signIn,
      expiresAt: Date.now() + 600_000,
    })
    back.searchParams.set('code', code)
    if (params.state) back.searchParams.set('state', params.state)
    back.searchParams.set('session_state', randomUUID())
    res.redirect(302, back.href)
  })

  app.post(
    '/:tenant/oauth2/v2.0/token',
    express.urlencoded({ extended: false, limit: '16kb' }),
    async (req, res) => {
      const body = (req.body ?? {}) as Record<string, string>
      const basic = basicCredentials(req.get('authorization'))
      const clientAuth = basic ? 'client_secret_basic' : 'client_secret_post'
      const { client_secret: _secret, ...logged } = body
      log(req, res, { endpoint: 'token', clientAuth, params: logged })
      if (basic && body.client_secret !== undefined) {
        aadError(res, 400, 'invalid_request', 90014, 'Only one client authentication method.')
        return
      }
      const [clientId, secret] = basic ?? [body.client_id, body.client_secret]
      const client = clients.get(clientId ?? '')
      if (!client || secret === undefined) {
        aadError(
          res,
          401,
          'invalid_client',
          7000218,
          'The request body must contain client_secret.',
        )
        return
      }
      if (secret !== client.clientSecret) {
        aadError(res, 401, 'invalid_client', 7000215, 'Invalid client secret provided.')
        return
      }
      let grant: Grant
      let nonce: string | undefined
      if (body.grant_type === 'authorization_code') {
        const issued = codes.get(body.code ?? '')
        codes.delete(body.code ?? '')
        if (!issued || issued.clientId !== client.clientId || issued.expiresAt < Date.now()) {
          aadError(res, 400, 'invalid_grant', 70008, 'The provided authorization code is invalid.')
          return
        }
        if (body.redirect_uri !== issued.redirectUri) {
          aadError(res, 400, 'invalid_grant', 50011, 'The redirect URI does not match.')
          return
        }
        if (issued.challenge && s256(body.code_verifier ?? '') !== issued.challenge) {
          aadError(res, 400, 'invalid_grant', 501481, 'The Code_Verifier does not match.')
          return
        }
        grant = { clientId: client.clientId, scopes: issued.scopes, signIn: issued.signIn }
        nonce = issued.nonce
      } else if (body.grant_type === 'refresh_token') {
        const found = grants.get(body.refresh_token ?? '')
        if (!found || found.clientId !== client.clientId) {
          aadError(res, 400, 'invalid_grant', 9002313, 'Invalid refresh token.')
          return
        }
        grant = found
      } else {
        aadError(res, 400, 'unsupported_grant_type', 70003, 'The grant type is not supported.')
        return
      }
      // A refresh token only with offline_access; each refresh returns a new one, and the
      // old one stays valid (Entra's rotation, §4.5).
      const refreshToken = grant.scopes.includes('offline_access')
        ? randomBytes(32).toString('base64url')
        : undefined
      if (refreshToken) grants.set(refreshToken, grant)
      res.json({
        token_type: 'Bearer',
        // Entra echoes what was consented, without offline_access.
        scope: grant.scopes.filter((s) => s !== 'offline_access').join(' '),
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: randomBytes(32).toString('base64url'),
        ...(refreshToken ? { refresh_token: refreshToken } : {}),
        ...(grant.scopes.includes('openid') ? { id_token: await idToken(grant, nonce) } : {}),
      })
    },
  )

  app.get('/:tenant/oauth2/v2.0/logout', (_req, res) => {
    res.type('html').send('<!doctype html><title>Signed out</title><p>You signed out.</p>')
  })

  server.on('request', app)
  return fake
}
