// POST /logout ends everything: the grant at the provider (RFC 7009), the token record,
// the session and its cookie, and then offers to end the session at the provider too
// (RP-Initiated Logout): on a shared computer, the next person must not find the provider
// still signed in and one "Allow" away from these contacts. POST /disconnect ends only
// the grant and keeps the person signed in (and their imported data).
import type { Request, Response } from 'express'
import type { ProviderClient } from '../oidc/provider-client.ts'
import { destroySession } from '../session/session-ops.ts'
import type { GrantRevoker, RevocationOutcome } from '../tokens/revoke-grant.ts'

/** The start page tells what happened at the provider when the person needs to act. */
function noticeFor(event: 'signedout' | 'disconnected', outcome: RevocationOutcome | undefined) {
  if (outcome === 'unsupported') return `?${event}=local`
  if (outcome === 'failed') return `?${event}=unconfirmed`
  if (outcome === 'revoked' && event === 'disconnected') return '?disconnected=revoked'
  return ''
}

export function createSignOut(deps: {
  revoker: GrantRevoker
  providers: ReadonlyMap<string, ProviderClient>
  cookieName: string
  secure: boolean
  /** Where the provider sends the browser after its own sign-out: the start page. */
  postLogoutRedirectUri: string
}) {
  async function logout(req: Request, res: Response) {
    const { grantId, user } = req.session
    const outcome =
      grantId && user ? await deps.revoker.revoke({ grantId, provider: user.provider }) : undefined
    await destroySession(req)
    res.clearCookie(deps.cookieName, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.secure,
    })
    const provider = user ? deps.providers.get(user.provider) : undefined
    const endSession = await provider?.endSessionUrl(deps.postLogoutRedirectUri)
    res.redirect(303, endSession?.href ?? `/${noticeFor('signedout', outcome)}`)
  }

  async function disconnect(req: Request, res: Response) {
    const { grantId, user } = req.session
    let outcome: RevocationOutcome | undefined
    if (grantId && user) {
      outcome = await deps.revoker.revoke({ grantId, provider: user.provider })
      delete req.session.grantId
    }
    res.redirect(303, `/${noticeFor('disconnected', outcome) || '?disconnected=done'}`)
  }

  return { logout, disconnect }
}
