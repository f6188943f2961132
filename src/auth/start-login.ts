// GET /login: starts an authorization-code flow (response_type=code) with a fresh state,
// nonce and PKCE S256 verifier for this one request (authorization-request.ts). They are
// kept in an encrypted cookie of this flow's own (login-cookies.ts), not on the server:
// starting a sign-in creates no session and writes nothing to Redis, so anonymous traffic
// cannot grow the server's state.
import type { Request, Response } from 'express'
import { unknownProvider } from '../errors.ts'
import type { ProviderClient } from '../oidc/provider-client.ts'
import type { BeginAuthorization } from './authorization-request.ts'
import { safeReturnTo } from './return-to.ts'

export function createStartLogin(deps: {
  providers: ReadonlyMap<string, ProviderClient>
  beginAuthorization: BeginAuthorization
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

    const url = await deps.beginAuthorization(req, res, provider, { returnTo })
    res.redirect(303, url.href)
  }
}
