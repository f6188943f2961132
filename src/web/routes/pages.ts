// The person's pages: the start page and /resource, their contacts fetched live from the
// provider with a Bearer token and streamed to the browser page by page.
import express, { type Request, type Response, type Router } from 'express'
import { requireUser } from '../../auth/require-user.ts'
import type { ContactsPage } from '../../contacts/contact-source.ts'
import { AppError, ErrorCode } from '../../errors.ts'
import type { Logger } from '../../log.ts'
import type { ProviderClient } from '../../oidc/provider-client.ts'
import { destroySession } from '../../session/session-ops.ts'
import type { GrantRef } from '../../tokens/access-tokens.ts'
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

/**
 * What a failed contacts read means for the session, before or after the first page. The
 * caller still throws (before) or ends the list (after).
 */
async function forgetBrokenGrant(req: Request, res: Response, err: unknown): Promise<void> {
  const code = err instanceof AppError ? err.code : undefined
  // The tokens are gone at the provider; forget the grant so the pages say so.
  if (code === ErrorCode.GRANT_REVOKED) delete req.session.grantId
  // The provider answered for someone else (OIDC Core §12.2): sign this session out.
  if (code === ErrorCode.IDENTITY_MISMATCH) {
    await destroySession(req)
    res.locals.user = undefined
  }
}

export function createPageRoutes(deps: {
  providers: ReadonlyMap<string, ProviderClient>
  tokens: TokenStore
  contactPages: (grant: GrantRef) => AsyncGenerator<ContactsPage, void>
  log: Logger
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
    const pages = deps.contactPages({ grantId, provider: user.provider })
    // The first page is read before anything is sent, so that the usual failures still get
    // the error page (and its status) from the one error handler.
    let first: IteratorResult<ContactsPage, void>
    try {
      first = await pages.next()
    } catch (err) {
      await forgetBrokenGrant(req, res, err)
      throw err
    }
    const connection = await describeConnection(req, deps)
    await streamContactList(res, {
      title: 'Your contacts',
      // Read after the first page: it shows a refresh that happened on the way (one on a
      // later page shows on the next visit).
      connection,
      providerLabel: connection?.providerLabel ?? user.provider,
      first: first.done ? { contacts: [], next: undefined } : first.value,
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
        await forgetBrokenGrant(req, res, err)
      },
    })
  })

  return router
}
