// GET /login: starts an authorization-code flow (response_type=code) with a fresh state,
// nonce and PKCE S256 verifier for this one request (RFC 9700 §2.1.1, RFC 7636 §4.2), and
// remembers them server-side under the state. Only a hash of a per-browser key goes with
// them, which later proves the callback comes back to the browser that started it.
import { randomBytes } from 'node:crypto'
import type { Request, Response } from 'express'
import * as client from 'openid-client'
import { unknownProvider } from '../errors.ts'
import type { ProviderClient } from '../oidc/provider-client.ts'
import { browserFingerprint, type LoginStore } from './login-store.ts'
import { safeReturnTo } from './return-to.ts'

export function createStartLogin(deps: {
  providers: ReadonlyMap<string, ProviderClient>
  logins: LoginStore
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

    req.session.browserKey ??= randomBytes(32).toString('base64url')
    // A session made only to carry the browser key lives as long as the sign-in may take,
    // so a flood of /login requests cannot fill Redis with day-long sessions.
    if (!req.session.personId) req.session.cookie.maxAge = deps.logins.ttlSeconds * 1000
    const state = client.randomState()
    const nonce = client.randomNonce()
    const codeVerifier = client.randomPKCECodeVerifier()
    const url = await provider.authorizationUrl({
      state,
      nonce,
      codeChallenge: await client.calculatePKCECodeChallenge(codeVerifier),
    })
    await deps.logins.save(state, {
      provider: provider.settings.id,
      issuer: provider.settings.issuer.href,
      nonce,
      codeVerifier,
      returnTo,
      browser: browserFingerprint(req.session.browserKey),
      createdAt: Date.now(),
    })
    res.redirect(303, url.href)
  }
}
