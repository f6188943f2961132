// The Graph adapter's own cases against the Graph fake, beyond the shared contract
// (contacts-apis.md §8.7): links followed verbatim, folders (nested, an empty default one,
// one deleted), delta rounds with empty pages, replays, partial updates and `@removed`,
// every 410 variant, fractional Retry-After, at most 4 requests at once per mailbox, and
// immutable ids across a move.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { defaultGraphSettings } from '../../demo/graph/graph-settings.ts'
import type { ContactsPage } from '../../src/contacts/contact-source.ts'
import { createContactSource } from '../../src/contacts/create-contact-source.ts'
import { readPages } from '../../src/contacts/read-pages.ts'
import { AppError } from '../../src/errors.ts'
import { createBackoff } from '../../src/imports/backoff.ts'
import { type GraphFake, startGraphFake } from '../support/graph-fake.ts'
import { resourceFetcher } from '../support/resource-fetch.ts'

const SUB = 'graph-person'
let graph: GraphFake
let token: string
const source = () =>
  createContactSource(
    { id: 'graph-test', contactsApi: 'graph', contactsUrl: graph.contactsUrl },
    { fetchResource: resourceFetcher() },
  )

beforeAll(async () => {
  graph = await startGraphFake()
  token = await graph.token(SUB)
})
afterAll(() => graph?.close())
beforeEach(() => {
  graph.fake.mailboxes.replace(SUB, {})
  graph.fake.faults.clear()
  Object.assign(graph.fake.settings, defaultGraphSettings())
})

const person = (n: number, extra: Record<string, unknown> = {}) => ({
  displayName: `Person ${n}`,
  givenName: 'Person',
  surname: String(n),
  emailAddresses: [{ name: `Person ${n}`, address: `p${n}@example.com` }],
  ...extra,
})

async function readAll(syncToken?: string, options: { retry?: boolean } = {}) {
  const pages: ContactsPage[] = []
  const backoff = createBackoff({ baseMs: 1, capMs: 5, tries: 3 })
  for await (const page of readPages({
    source: source(),
    contactsUrl: graph.contactsUrl,
    accessToken: async () => token,
    ...(syncToken && { options: { syncToken } }),
    ...(options.retry && { retry: (read) => backoff.retry(read) }),
  })) {
    pages.push(page)
  }
  return pages
}
const names = (pages: ContactsPage[]) =>
  pages.flatMap((p) => p.contacts.map((c) => c.name.display)).sort()
const syncOf = (pages: ContactsPage[]) => pages.at(-1)?.syncToken as string

async function rejection(promise: Promise<unknown>) {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a failure')
}

describe('folders', () => {
  it('when contacts sit in the default folder, a folder and its child folder, then a full read brings all of them, the default folder found through parentFolderId', async () => {
    graph.fake.mailboxes.replace(SUB, {
      folders: [{ name: 'Team' }, { name: 'Inner', parent: 'Team' }],
      contacts: [
        { fields: person(1) },
        { folder: 'Team', fields: person(2) },
        { folder: 'Inner', fields: person(3) },
      ],
    })
    const mark = graph.fake.requests.mark()
    const pages = await readAll()
    expect(names(pages)).toEqual(['Person 1', 'Person 2', 'Person 3'])
    const log = graph.fake.requests.since(mark)
    const box = graph.fake.mailboxes.mailbox(SUB)
    expect(
      log.some((r) => r.path === '/v1.0/me/contacts' && r.query.$select === 'parentFolderId'),
    ).toBe(true)
    expect(
      log.some(
        (r) =>
          r.path ===
          `/v1.0/me/contactFolders/${encodeURIComponent(box.defaultFolder)}/contacts/delta`,
      ),
    ).toBe(true)
    expect(log.filter((r) => r.path.endsWith('/childFolders'))).toHaveLength(2)
  })

  it('when the default folder is empty, then the other folders are read, and the default one joins once it holds a contact', async () => {
    graph.fake.mailboxes.replace(SUB, {
      folders: [{ name: 'Team' }],
      contacts: [{ folder: 'Team', fields: person(2) }],
    })
    const full = await readAll()
    expect(names(full)).toEqual(['Person 2'])
    graph.fake.mailboxes.add(SUB, person(1))
    const changes = await readAll(syncOf(full))
    expect(names(changes)).toEqual(['Person 1'])
    expect(names(await readAll(syncOf(changes)))).toEqual([])
  })

  it('when a folder read before is deleted, then the incremental read is SYNC_TOKEN_EXPIRED (its contacts are gone and no round says which)', async () => {
    graph.fake.mailboxes.replace(SUB, {
      folders: [{ name: 'Team' }],
      contacts: [{ folder: 'Team', fields: person(2) }],
    })
    const full = await readAll()
    const box = graph.fake.mailboxes.mailbox(SUB)
    graph.fake.mailboxes.deleteFolder(SUB, [...box.folders.keys()][0] as string)
    expect(await rejection(readAll(syncOf(full)))).toMatchObject({ code: 'SYNC_TOKEN_EXPIRED' })
  })
})

