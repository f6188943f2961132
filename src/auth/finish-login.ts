// GET /auth/callback/:provider: the provider sends the browser back here with a code.
// Every check that needs no provider happens first, so a forged callback never causes a
// token request: exactly one `state`, a pending sign-in under it (consumed now, so a
// replayed URL fails), started by this browser, for this provider. openid-client then
// checks `iss` (RFC 9207), state, error, and that no implicit-flow tokens came, exchanges
// the code with client_secret_basic and the PKCE verifier, and validates the ID token and
// its nonce. Only then is the session regenerated and the tokens stored.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Request, Response } from 'express'
import { AppError, ErrorCode, unknownProvider } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { ProviderClient } from '../oidc/provider-client.ts'
import { regenerateSession, saveSession } from '../session/session-ops.ts'
import type { GrantRevoker } from '../tokens/revoke-grant.ts'
import type { TokenStore } from '../tokens/token-store.ts'
import { browserFingerprint, type LoginStore } from './login-store.ts'

function loginProblem(code: ErrorCode, message: string, providerId: string): AppError {
  return new AppError(code, message, {
    status: 400,
    provider: providerId,
  })
}

const sameFingerprint = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

export function createFinishLogin(deps: {
  providers: ReadonlyMap<string, ProviderClient>
  logins: LoginStore
  tokens: TokenStore
  revoker: GrantRevoker
  log: Logger
}) {
  return async function finishLogin(req: Request, res: Response) {
    // The URL carries a code and a state: keep both out of Referer headers even if the
    // app-wide policy changes (RFC 9700 §4.2.4). Caching is off for all of auth/.
    res.set('Referrer-Policy', 'no-referrer')
    const providerId = String(req.params.provider)
    const provider = deps.providers.get(providerId)
    if (!provider) throw unknownProvider()

    const { state } = req.query
    if (typeof state !== 'string' || state.length === 0) {
      throw loginProblem(
        ErrorCode.LOGIN_STATE_MISSING,
        'The answer from the provider did not carry exactly one "state" value, so it was rejected.',
        providerId,
      )
    }
    const pending = await deps.logins.consume(state)
    if (!pending) {
      throw loginProblem(
        ErrorCode.LOGIN_STATE_UNKNOWN,
        'This sign-in link has expired or was already used. Please sign in again.',
        providerId,
      )
    }
    const browserKey = req.session.browserKey
    if (!browserKey || !sameFingerprint(pending.browser, browserFingerprint(browserKey))) {
      throw loginProblem(
        ErrorCode.LOGIN_STATE_MISMATCH,
        'This sign-in was started in another browser, so it cannot finish here. Please sign in again.',
        providerId,
      )
    }
    // The state was issued for another provider: a mix-up attempt (RFC 9700 §4.4).
    if (pending.provider !== providerId || pending.issuer !== provider.settings.issuer.href) {
      throw loginProblem(
        ErrorCode.LOGIN_INVALID_RESPONSE,
        'The answer came back for a different provider than the one you signed in with.',
        providerId,
      )
    }

    const query = new URL(req.originalUrl, 'http://callback.invalid').search
    const issued = await provider.exchangeCode(query, {
      state,
      nonce: pending.nonce,
      codeVerifier: pending.codeVerifier,
      returnTo: pending.returnTo,
    })

    const now = Math.floor(Date.now() / 1000)
    const grantId = randomBytes(24).toString('base64url')
    await deps.tokens.create(grantId, {
      provider: providerId,
      subject: issued.claims.sub,
      accessToken: issued.accessToken,
      refreshToken: issued.refreshToken,
      idToken: issued.idToken,
      expiresAt: issued.expiresAt,
      scope: issued.scope,
      createdAt: now,
      refreshedAt: undefined,
    })

    const previousGrant = req.session.grantId
    const previousUser = req.session.user
    // A new session id at sign-in: an id planted before sign-in is worthless afterwards
    // (session fixation). The browser key survives so other tabs can still finish.
    await regenerateSession(req)
    req.session.browserKey = browserKey
    req.session.grantId = grantId
    req.session.user = {
      provider: providerId,
      subject: issued.claims.sub,
      name: typeof issued.claims.name === 'string' ? issued.claims.name : undefined,
      email: typeof issued.claims.email === 'string' ? issued.claims.email : undefined,
    }
    await saveSession(req)
    if (previousGrant && previousUser) {
      const samePerson =
        previousUser.provider === providerId && previousUser.subject === issued.claims.sub
      // The same person's old record is dropped, not revoked: the provider may have handed
      // this sign-in the same grant, and revoking the old refresh token would end it.
      // Someone else's grant is revoked: nobody could reach it from this app any more.
      if (samePerson) await deps.tokens.remove(previousGrant)
      else await deps.revoker.revoke({ grantId: previousGrant, provider: previousUser.provider })
    }

    deps.log.info({ provider: providerId, grantId }, 'signed in')
    res.redirect(303, pending.returnTo)
  }
}
