// One authorization-code flow, for a sign-in and for connecting another source alike: a
// fresh state, nonce and PKCE S256 verifier for this one request (RFC 9700 §2.1.1, RFC 7636
// §4.2), kept in an encrypted cookie of this flow's own (login-cookies.ts), never on the
// server. Each flow is bound to the browser that started it by that cookie.
import type { Request, Response } from 'express'
import * as client from 'openid-client'
import type { ProviderClient } from '../oidc/provider-client.ts'
import type { LoginCookies } from './login-cookies.ts'
import type { PendingLogin, PendingLogins } from './pending-login.ts'

export interface FlowOptions {
  /** Where the browser goes after the callback (already checked by safeReturnTo). */
  returnTo: string
  /** A connect flow: the signed-in person it is started for. */
  connect?: PendingLogin['connect']
  /** OIDC Core §3.1.2.1 login_hint: the account a reconnect expects. */
  loginHint?: string
}

/** Sets the flow's cookie on `res` and returns the provider's authorization URL. */
export type BeginAuthorization = (
  req: Request,
  res: Response,
  provider: ProviderClient,
  options: FlowOptions,
) => Promise<URL>

export function createBeginAuthorization(deps: {
  pendingLogins: PendingLogins
  loginCookies: LoginCookies
}): BeginAuthorization {
  return async (req, res, provider, options) => {
    const state = deps.pendingLogins.newState()
    const nonce = client.randomNonce()
    const codeVerifier = client.randomPKCECodeVerifier()
    const url = await provider.authorizationUrl({
      state,
      nonce,
      codeChallenge: await client.calculatePKCECodeChallenge(codeVerifier),
      loginHint: options.loginHint,
    })
    deps.loginCookies.remember(req, res, {
      state,
      provider: provider.settings.id,
      issuer: provider.settings.issuer.href,
      nonce,
      codeVerifier,
      returnTo: options.returnTo,
      createdAt: Date.now(),
      ...(options.connect ? { connect: options.connect } : {}),
    })
    return url
  }
}