describe('links and ids', () => {
  it('when pages are linked, then each next request is exactly the link the fake handed out, with the same Prefer headers', async () => {
    graph.fake.mailboxes.replace(SUB, {
      contacts: Array.from({ length: 450 }, (_, n) => ({ fields: person(n) })),
    })
    const mark = graph.fake.requests.mark()
    const pages = await readAll()
    expect(pages.flatMap((p) => p.contacts)).toHaveLength(450)
    const links = pages.flatMap((p) => (p.next && 'url' in p.next ? [p.next.url] : []))
    expect(links).toHaveLength(2)
    const asked = graph.fake.requests.since(mark).map((r) => `${graph.contactsUrl.origin}${r.url}`)
    for (const link of links) expect(asked).toContain(link)
    const delta = graph.fake.requests.since(mark).filter((r) => r.path.endsWith('/delta'))
    expect(delta.map((r) => r.prefer)).toEqual(
      delta.map(() => 'IdType="ImmutableId", odata.maxpagesize=200'),
    )
  })

  it('when a page links to another origin, then the link is not followed and the read fails', async () => {
    graph.fake.mailboxes.replace(SUB, { contacts: [{ fields: person(1) }] })
    graph.fake.faults.add({
      route: 'delta',
      status: 200,
      body: {
        value: [],
        '@odata.nextLink': 'http://127.0.0.2:9/v1.0/me/contacts/delta?$skiptoken=x',
      },
    })
    expect(await rejection(readAll())).toMatchObject({ code: 'CONTACTS_BAD_RESPONSE' })
  })

  it('when a contact moves to another folder, then with immutable ids it keeps its id, where a legacy id would have changed', async () => {
    graph.fake.mailboxes.replace(SUB, {
      folders: [{ name: 'Team' }],
      contacts: [{ fields: person(1) }],
    })
    const full = await readAll()
    const [before] = full.flatMap((p) => p.contacts.map((c) => c.externalId))
    const box = graph.fake.mailboxes.mailbox(SUB)
    const stored = box.contacts.get(before as string)
    const { legacyIdOf } = await import('../../demo/graph/mailbox.ts')
    const legacyBefore = legacyIdOf(stored as never)
    graph.fake.mailboxes.move(SUB, before as string, [...box.folders.keys()][0] as string)
    expect(legacyIdOf(stored as never)).not.toBe(legacyBefore)
    const changes = await readAll(syncOf(full))
    expect(changes.flatMap((p) => p.contacts.map((c) => c.externalId))).toEqual([before])
    expect(changes.flatMap((p) => p.deleted)).toEqual([])
  })
})

describe('delta rounds', () => {
  it('when a round has an empty page, replays, partial updates and removals, then each change comes once, whole, and the removed one as deleted', async () => {
    graph.fake.mailboxes.replace(SUB, { contacts: [1, 2, 3].map((n) => ({ fields: person(n) })) })
    Object.assign(graph.fake.settings, { emitEmptyIntermediatePage: true })
    const full = await readAll()
    expect(full[0]?.contacts).toEqual([])
    expect(names(full)).toEqual(['Person 1', 'Person 2', 'Person 3'])
    const ids = Object.fromEntries(
      full.flatMap((p) => p.contacts.map((c) => [c.name.display, c.externalId])),
    )

    Object.assign(graph.fake.settings, {
      replayLastChange: true,
      partialUpdates: true,
      removedReason: 'changed',
    })
    graph.fake.mailboxes.update(SUB, ids['Person 1'], person(1, { jobTitle: 'Astronomer' }))
    graph.fake.mailboxes.delete(SUB, ids['Person 2'])
    const changes = await readAll(syncOf(full))
    const contacts = changes.flatMap((p) => p.contacts)
    expect(contacts.map((c) => c.externalId)).toEqual([ids['Person 1']])
    // Only jobTitle came in the delta; the adapter fetched the whole contact again.
    expect(contacts[0]?.emails.map((e) => e.address)).toEqual(['p1@example.com'])
    expect(contacts[0]?.organizations[0]?.title).toBe('Astronomer')
    expect(changes.flatMap((p) => p.deleted)).toEqual([ids['Person 2']])
  })

  it.each(['SyncStateNotFound', 'resyncRequired', 'location'] as const)(
    'when a deltaLink is answered 410 (%s), then it is SYNC_TOKEN_EXPIRED, and a full read hands out links that work',
    async (answer) => {
      graph.fake.mailboxes.replace(SUB, { contacts: [{ fields: person(1) }] })
      graph.fake.settings.expiredAnswer = answer
      const full = await readAll()
      graph.fake.faults.expireDeltaTokens()
      expect(await rejection(readAll(syncOf(full)))).toMatchObject({
        code: 'SYNC_TOKEN_EXPIRED',
        provider: 'graph-test',
      })
      const fresh = await readAll()
      expect(names(await readAll(syncOf(fresh)))).toEqual([])
    },
  )

  it('when the sync token is not one this adapter made, then it is SYNC_TOKEN_EXPIRED', async () => {
    expect(await rejection(readAll('people-sync-token'))).toMatchObject({
      code: 'SYNC_TOKEN_EXPIRED',
    })
  })
})

