// GET /login: starts an authorization-code flow (response_type=code) with a fresh state,
// nonce and PKCE S256 verifier for this one request (RFC 9700 §2.1.1, RFC 7636 §4.2). They
// are kept in an encrypted cookie of this flow's own (login-cookies.ts), not on the
// server: starting a sign-in creates no session and writes nothing to Redis, so anonymous
// traffic cannot grow the server's state.
import type { Request, Response } from 'express'
import * as client from 'openid-client'
import { unknownProvider } from '../errors.ts'
import type { ProviderClient } from '../oidc/provider-client.ts'
import type { LoginCookies } from './login-cookies.ts'
import type { PendingLogins } from './pending-login.ts'
import { safeReturnTo } from './return-to.ts'

export function createStartLogin(deps: {
  providers: ReadonlyMap<string, ProviderClient>
  pendingLogins: PendingLogins
  loginCookies: LoginCookies
}) {
  return async function startLogin(req: Request, res: Response) {
    const returnTo = safeReturnTo(req.query.returnTo)
    const requested = req.query.provider
    if (requested !== undefined && typeof requested !== 'string') throw unknownProvider()
    const providerId =
      requested || (deps.providers.size === 1 ? [...deps.providers.keys()][0] : undefined)
    if (!providerId) {
      res.render('pages/choose-provider', {
        title: 'Sign in',
        providers: [...deps.providers.values()].map(({ settings }) => ({
          id: settings.id,
          label: settings.label,
        })),
        returnTo,
      })
      return
    }
    const provider = deps.providers.get(providerId)
    if (!provider) throw unknownProvider()

    const state = deps.pendingLogins.newState()
    const nonce = client.randomNonce()
    const codeVerifier = client.randomPKCECodeVerifier()
    const url = await provider.authorizationUrl({
      state,
      nonce,
      codeChallenge: await client.calculatePKCECodeChallenge(codeVerifier),
    })
    deps.loginCookies.remember(req, res, {
      state,
      provider: provider.settings.id,
      issuer: provider.settings.issuer.href,
      nonce,
      codeVerifier,
      returnTo,
      createdAt: Date.now(),
    })
    res.redirect(303, url.href)
  }
}
