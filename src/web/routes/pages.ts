// The person's pages: the start page and /resource, their contacts fetched live from the
// provider with a Bearer token.
import express, { type Router } from 'express'
import type { ProviderClient } from '../../auth/provider-client.ts'
import { requireUser } from '../../auth/require-user.ts'
import { type Contact, displayName } from '../../contacts/contact.ts'
import type { ContactsReader } from '../../contacts/list-contacts.ts'
import { AppError, ErrorCode } from '../../errors.ts'
import type { TokenStore } from '../../tokens/token-store.ts'
import { describeConnection } from '../connection.ts'
import { noStore } from '../no-store.ts'

export function createPageRoutes(deps: {
  providers: ReadonlyMap<string, ProviderClient>
  tokens: TokenStore
  contacts: ContactsReader
}): Router {
  const router = express.Router()

  router.get('/', noStore, async (req, res) => {
    const disconnected = req.query.disconnected
    res.render('pages/home', {
      title: 'Contacts Importer',
      providers: [...deps.providers.values()].map((p) => p.settings),
      connection: await describeConnection(req, deps),
      notice:
        disconnected === 'revoked'
          ? 'Disconnected: the app’s access was revoked at your provider.'
          : disconnected === 'local'
            ? 'Disconnected here. Your provider offers no way for apps to revoke access, so also remove the app in your provider’s account settings.'
            : undefined,
    })
  })

  router.get('/resource', requireUser, noStore, async (req, res) => {
    const { user, grantId } = req.session
    if (!user || !grantId) {
      // Disconnected on purpose: offer to connect again.
      res.render('pages/resource', {
        title: 'Your contacts',
        connection: await describeConnection(req, deps),
        contacts: undefined,
      })
      return
    }
    await deps.tokens.touch(grantId)
    let contacts: Contact[]
    try {
      contacts = await deps.contacts.list({ grantId, provider: user.provider })
    } catch (err) {
      // The tokens are gone at the provider; forget the grant so the pages say so.
      if (err instanceof AppError && err.code === ErrorCode.GRANT_REVOKED)
        delete req.session.grantId
      throw err
    }
    res.render('pages/resource', {
      title: 'Your contacts',
      // Read after the contacts: it shows a refresh that happened on the way.
      connection: await describeConnection(req, deps),
      contacts: contacts.map((c) => ({ ...c, displayName: displayName(c) })),
    })
  })

  return router
}