describe('throttling', () => {
  it('when Graph answers 429 with Retry-After 2.128, then the wait is 2.128 s', async () => {
    graph.fake.faults.add({ status: 429, retryAfter: '2.128' })
    const err = await rejection(source().listPage(token))
    expect(err).toBeInstanceOf(AppError)
    expect(err).toMatchObject({
      code: 'CONTACTS_UNAVAILABLE',
      retryable: true,
      retryAfterSeconds: 2.128,
    })
  })

  it('when a page is throttled with a fractional Retry-After, then the reader waits that long and goes on', async () => {
    graph.fake.mailboxes.replace(SUB, { contacts: [{ fields: person(1) }] })
    graph.fake.faults.add({ status: 429, retryAfter: '0.35', route: 'delta' })
    const started = performance.now()
    const pages = await readAll(undefined, { retry: true })
    expect(performance.now() - started).toBeGreaterThanOrEqual(340)
    expect(names(pages)).toEqual(['Person 1'])
  })

  it('when many removals are looked up at once, then at most 4 requests of the mailbox are in flight and Graph never throttles', async () => {
    graph.fake.mailboxes.replace(SUB, {
      folders: Array.from({ length: 6 }, (_, n) => ({ name: `F${n}` })),
      contacts: Array.from({ length: 30 }, (_, n) => ({ fields: person(n) })),
    })
    const full = await readAll()
    for (const c of full.flatMap((p) => p.contacts)) graph.fake.mailboxes.delete(SUB, c.externalId)
    // Slow answers, so that the lookups overlap.
    graph.fake.faults.add({ route: 'contact', delayMs: 30, times: 30 })
    graph.fake.faults.add({ route: 'folders', delayMs: 30, times: 20 })
    const mark = graph.fake.requests.mark()
    const changes = await readAll(syncOf(full))
    expect(changes.flatMap((p) => p.deleted)).toHaveLength(30)
    expect(graph.fake.requests.since(mark).filter((r) => r.status === 429)).toEqual([])
    expect(graph.fake.stats.maxInFlight).toBe(4)
  })
})

describe('photos', () => {
  it('when a stored photo path is not one the adapter makes, then nothing is sent anywhere, token or not', async () => {
    graph.fake.mailboxes.replace(SUB, { contacts: [{ fields: person(1) }] })
    const mark = graph.fake.requests.mark()
    const fetchPhoto = source().fetchPhoto
    for (const path of [
      '/me/photo/$value',
      '/me/contacts/../photo/$value',
      'http://evil.example/x',
    ]) {
      const err = await rejection(fetchPhoto?.(token, path) ?? Promise.resolve())
      expect(err).toBeInstanceOf(AppError)
      expect(err).toMatchObject({ code: 'NOT_FOUND', status: 404 })
    }
    expect(graph.fake.requests.since(mark)).toEqual([])
  })

  it('when many photos are opened at once, then they share the mailbox limit with everything else: at most 4 in flight', async () => {
    const photo = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00])
    graph.fake.mailboxes.replace(SUB, {
      contacts: Array.from({ length: 10 }, (_, n) => ({ fields: person(n), photo })),
    })
    const [page] = await readAll()
    graph.fake.faults.add({ route: 'photo', delayMs: 30, times: 10 })
    const adapter = source()
    const photos = await Promise.all(
      (page?.contacts ?? []).map((c) => {
        const [p] = c.photos
        return p && 'fetchPath' in p ? adapter.fetchPhoto?.(token, p.fetchPath) : undefined
      }),
    )
    expect(photos.map((p) => p?.contentType)).toEqual(Array(10).fill('image/jpeg'))
    expect(graph.fake.stats.maxInFlight).toBe(4)
  })
})
