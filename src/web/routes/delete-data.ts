// "Delete my imported data": a confirmation page, then a POST (CSRF-checked, on the
// person's action budget) that removes their contacts, import runs and sync cursors in
// one transaction (address-book/delete-person-data.ts). The connections stay.
import express, { type RequestHandler, type Router } from 'express'
import type { ContactsStore } from '../../address-book/contacts-store.ts'
import type { DeletePersonData } from '../../address-book/delete-person-data.ts'
import { requireUser } from '../../auth/require-user.ts'
import { AppError, ErrorCode } from '../../errors.ts'
import type { Logger } from '../../log.ts'
import type { ProviderClient } from '../../oidc/provider-client.ts'
import { accountLabel, providerLabel } from '../connection.ts'
import { requireCsrf } from '../csrf.ts'
import { noStore } from '../no-store.ts'

const PATH = '/contacts/delete'

export function createDeleteDataRoutes(deps: {
  contacts: Pick<ContactsStore, 'count'>
  deletePersonData: DeletePersonData
  providers: ReadonlyMap<string, ProviderClient>
  /** The person's budget of state-changing POSTs. */
  limit: RequestHandler
  log: Logger
}): Router {
  const router = express.Router()
  const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 })

  router.get(PATH, noStore, requireUser, async (req, res) => {
    const personId = req.session.personId as string
    res.render('pages/delete-data', {
      title: 'Delete my imported data',
      contacts: await deps.contacts.count(personId),
      connections: (res.locals.person?.connections ?? []).map((c) => ({
        providerLabel: providerLabel(deps.providers, c.provider),
        account: accountLabel(c),
      })),
    })
  })

  router.post(PATH, noStore, form, requireUser, deps.limit, requireCsrf, async (req, res) => {
    const personId = req.session.personId as string
    const deleted = await deps.deletePersonData(personId)
    deps.log.info({ reqId: req.id, personId, ...deleted }, 'imported data deleted')
    res.redirect(303, '/contacts?notice=deleted')
  })

  // A link or an <img> must not delete anything: only the form's POST does.
  router.all(PATH, (_req, res) => {
    res.set('Allow', 'GET, POST')
    throw new AppError(ErrorCode.METHOD_NOT_ALLOWED, 'Use the button on the page for this.', {
      status: 405,
    })
  })

  return router
}
