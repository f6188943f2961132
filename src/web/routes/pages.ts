// The person's pages: the start page and /resource, their contacts fetched live from the
// provider with a Bearer token.
import express, { type Router } from 'express'
import { requireUser } from '../../auth/require-user.ts'
import { type Contact, displayName } from '../../contacts/contact.ts'
import type { ContactsReader } from '../../contacts/list-contacts.ts'
import { AppError, ErrorCode } from '../../errors.ts'
import type { ProviderClient } from '../../oidc/provider-client.ts'
import { destroySession } from '../../session/session-ops.ts'
import type { TokenStore } from '../../tokens/token-store.ts'
import { describeConnection } from '../connection.ts'
import { noStore } from '../no-store.ts'

const NOTICES: Record<string, Record<string, string>> = {
  disconnected: {
    revoked: 'Disconnected: the app’s access was revoked at your provider.',
    done: 'Disconnected.',
    local:
      'Disconnected here. Your provider offers no way for apps to revoke access, so also remove the app in your provider’s account settings.',
    unconfirmed:
      'Disconnected here, but your provider did not confirm that the app’s access was revoked. Remove the app in your provider’s account settings to be sure.',
  },
  signedout: {
    local:
      'Signed out. Your provider offers no way for apps to revoke access, so also remove the app in your provider’s account settings.',
    unconfirmed:
      'Signed out, but your provider did not confirm that the app’s access was revoked. Remove the app in your provider’s account settings to be sure.',
  },
}

/** One of our fixed notices, chosen by the query: the query never supplies text. */
function noticeOf(query: Record<string, unknown>): string | undefined {
  for (const [event, notices] of Object.entries(NOTICES)) {
    const value = query[event]
    if (typeof value === 'string' && Object.hasOwn(notices, value)) return notices[value]
  }
  return undefined
}

export function createPageRoutes(deps: {
  providers: ReadonlyMap<string, ProviderClient>
  tokens: TokenStore
  contacts: ContactsReader
}): Router {
  const router = express.Router()

  router.get('/', noStore, async (req, res) => {
    if (req.session.grantId) await deps.tokens.touch(req.session.grantId)
    res.render('pages/home', {
      title: 'Contacts Importer',
      providers: [...deps.providers.values()].map(({ settings }) => ({
        id: settings.id,
        label: settings.label,
      })),
      connection: await describeConnection(req, deps),
      notice: noticeOf(req.query),
    })
  })

  router.get('/resource', noStore, requireUser, async (req, res) => {
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
      const code = err instanceof AppError ? err.code : undefined
      // The tokens are gone at the provider; forget the grant so the pages say so.
      if (code === ErrorCode.GRANT_REVOKED) delete req.session.grantId
      // The provider answered for someone else (OIDC Core §12.2): sign this session out.
      if (code === ErrorCode.IDENTITY_MISMATCH) {
        await destroySession(req)
        res.locals.user = undefined
      }
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
