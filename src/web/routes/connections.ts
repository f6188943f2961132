// A signed-in person's sources: connect another one (or reconnect one) without signing
// out, and remove one with everything it brought — a confirmation page, then a POST. Every
// connection id is looked up among the signed-in person's own, so another person's is a 404.
import express, { type Request, type RequestHandler, type Response, type Router } from 'express'
import type { ContactsStore } from '../../address-book/contacts-store.ts'
import type { BeginAuthorization } from '../../auth/authorization-request.ts'
import { requireUser } from '../../auth/require-user.ts'
import { createStartConnect } from '../../auth/start-connect.ts'
import { AppError, ErrorCode } from '../../errors.ts'
import type { Logger } from '../../log.ts'
import type { ProviderClient } from '../../oidc/provider-client.ts'
import type { Connection, PeopleStore } from '../../people/people-store.ts'
import type { RemoveSource } from '../../people/remove-source.ts'
import { destroySession } from '../../session/session-ops.ts'
import type { RevocationOutcome } from '../../tokens/revoke-grant.ts'
import { accountLabel, providerLabel } from '../connection.ts'
import { requireCsrf } from '../csrf.ts'
import { noStore } from '../no-store.ts'

const notFound = () =>
  new AppError(ErrorCode.NOT_FOUND, 'There is no such connection.', { status: 404 })

/** The start page's notice after a removal (routes/pages.ts NOTICES.removed). */
function noticeFor(outcome: RevocationOutcome, personDeleted: boolean): string {
  if (personDeleted) return 'last'
  if (outcome === 'failed') return 'unconfirmed'
  if (outcome === 'unsupported') return 'local'
  return outcome === 'revoked' ? 'revoked' : 'done'
}

export function createConnectionRoutes(deps: {
  providers: ReadonlyMap<string, ProviderClient>
  people: Pick<PeopleStore, 'connection'>
  contacts: Pick<ContactsStore, 'countByConnection'>
  beginAuthorization: BeginAuthorization
  removeSource: RemoveSource
  /** The person's budget of state-changing POSTs. */
  limit: RequestHandler
  log: Logger
  cookieName: string
  secure: boolean
}): Router {
  const router = express.Router()
  const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 })

  async function connectionOf(req: Request): Promise<Connection> {
    const connection = await deps.people.connection(
      req.session.personId as string,
      String(req.params.id),
    )
    if (!connection) throw notFound()
    return connection
  }

  // Every answer here starts a flow or changes what the person has: never cached.
  router.use(['/connect', '/connections/:id/remove'], noStore)
  router.post('/connect', form, requireUser, deps.limit, requireCsrf, createStartConnect(deps))

  router.get('/connections/:id/remove', requireUser, async (req, res) => {
    const connection = await connectionOf(req)
    const counts = await deps.contacts.countByConnection(connection.personId)
    const others = (res.locals.person?.connections ?? []).filter((c) => c.id !== connection.id)
    // Said before, not only after: some providers (Microsoft) offer no revocation endpoint.
    const revocable = await (
      deps.providers.get(connection.provider)?.supportsRevocation() ?? Promise.resolve(false)
    ).catch(() => true)
    res.render('pages/remove-source', {
      title: 'Remove this source',
      source: {
        id: connection.id,
        providerLabel: providerLabel(deps.providers, connection.provider),
        account: accountLabel(connection),
        connected: connection.status === 'active',
        revocable,
        contacts: counts.get(connection.id) ?? 0,
      },
      last: others.length === 0,
    })
  })

  router.post(
    '/connections/:id/remove',
    form,
    requireUser,
    deps.limit,
    requireCsrf,
    async (req: Request, res: Response) => {
      const removed = await deps.removeSource(req.session.personId as string, String(req.params.id))
      if (!removed) throw notFound()
      if (removed.personDeleted) {
        // Nothing is left to be signed in to: this browser leaves signed out (every other
        // session of the person was ended with the person).
        await destroySession(req).catch((err: unknown) => {
          deps.log.warn({ err, reqId: req.id }, 'session not deleted after the last source')
        })
        res.clearCookie(deps.cookieName, {
          path: '/',
          httpOnly: true,
          sameSite: 'lax',
          secure: deps.secure,
        })
      }
      res.redirect(303, `/?removed=${noticeFor(removed.revocation, removed.personDeleted)}`)
    },
  )

  // State changes only by POST: a link or an <img> must not start or remove anything.
  router.all(['/connect', '/connections/:id/remove'], (req, res) => {
    res.set('Allow', req.path === '/connect' ? 'POST' : 'GET, POST')
    throw new AppError(ErrorCode.METHOD_NOT_ALLOWED, 'Use the button on the page for this.', {
      status: 405,
    })
  })

  return router
}
