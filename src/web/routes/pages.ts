// The person's pages: the start page and /resource, their contacts fetched live from the
// provider with a Bearer token and streamed to the browser page by page.
import express, { type Request, type Response, type Router } from 'express'
import { requireUser } from '../../auth/require-user.ts'
import type { ContactsPage } from '../../contacts/contact-source.ts'
import { AppError, ErrorCode } from '../../errors.ts'
import type { Logger } from '../../log.ts'
import type { ProviderClient } from '../../oidc/provider-client.ts'
import type { Connection } from '../../people/people-store.ts'
import { destroySession } from '../../session/session-ops.ts'
import type { TokenStore } from '../../tokens/token-store.ts'
import { describeConnection } from '../connection.ts'
import { noStore } from '../no-store.ts'
import { streamContactList } from '../stream-contact-list.ts'

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

/** The connection /resource reads: the one asked for, else the latest active one. */
function chosenConnection(connections: Connection[], wanted: unknown): Connection | undefined {
  if (typeof wanted === 'string') return connections.find((c) => c.id === wanted)
  // `?connection=a&connection=b` is an array: asking for two is not asking for none, so
  // it is refused rather than quietly answered with the default.
  if (wanted !== undefined) {
    throw new AppError(ErrorCode.BAD_REQUEST, 'Name one connection to read.', { status: 400 })
  }
  return connections.findLast((c) => c.status === 'active') ?? connections.at(-1)
}

/**
 * What a failed contacts read means for this browser, before or after the first page (the
 * connection itself was already marked by people/connections.ts, as for a job). The caller
 * still throws (before) or ends the list (after).
 */
async function endSessionIfIdentityChanged(req: Request, res: Response, err: unknown) {
  // The provider answered for someone else (OIDC Core §12.2): sign this session out.
  if (err instanceof AppError && err.code === ErrorCode.IDENTITY_MISMATCH) {
    await destroySession(req)
    res.locals.person = undefined
  }
}

export function createPageRoutes(deps: {
  providers: ReadonlyMap<string, ProviderClient>
  tokens: TokenStore
  contactPages: (connection: Connection) => AsyncGenerator<ContactsPage, void>
  log: Logger
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

  router.get('/resource', noStore, requireUser, async (req, res) => {
    const person = res.locals.person
    const connection = chosenConnection(person?.connections ?? [], req.query.connection)
    if (!connection)
      throw new AppError(ErrorCode.NOT_FOUND, 'There is no such connection.', { status: 404 })
    if (connection.status !== 'active') {
      // Disconnected on purpose, or ended at the provider: offer to connect again.
      res.render('pages/resource', {
        title: 'Your contacts',
        connection: await describeConnection(connection, deps),
        contacts: undefined,
      })
      return
    }
    const pages = deps.contactPages(connection)
    // The first page is read before anything is sent, so that the usual failures still get
    // the error page (and its status) from the one error handler.
    let first: IteratorResult<ContactsPage, void>
    try {
      first = await pages.next()
    } catch (err) {
      await endSessionIfIdentityChanged(req, res, err)
      throw err
    }
    const panel = await describeConnection(connection, deps)
    await streamContactList(res, {
      title: 'Your contacts',
      // Read after the first page: it shows a refresh that happened on the way (one on a
      // later page shows on the next visit).
      connection: panel,
      providerLabel: panel.providerLabel,
      first: first.done
        ? { contacts: [], deleted: [], relinked: [], skipped: [], next: undefined }
        : first.value,
      rest: pages,
      async onFailure(err) {
        // The page has begun, so the error handler cannot help: log as it would.
        if (err instanceof AppError && err.expose) {
          const cause = err.cause instanceof Error ? `${err.cause.name}: ${err.cause.message}` : ''
          deps.log.warn(
            { reqId: req.id, errorCode: err.code, cause: cause.slice(0, 300) },
            'contact list ended early',
          )
        } else {
          deps.log.error({ err, reqId: req.id }, 'contact list ended early')
        }
        await endSessionIfIdentityChanged(req, res, err)
      },
    })
  })

  return router
}
