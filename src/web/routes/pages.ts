// The start page: sign-in buttons, or the person's connections. The address book itself
// is routes/contacts.ts.
import express, { type Router } from 'express'
import type { ProviderClient } from '../../oidc/provider-client.ts'
import type { Connection } from '../../people/people-store.ts'
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
  removed: {
    revoked:
      'The source was removed: its contacts and import history are deleted, and the app’s access was revoked at your provider.',
    done: 'The source was removed: its contacts and import history are deleted.',
    local:
      'The source was removed: its contacts and import history are deleted. Your provider offers no way for apps to revoke access, so also remove the app in your provider’s account settings.',
    unconfirmed:
      'The source was removed: its contacts and import history are deleted, but your provider did not confirm that the app’s access was revoked. Remove the app in your provider’s account settings to be sure.',
    last: 'Your last source was removed, with its contacts and import history. Nothing of yours is left here, so you are signed out.',
  },
  signedout: {
    everywhere:
      'Signed out everywhere: every browser signed in as you is signed out, and every connection was ended.',
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
}): Router {
  const router = express.Router()
  const views = (connections: Connection[]) =>
    Promise.all(connections.map((c) => describeConnection(c, deps)))

  router.get('/', noStore, async (req, res) => {
    const person = res.locals.person
    res.render('pages/home', {
      title: 'Contacts Importer',
      providers: [...deps.providers.values()].map(({ settings }) => ({
        id: settings.id,
        label: settings.label,
      })),
      connections: person ? await views(person.connections) : [],
      notice: noticeOf(req.query),
    })
  })

  return router
}
