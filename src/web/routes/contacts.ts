// The address book, read from PostgreSQL only — never from the provider: the list with
// its search and keyset pages (as a page, or as JSON for scripts), and one contact with
// every field. /resource, the protected page from the start, shows the same list.
import express, { type Request, type Router } from 'express'
import type { ContactsStore } from '../../address-book/contacts-store.ts'
import { requireUser } from '../../auth/require-user.ts'
import { AppError, ErrorCode } from '../../errors.ts'
import type { ImportsReader } from '../../imports/imports-store.ts'
import type { ProviderClient } from '../../oidc/provider-client.ts'
import type { TokenStore } from '../../tokens/token-store.ts'
import { describeConnection, providerLabel } from '../connection.ts'
import { contactView } from '../contact-view.ts'
import { listQuery } from '../list-query.ts'
import { noStore } from '../no-store.ts'
import { sourcesView } from '../sources-view.ts'

/** Rows on one page of the list. */
export const PAGE_SIZE = 50
const LIST_PATH = '/contacts'

/** Fixed notices, chosen by the query: the query never supplies text. */
const NOTICES: Record<string, string> = {
  deleted:
    'Your imported data was deleted: every contact, the import history and the sync state. Your connections stay; import again at any time.',
}

function noticeOf(query: Record<string, unknown>): string | undefined {
  const value = query.notice
  return typeof value === 'string' && Object.hasOwn(NOTICES, value) ? NOTICES[value] : undefined
}

// Scripts (and `*/*`, as curl sends) get JSON; browsers ask for HTML by name.
const wantsJson = (req: Request) => req.accepts(['json', 'html']) === 'json'

function listHref(params: { q?: string | undefined; after?: string | undefined }): string {
  const query = new URLSearchParams()
  if (params.q) query.set('q', params.q)
  if (params.after) query.set('after', params.after)
  const text = query.toString()
  return text ? `${LIST_PATH}?${text}` : LIST_PATH
}

export function createContactRoutes(deps: {
  contacts: ContactsStore
  imports: ImportsReader
  providers: ReadonlyMap<string, ProviderClient>
  tokens: TokenStore
}): Router {
  const router = express.Router()

  router.get(['/contacts', '/resource'], noStore, requireUser, async (req, res) => {
    const personId = req.session.personId as string
    const { q, after } = listQuery(req.query)
    // One answer per Accept: a cache in between must not hand the JSON to a browser.
    res.vary('Accept')
    if (wantsJson(req)) {
      const page = await deps.contacts.list(personId, { q, after, limit: PAGE_SIZE })
      res.json({
        contacts: page.contacts.map((c) => ({
          id: c.id,
          connectionId: c.connectionId,
          displayName: c.displayName,
          email: c.email ?? null,
          phone: c.phone ?? null,
          organization: c.organization ?? null,
        })),
        next: page.next ?? null,
        count: page.count,
      })
      return
    }
    const connections = res.locals.person?.connections ?? []
    // The whole book's number is the sum of the sources' (kept by the database, migration
    // 0003); a search's page carries its number of matches.
    const [page, counts, latest, panels] = await Promise.all([
      deps.contacts.list(personId, { q, after, limit: PAGE_SIZE }),
      deps.contacts.countByConnection(personId),
      deps.imports.latestByConnection(personId),
      Promise.all(connections.map((c) => describeConnection(c, deps))),
    ])
    let total = 0
    for (const n of counts.values()) total += n
    const sources = sourcesView(panels, counts, latest)
    res.render('pages/contacts', {
      title: 'Your contacts',
      notice: noticeOf(req.query),
      q,
      contacts: page.contacts,
      total,
      matches: q ? page.count : undefined,
      nextHref: page.next ? listHref({ q, after: page.next }) : undefined,
      firstHref: after ? listHref({ q }) : undefined,
      sources,
      importing: sources.filter((s) => s.lastImport?.running),
      importable: sources.filter((s) => s.canImport),
    })
  })

  router.get('/contacts/:id', noStore, requireUser, async (req, res) => {
    const personId = req.session.personId as string
    const id = req.params.id
    // Another person's contact is answered exactly like one that does not exist.
    const stored = typeof id === 'string' ? await deps.contacts.get(personId, id) : undefined
    if (!stored) {
      throw new AppError(ErrorCode.NOT_FOUND, 'There is no such contact in your address book.', {
        status: 404,
      })
    }
    const connection = res.locals.person?.connections.find((c) => c.id === stored.connectionId)
    res.render('pages/contact', {
      title: stored.displayName,
      contact: contactView(stored),
      source: {
        providerLabel: providerLabel(deps.providers, stored.provider),
        account: connection?.email ?? connection?.displayName ?? connection?.subject,
        status: connection?.status,
      },
    })
  })

  return router
}
