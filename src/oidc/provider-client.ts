// Everything the app asks of one OpenID Provider, on top of openid-client: discovery, the
// authorization URL, the code exchange, refresh, revocation and resource calls. It is the
// boundary module: openid-client's errors are translated here (oidc-errors.ts).
import * as client from 'openid-client'
import type { ProviderConfig } from '../config.ts'
import { AppError, ErrorCode } from '../errors.ts'
import type { Logger } from '../log.ts'
import { missingContactsScopes } from './granted-scopes.ts'
import { type OidcPhase, translateOidcError } from './oidc-errors.ts'
import { isTenantTemplate, tenantIssuerProblem } from './tenant-issuer.ts'

/** Tokens as a grant or a refresh returned them. */
export interface IssuedTokens {
  accessToken: string
  refreshToken: string | undefined
  idToken: string | undefined
  /** Epoch seconds. */
  expiresAt: number
  /** Epoch seconds after which the refresh token ends, when the provider said. */
  refreshExpiresAt: number | undefined
  /** Granted scopes; undefined when the response did not say (RFC 6749 §5.1: unchanged). */
  scope: string[] | undefined
  /** Claims of the ID token, when one came with the response (already validated). */
  claims: client.IDToken | undefined
}

/** Google (apps in testing) and Microsoft tell when the refresh token ends; Keycloak too. */
function refreshEndOf(tokens: client.TokenEndpointResponse): number | undefined {
  const seconds = tokens.refresh_token_expires_in ?? tokens.refresh_expires_in
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0
    ? Math.floor(Date.now() / 1000) + Math.floor(seconds)
    : undefined
}

export interface ProviderClient {
  readonly settings: ProviderConfig
  /** Discovery runs once and is cached; a failure is not cached, so the next call retries. */
  discover(): Promise<client.Configuration>
  /** `loginHint`: the account a reconnect expects (OIDC Core §3.1.2.1 login_hint). */
  authorizationUrl(checks: {
    state: string
    nonce: string
    codeChallenge: string
    loginHint?: string | undefined
  }): Promise<URL>
  exchangeCode(
    callbackQuery: string,
    checks: { state: string; nonce: string; codeVerifier: string; returnTo: string },
  ): Promise<IssuedTokens & { claims: client.IDToken; scope: string[] }>
  refresh(refreshToken: string, expectedSubject: string): Promise<IssuedTokens>
  /** False when the provider has no revocation endpoint (e.g. Microsoft). */
  supportsRevocation(): Promise<boolean>
  revoke(token: string, hint: 'refresh_token' | 'access_token'): Promise<void>
  /**
   * Where to send the browser to end the person's session at the provider too (OpenID
   * Connect RP-Initiated Logout), or undefined when the provider offers no such endpoint.
   */
  endSessionUrl(postLogoutRedirectUri: string): Promise<URL | undefined>
  /** `headers`: extra request headers (Graph's `Prefer`); never an Authorization header. */
  fetchResource(accessToken: string, url: URL, headers?: Record<string, string>): Promise<Response>
}

export interface ProviderClientOptions {
  /** APP_URL is http on localhost: the demo and tests talk to http providers. */
  localHttp: boolean
  timeoutSeconds: number
  log: Logger
  /** openid-client's customFetch: tests observe and tamper with provider traffic here. */
  fetch?: client.CustomFetch
}

/** Used when a token response has no expires_in (RFC 6749 §5.1 makes it optional). */
const DEFAULT_LIFETIME_SECONDS = 3600

