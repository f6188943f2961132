// POST /logout ends everything: the grant at the provider (RFC 7009), the token record,
// the session and its cookie. POST /disconnect ends only the grant and keeps the person
// signed in (and their imported data), so they can connect again later.
import type { Request, Response } from 'express'
import { destroySession } from '../session/session-ops.ts'
import type { GrantRevoker } from '../tokens/revoke-grant.ts'

export function createSignOut(deps: {
  revoker: GrantRevoker
  cookieName: string
  secure: boolean
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
    res.redirect(303, '/')
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
