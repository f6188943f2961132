// POST /logout ends everything: the grant at the provider (RFC 7009), the token record,
// the session and its cookie, and then offers to end the session at the provider too
// (RP-Initiated Logout): on a shared computer, the next person must not find the provider
// still signed in and one "Allow" away from these contacts. POST /disconnect ends only
// the grant and keeps the person signed in (and their imported data).
import type { Request, Response } from 'express'
import { destroySession } from '../session/session-ops.ts'
import type { GrantRevoker } from '../tokens/revoke-grant.ts'
import type { ProviderClient } from './provider-client.ts'

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
    if (grantId && user) await deps.revoker.revoke({ grantId, provider: user.provider })
    await destroySession(req)
    res.clearCookie(deps.cookieName, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.secure,
    })
    res.set('Cache-Control', 'no-store')
    const provider = user ? deps.providers.get(user.provider) : undefined
    const endSession = await provider?.endSessionUrl(deps.postLogoutRedirectUri)
    res.redirect(303, endSession?.href ?? '/')
  }

  async function disconnect(req: Request, res: Response) {
    const { grantId, user } = req.session
    let outcome = 'nothing-stored'
    if (grantId && user) {
      outcome = await deps.revoker.revoke({ grantId, provider: user.provider })
      delete req.session.grantId
    }
    res.set('Cache-Control', 'no-store')
    res.redirect(303, `/?disconnected=${outcome === 'unsupported' ? 'local' : 'revoked'}`)
  }

  return { logout, disconnect }
}