export function createProviderClient(
  settings: ProviderConfig,
  options: ProviderClientOptions,
): ProviderClient {
  let discovery: Promise<client.Configuration> | undefined
  const extraTokenParams = settings.resource ? { resource: settings.resource } : undefined

  /** Our error for `err`; a rejected client secret is also told to the operators, loudly. */
  function fail(err: unknown, phase: OidcPhase, returnTo?: string): unknown {
    const translated = translateOidcError(err, phase, settings.id, returnTo)
    if (translated instanceof AppError && translated.code === ErrorCode.CLIENT_MISCONFIGURED) {
      options.log.error(
        { err, provider: settings.id, phase },
        `the provider rejected our client credentials: check ${settings.id.toUpperCase()}_CLIENT_SECRET, ` +
          'and that the provider accepts client_secret_basic for this client',
      )
    } else if (translated instanceof AppError && translated.code === ErrorCode.PROVIDER_ERROR) {
      options.log.error(
        { err, provider: settings.id, phase },
        'the provider sent an answer we cannot use',
      )
    }
    return translated
  }

  async function runDiscovery(): Promise<client.Configuration> {
    // Discovery by issuer identifier, not by the well-known URL, so that openid-client
    // checks the metadata's `issuer` (mix-up defence, RFC 9700 §4.4).
    const config = await client.discovery(
      settings.issuer,
      settings.clientId,
      undefined,
      // openid-client would default to client_secret_post; RFC 6749 §2.3.1 Basic it is.
      client.ClientSecretBasic(settings.clientSecret),
      {
        timeout: options.timeoutSeconds,
        execute: options.localHttp ? [client.allowInsecureRequests] : [],
        ...(options.fetch ? { [client.customFetch]: options.fetch } : {}),
      },
    )
    config.timeout = options.timeoutSeconds
    const metadata = config.serverMetadata()
    // RFC 9700 §4.7.1 / §4.8.2: never run a flow with a provider that may ignore PKCE.
    // Entra documents S256 without advertising it: its preset says so (pkceDocumented).
    if (!metadata.supportsPKCE('S256') && !settings.pkceDocumented) {
      throw new client.ClientError('the provider does not advertise PKCE S256')
    }
    const methods = metadata.token_endpoint_auth_methods_supported
    if (methods && !methods.includes('client_secret_basic')) {
      throw new client.ClientError(
        `the provider does not accept client_secret_basic (it offers ${methods.join(', ')})`,
      )
    }
    return config
  }

  /** Best effort: revokes tokens nobody will use, where the provider can revoke at all. */
  async function discard(issued: IssuedTokens): Promise<void> {
    try {
      const config = await configuration()
      if (!config.serverMetadata().revocation_endpoint) return
      if (issued.refreshToken) {
        await client.tokenRevocation(config, issued.refreshToken, {
          token_type_hint: 'refresh_token',
        })
      }
      await client
        .tokenRevocation(config, issued.accessToken, { token_type_hint: 'access_token' })
        .catch(() => {})
    } catch (err) {
      options.log.warn({ err, provider: settings.id }, 'unused tokens could not be revoked')
    }
  }

  async function configuration(): Promise<client.Configuration> {
    discovery ??= runDiscovery().catch((err: unknown) => {
      discovery = undefined
      options.log.error(
        { err, provider: settings.id, issuer: settings.issuer.href },
        'OpenID discovery failed',
      )
      throw fail(err, 'discovery')
    })
    return discovery
  }

  function toIssued(
    config: client.Configuration,
    tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
  ): IssuedTokens {
    const claims = tokens.claims()
    // Entra's `common` / `organizations`: the issuer is that of the directory the token
    // names (tenant-issuer.ts), checked on top of openid-client's own check.
    const { issuer } = config.serverMetadata()
    const problem = claims && isTenantTemplate(issuer) && tenantIssuerProblem(issuer, claims)
    if (problem) throw new client.ClientError(problem)
    const lifetime = tokens.expiresIn() ?? DEFAULT_LIFETIME_SECONDS
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      idToken: tokens.id_token,
      expiresAt: Math.floor(Date.now() / 1000) + lifetime,
      refreshExpiresAt: refreshEndOf(tokens),
      scope: tokens.scope?.split(' ').filter(Boolean),
      claims,
    }
  }

  return {
    settings,
    discover: configuration,

    async authorizationUrl({ state, nonce, codeChallenge, loginHint }) {
      const config = await configuration()
      const params: Record<string, string> = {
        redirect_uri: settings.redirectUri.href,
        scope: settings.scopes.join(' '),
        state,
        nonce,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      }
      // OIDC Core §11: offline access is only granted after explicit consent.
      if (settings.scopes.includes('offline_access')) params.prompt = 'consent'
      if (settings.resource) params.resource = settings.resource
      // Provider-specific extras (Google: access_type=offline). Config refuses any that
      // would replace one of the parameters above.
      for (const [name, value] of settings.authParams) params[name] = value
      // Only a hint: the provider may ignore it, and the callback trusts the ID token alone.
      if (loginHint) params.login_hint = loginHint
      return client.buildAuthorizationUrl(config, params)
    },

    async exchangeCode(callbackQuery, checks) {
      const config = await configuration()
      let exchanged: IssuedTokens & { claims: client.IDToken; scope: string[] }
      // redirect_uri in the token request is derived from this URL, so it is built from
      // configuration, never from Host or X-Forwarded-* headers (RFC 6749 §4.1.3).
      const currentUrl = new URL(settings.redirectUri)
      currentUrl.search = callbackQuery
      try {
        const tokens = await client.authorizationCodeGrant(
          config,
          currentUrl,
          {
            pkceCodeVerifier: checks.codeVerifier,
            expectedState: checks.state,
            expectedNonce: checks.nonce,
            idTokenExpected: true,
          },
          extraTokenParams,
        )
        const issued = toIssued(config, tokens)
        if (!issued.claims) throw new client.ClientError('the token response has no ID token')
        // No scope in the response: what was asked for was granted (RFC 6749 §5.1).
        exchanged = { ...issued, claims: issued.claims, scope: issued.scope ?? settings.scopes }
      } catch (err) {
        throw fail(err, 'callback', checks.returnTo)
      }
      const missing = missingContactsScopes(settings, exchanged.scope)
      if (missing.length > 0) {
        // Signed in, but no permission to read the contacts: nothing can use these tokens.
        await discard(exchanged)
        options.log.info(
          { provider: settings.id, missing },
          'sign-in refused: the contacts scope was not granted',
        )
        throw new AppError(
          ErrorCode.SCOPE_NOT_GRANTED,
          `You signed in with ${settings.label}, but did not allow access to your contacts, so the app cannot import them. Connect again and, when ${settings.label} asks, allow the app to see your contacts.`,
          { status: 403, provider: settings.id, returnTo: checks.returnTo },
        )
      }
      return exchanged
    },

    async refresh(refreshToken, expectedSubject) {
      const config = await configuration()
      let issued: IssuedTokens
      try {
        issued = toIssued(
          config,
          await client.refreshTokenGrant(config, refreshToken, extraTokenParams),
        )
      } catch (err) {
        throw fail(err, 'refresh')
      }
      // openid-client checks iss, aud and exp of a refreshed ID token but not that it names
      // the same person (OIDC Core §12.2). Tokens for someone else are never stored.
      if (issued.claims && issued.claims.sub !== expectedSubject) {
        throw new AppError(
          ErrorCode.IDENTITY_MISMATCH,
          'The provider answered for a different account, so you were signed out. Please sign in again.',
          {
            status: 403,
            provider: settings.id,
            cause: new Error('ID token subject changed on refresh'),
          },
        )
      }
      return issued
    },

    async supportsRevocation() {
      return Boolean((await configuration()).serverMetadata().revocation_endpoint)
    },

    async revoke(token, hint) {
      const config = await configuration()
      try {
        await client.tokenRevocation(config, token, { token_type_hint: hint })
      } catch (err) {
        // Translated but not logged: only the caller knows whether a refusal is expected
        // (a JWT access token is refused with unsupported_token_type on every sign-out) or
        // something an operator must hear about.
        throw translateOidcError(err, 'revocation', settings.id)
      }
    },

    async endSessionUrl(postLogoutRedirectUri) {
      const config = await configuration().catch(() => undefined)
      if (!config?.serverMetadata().end_session_endpoint) return undefined
      // client_id instead of id_token_hint (both are allowed): an ID token in a browser URL
      // would put a token in history and logs, which this app never does.
      return client.buildEndSessionUrl(config, { post_logout_redirect_uri: postLogoutRedirectUri })
    },

    async fetchResource(accessToken, url, headers) {
      return client.fetchProtectedResource(
        await configuration(),
        accessToken,
        url,
        'GET',
        undefined,
        headers ? new Headers(headers) : undefined,
      )
    },
  }
}
