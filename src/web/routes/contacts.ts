// The address book, read from PostgreSQL only — never from the provider: the list of
// cards (one per person, merged across sources, migration 0005) with its search and keyset
// pages (as a page, or as JSON for scripts), and one card with every field and every
// source. /resource, the protected page from the start, shows the same list. The person's
// corrections — take a contact out of its card, join two cards, group one again — are
// CSRF-checked POSTs on the action budget; an id that is not the person's is a 404.
import express, { type Request, type RequestHandler, type Router } from 'express'
import type { ContactsStore } from '../../address-book/contacts-store.ts'
import { requireUser } from '../../auth/require-user.ts'
import { AppError, ErrorCode } from '../../errors.ts'
import type { ImportsReader } from '../../imports/imports-store.ts'
import type { ProviderClient } from '../../oidc/provider-client.ts'
import type { TokenStore } from '../../tokens/token-store.ts'
import { cardView, inBadgeOrder, type SourceBadge } from '../card-view.ts'
import { accountLabel, describeConnection, providerLabel } from '../connection.ts'
import { requireCsrf } from '../csrf.ts'
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
  /** The person's budget of state-changing POSTs. */
  limit: RequestHandler
}): Router {
  const router = express.Router()
  const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 })

  /** A badge per connection of the signed-in person (a removed one keeps its provider id). */
  function badges(res: express.Response): (connectionId: string) => SourceBadge {
    const connections = res.locals.person?.connections ?? []
    return (connectionId) => {
      const c = connections.find((x) => x.id === connectionId)
      return {
        connectionId,
        label: c ? providerLabel(deps.providers, c.provider) : 'A removed source',
        account: c ? accountLabel(c) : undefined,
      }
    }
  }

  router.get(['/contacts', '/resource'], noStore, requireUser, async (req, res) => {
    const personId = req.session.personId as string
    const { q, after } = listQuery(req.query)
    // One answer per Accept: a cache in between must not hand the JSON to a browser.
    res.vary('Accept')
    if (wantsJson(req)) {
      const [page, counts] = await Promise.all([
        deps.contacts.listCards(personId, { q, after, limit: PAGE_SIZE }),
        deps.contacts.counts(personId),
      ])
      res.json({
        cards: page.cards.map((c) => ({
          id: c.id,
          displayName: c.displayName,
          email: c.email ?? null,
          phone: c.phone ?? null,
          organization: c.organization ?? null,
          sources: c.connectionIds,
          contacts: c.contacts,
        })),
        next: page.next ?? null,
        count: page.count,
        contactCount: counts.contacts,
      })
      return
    }
    const connections = res.locals.person?.connections ?? []
    // The whole book's number is the sum of the sources' (kept by the database, migration
    // 0003); a search's page carries its number of matches, the whole list's page the number
    // of cards (only a search asks for that apart).
    const [page, counts, totals, latest, panels] = await Promise.all([
      deps.contacts.listCards(personId, { q, after, limit: PAGE_SIZE }),
      deps.contacts.countByConnection(personId),
      q ? deps.contacts.counts(personId) : undefined,
      deps.imports.latestByConnection(personId),
      Promise.all(connections.map((c) => describeConnection(c, deps))),
    ])
    let total = 0
    for (const n of counts.values()) total += n
    const sources = sourcesView(panels, counts, latest)
    const badge = badges(res)
    res.render('pages/contacts', {
      title: 'Your contacts',
      notice: noticeOf(req.query),
      q,
      cards: page.cards.map((c) => ({ ...c, sources: inBadgeOrder(c.connectionIds.map(badge)) })),
      cardTotal: totals?.cards ?? page.count,
      total,
      matches: q ? page.count : undefined,
      nextHref: page.next ? listHref({ q, after: page.next }) : undefined,
      firstHref: after ? listHref({ q }) : undefined,
      sources,
      importing: sources.filter((s) => s.lastImport?.running),
      importable: sources.filter((s) => s.canImport),
    })
  })

  const notFound = () =>
    new AppError(ErrorCode.NOT_FOUND, 'There is no such contact in your address book.', {
      status: 404,
    })

  // Any contact's id shows the card that holds it (a card's own id is its lead's): links
  // and bookmarks to a contact keep working however the cards regroup.
  router.get('/contacts/:id', noStore, requireUser, async (req, res) => {
    const personId = req.session.personId as string
    const id = req.params.id
    // Another person's contact is answered exactly like one that does not exist.
    const card = typeof id === 'string' ? await deps.contacts.card(personId, id) : undefined
    if (!card) throw notFound()
    const badge = badges(res)
    const view = cardView(card, badge)
    // Just after a split (`?taken=` names the contact taken out): where it went, as a link.
    // Looked up as any id is, so it names nothing that is not the person's.
    const takenId = typeof req.query.taken === 'string' ? req.query.taken : undefined
    const takenCard =
      takenId && takenId.length <= 64 && !card.contacts.some((c) => c.id === takenId)
        ? await deps.contacts.card(personId, takenId)
        : undefined
    const taken = takenCard?.contacts.find((c) => c.id === takenId)
    res.render('pages/contact', {
      title: view.displayName,
      contact: view,
      cardId: card.id,
      taken: taken && {
        id: taken.id,
        displayName: taken.displayName,
        source: badge(taken.connectionId).label,
      },
    })
  })

  // Choosing the card to join this one with: a search over the other cards.
  router.get('/contacts/:id/join', noStore, requireUser, async (req, res) => {
    const personId = req.session.personId as string
    const { q, after } = listQuery(req.query)
    const card = await deps.contacts.card(personId, req.params.id as string)
    if (!card) throw notFound()
    const badge = badges(res)
    const page = q
      ? await deps.contacts.listCards(personId, { q, after, limit: PAGE_SIZE })
      : undefined
    const [lead] = card.contacts
    res.render('pages/join-cards', {
      title: `Join ${lead?.displayName ?? ''} with another card`,
      card: { id: card.id, displayName: lead?.displayName ?? '' },
      q,
      cards: (page?.cards ?? [])
        .filter((c) => c.id !== card.id)
        .map((c) => ({ ...c, sources: inBadgeOrder(c.connectionIds.map(badge)) })),
    })
  })

  /** One uuid-ish field of the form, else a 404 (it names nothing of the person's). */
  const field = (req: Request, name: string): string => {
    const value: unknown = req.body?.[name]
    if (typeof value !== 'string' || value.length > 64) throw notFound()
    return value
  }
  const post = (path: string, act: (personId: string, req: Request) => Promise<string | false>) =>
    router.post(path, noStore, form, requireUser, deps.limit, requireCsrf, async (req, res) => {
      const to = await act(req.session.personId as string, req)
      if (!to) throw notFound()
      res.redirect(303, `/contacts/${to}`)
    })

  // "These are different people": the chosen contact leaves the card, remembered by its
  // source's id. The page shown next is the card the others stay on.
  post('/contacts/:id/split', async (personId, req) => {
    const id = req.params.id as string
    const card = await deps.contacts.card(personId, id)
    const taken = field(req, 'contact')
    if (!card?.contacts.some((c) => c.id === taken)) return false
    if (!(await deps.contacts.split(personId, taken))) return false
    const stays = card.contacts.find((c) => c.id !== taken)?.id
    return stays ? `${stays}?taken=${encodeURIComponent(taken)}` : taken
  })

  post('/contacts/:id/join', async (personId, req) => {
    const id = req.params.id as string
    return (await deps.contacts.join(personId, id, field(req, 'with'))) ? id : false
  })

  post('/contacts/:id/regroup', async (personId, req) => {
    const id = req.params.id as string
    return (await deps.contacts.regroupAgain(personId, id)) ? id : false
  })

  return router
}
