// What the pages read of the address book, on real PostgreSQL: the list sorted by name
// with accents and case ignored, keyset pages that together hold every contact exactly
// once, search by name, email, phone in another format and organisation, one contact with
// every field, the export's batches — and never a row of another person.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ContactSummary,
  type ContactsStore,
  createContactsStore,
} from '../../src/address-book/contacts-store.ts'
import { encodeCursor } from '../../src/address-book/list-cursor.ts'
import type { Contact } from '../../src/contacts/contact.ts'
import { AppError } from '../../src/errors.ts'
import {
  addConnection,
  contact,
  createOwner,
  inTransaction,
  type Owner,
} from './support/address-book.ts'
import { createTestDatabase, type TestDatabase } from './support/database.ts'

let database: TestDatabase
let store: ContactsStore
let alice: Owner
let aliceWork: string
let bob: Owner
let carol: Owner

const NAMES = ['Zoë Ångström', 'émile Zola', 'Eve Adams', 'Ève Adams', 'adam Smith', 'ÉMILE Blanc']

function ada(): Contact {
  return contact('people/ada', {
    name: { display: 'Ada Lovelace', given: 'Ada', family: 'Lovelace' },
    nicknames: ['Enchantress'],
    emails: [
      { address: 'ada@analytical.example', type: 'work', primary: true },
      { address: 'countess@home.example', type: 'home', primary: false },
    ],
    phones: [{ value: '020 7946 0958', e164: '+442079460958', type: 'mobile', primary: true }],
    organizations: [
      {
        name: 'Analytical Engine Society',
        title: 'Programmer',
        department: 'Notes',
        type: 'work',
        primary: true,
      },
    ],
    birthdays: [{ date: { year: 1815, month: 12, day: 10 }, text: undefined, primary: true }],
    labels: ['Friends'],
    raw: { resourceName: 'people/ada', etag: 'etag-people/ada', kept: ['everything'] },
  })
}

const write = (owner: Owner, contacts: Contact[]) =>
  inTransaction(database.db, (tx) => store.upsert(tx, { ...owner, seenBy: undefined }, contacts))

beforeAll(async () => {
  database = await createTestDatabase()
  store = createContactsStore({ db: database.db, defaultPhoneRegion: 'GB' })
  alice = await createOwner(database.db, 'demo')
  aliceWork = await addConnection(database.db, alice.personId, 'google')
  bob = await createOwner(database.db, 'demo')
  carol = await createOwner(database.db, 'demo')
  await write(alice, [
    ada(),
    ...NAMES.map((display, i) => contact(`people/n${i}`, { name: { display } })),
    // Ties: the same name many times, so the id decides and pages split inside a name.
    ...Array.from({ length: 40 }, (_, i) =>
      contact(`people/same${i}`, { name: { display: 'Sam Same' } }),
    ),
    ...Array.from({ length: 150 }, (_, i) =>
      contact(`people/p${i}`, { name: { display: `Person ${String(i).padStart(3, '0')}` } }),
    ),
  ])
  await write({ personId: alice.personId, connectionId: aliceWork }, [
    contact('work/1', { name: { display: 'Émile Work' } }),
  ])
  // Bob's book holds the same names, emails and phone numbers as Alice's.
  await write(bob, [
    { ...ada(), name: { ...ada().name, display: 'Ada Lovelace (Bob’s)' } },
    ...NAMES.map((display, i) => contact(`people/n${i}`, { name: { display: `${display} B` } })),
  ])
})
afterAll(() => database?.drop())

/** Every page of a list, following `next`, with the page sizes seen. */
async function allPages(personId: string, options: { q?: string; limit: number }) {
  const seen: ContactSummary[] = []
  const sizes: number[] = []
  const counts = new Set<number>()
  let after: string | undefined
  do {
    const page = await store.list(personId, { ...options, after })
    seen.push(...page.contacts)
    sizes.push(page.contacts.length)
    counts.add(page.count)
    after = page.next
  } while (after && sizes.length < 1000)
  // Every page carries the number of the whole list (or of all the matches), not its own.
  expect([...counts]).toEqual([seen.length])
  return { seen, sizes }
}

const names = (contacts: ReadonlyArray<{ displayName: string }>) =>
  contacts.map((c) => c.displayName)

describe('list', () => {
  it('when names differ in accents and case, then they sort together as if plain', async () => {
    const page = await store.list(alice.personId, { limit: 10 })
    const shown = names(page.contacts)
    expect(shown.slice(0, 5)).toEqual([
      'Ada Lovelace',
      'adam Smith',
      'ÉMILE Blanc',
      'Émile Work',
      'émile Zola',
    ])
    // Equal once folded: their ids decide, which is random.
    expect(shown.slice(5, 7).sort()).toEqual(['Eve Adams', 'Ève Adams'])
    expect(shown.slice(7)).toEqual(['Person 000', 'Person 001', 'Person 002'])
    expect(page.contacts[0]).toEqual({
      id: expect.any(String),
      connectionId: alice.connectionId,
      displayName: 'Ada Lovelace',
      email: 'ada@analytical.example',
      phone: '020 7946 0958',
      organization: 'Analytical Engine Society',
    })
    expect(page.next).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]+$/))
  })

  it('when every page is followed, then each contact appears exactly once, in the order of one long page', async () => {
    const total = await store.count(alice.personId)
    expect(total).toBe(1 + NAMES.length + 40 + 150 + 1)
    const whole = await store.list(alice.personId, { limit: 1000 })
    expect(whole.next).toBeUndefined()
    for (const limit of [1, 7, 10, 99]) {
      const { seen, sizes } = await allPages(alice.personId, { limit })
      expect(seen.map((c) => c.id)).toEqual(whole.contacts.map((c) => c.id))
      expect(new Set(seen.map((c) => c.id)).size).toBe(total)
      expect(sizes.slice(0, -1).every((size) => size === limit)).toBe(true)
    }
    expect(names(whole.contacts).at(-1)).toBe('Zoë Ångström')
  })

  it('when the book ends exactly at a page boundary, then the last page has no next', async () => {
    const total = await store.count(alice.personId)
    const { sizes } = await allPages(alice.personId, { limit: total })
    expect(sizes).toEqual([total])
  })

  it('when a cursor points past the last row, then the page is empty and still tells the number', async () => {
    const total = await store.count(alice.personId)
    const last = await store.list(alice.personId, { limit: total - 1 })
    const end = await store.list(alice.personId, { after: last.next, limit: 1 })
    expect(end.contacts).toHaveLength(1)
    const beyond = await store.list(alice.personId, {
      after: encodeCursor({ sortKey: 'zzzz', id: '00000000-0000-0000-0000-000000000000' }),
      limit: 10,
    })
    expect(beyond).toEqual({ contacts: [], next: undefined, count: total })
    const searched = await store.list(alice.personId, {
      q: 'person',
      after: encodeCursor({ sortKey: 'zzzz', id: '00000000-0000-0000-0000-000000000000' }),
      limit: 10,
    })
    expect(searched).toEqual({ contacts: [], next: undefined, count: 150 })
  })

  it('when the limit is out of range, then it is held within 1 to 1000', async () => {
    expect((await store.list(alice.personId, { limit: 0 })).contacts).toHaveLength(1)
    expect((await store.list(alice.personId, { limit: Number.NaN })).contacts).toHaveLength(1)
    expect((await store.list(alice.personId, { limit: 10_000 })).contacts).toHaveLength(198)
  })

  it('when the cursor is not one the list made, then it is a 400 BAD_REQUEST, not a 500', async () => {
    const json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const bad = [
      'not a cursor!',
      '%%%',
      Buffer.from('not json').toString('base64url'),
      json({ sortKey: 'a', id: '00000000-0000-0000-0000-000000000000' }),
      json(['a']),
      json(['a', 'not-a-uuid']),
      json([42, '00000000-0000-0000-0000-000000000000']),
      json(['nul\u0000', '00000000-0000-0000-0000-000000000000']),
      'A'.repeat(5000),
    ]
    for (const after of bad) {
      const failure = await store.list(alice.personId, { after, limit: 10 }).catch((err) => err)
      expect(failure, after).toBeInstanceOf(AppError)
      expect(failure).toMatchObject({ code: 'BAD_REQUEST', status: 400, expose: true })
    }
  })

  it("when another person's cursor is used, then it only moves the start within one's own book", async () => {
    const bobs = await store.list(bob.personId, { limit: 1 })
    const page = await store.list(alice.personId, { after: bobs.next, limit: 1000 })
    expect(page.contacts.every((c) => c.connectionId !== bob.connectionId)).toBe(true)
    expect(page.contacts.length).toBeGreaterThan(0)
  })
})

describe('search', () => {
  const search = async (q: string, personId = alice.personId) => {
    const { seen } = await allPages(personId, { q, limit: 5 })
    expect(await store.count(personId, q)).toBe(seen.length)
    return names(seen)
  }

  it('when searching a name, then accents and case do not matter', async () => {
    expect(await search('EMILE')).toEqual(['ÉMILE Blanc', 'Émile Work', 'émile Zola'])
    expect(await search('zoe ang')).toEqual(['Zoë Ångström'])
    expect(await search('lovelace')).toEqual(['Ada Lovelace'])
    expect(await search('enchant')).toEqual(['Ada Lovelace'])
  })

  it('when searching an email, a phone in another format or an organisation, then the contact is found', async () => {
    expect(await search('countess@home')).toEqual(['Ada Lovelace'])
    expect(await search('+44 20 7946 0958')).toEqual(['Ada Lovelace'])
    expect(await search('(020) 7946-0958')).toEqual(['Ada Lovelace'])
    expect(await search('7946')).toEqual(['Ada Lovelace'])
    expect(await search('analytical engine')).toEqual(['Ada Lovelace'])
    expect(await search('programmer')).toEqual(['Ada Lovelace'])
  })

  it('when nothing matches, or the query holds wildcards, then nothing is found', async () => {
    expect(await search('nobody at all')).toEqual([])
    expect(await search('%')).toEqual([])
    expect(await search('_')).toEqual([])
  })

  it('when the query is blank, then it is the whole book', async () => {
    expect(await store.count(alice.personId, '  ')).toBe(await store.count(alice.personId))
  })

  it('when a search spans several pages, then each match appears once', async () => {
    const found = await search('person')
    expect(found).toHaveLength(150)
    expect(new Set(found).size).toBe(150)
  })
})

describe('count, get, stream', () => {
  it('when counting per connection, then each of the person’s connections has its own number', async () => {
    expect(await store.countByConnection(alice.personId)).toEqual(
      new Map([
        [alice.connectionId, 197],
        [aliceWork, 1],
      ]),
    )
    expect(await store.countByConnection(carol.personId)).toEqual(new Map())
  })

  it('when one contact is opened, then every field, its raw record and its source come back', async () => {
    const [first] = (await store.list(alice.personId, { q: 'lovelace', limit: 1 })).contacts
    const stored = await store.get(alice.personId, first?.id ?? '')
    expect(stored).toMatchObject({
      id: first?.id,
      connectionId: alice.connectionId,
      provider: 'demo',
      externalId: 'people/ada',
      etag: 'etag-people/ada',
      displayName: 'Ada Lovelace',
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    })
    expect(stored?.contact).toEqual(ada())
  })

  it('when the id is not a uuid, unknown, or another person’s, then there is no contact', async () => {
    const [bobs] = (await store.list(bob.personId, { limit: 1 })).contacts
    expect(await store.get(alice.personId, 'not-a-uuid')).toBeUndefined()
    expect(await store.get(alice.personId, "1' OR '1'='1")).toBeUndefined()
    expect(await store.get(alice.personId, '00000000-0000-0000-0000-000000000000')).toBeUndefined()
    expect(await store.get(alice.personId, bobs?.id ?? '')).toBeUndefined()
    expect(await store.get(bob.personId, bobs?.id ?? '')).toBeDefined()
  })

  it('when the book is streamed, then it comes in batches, in list order, each contact once', async () => {
    const whole = await store.list(alice.personId, { limit: 1000 })
    const batches: number[] = []
    const ids: string[] = []
    for await (const batch of store.stream(alice.personId, 50)) {
      batches.push(batch.length)
      ids.push(...batch.map((c) => c.id))
      expect(batch.every((c) => c.contact.externalId === c.externalId)).toBe(true)
    }
    expect(batches).toEqual([50, 50, 50, 48])
    expect(ids).toEqual(whole.contacts.map((c) => c.id))
  })

  it('when the stream is left early, then it stops without reading further', async () => {
    let batches = 0
    for await (const batch of store.stream(alice.personId, 10)) {
      batches += 1
      expect(batch).toHaveLength(10)
      break
    }
    expect(batches).toBe(1)
    const empty: unknown[] = []
    for await (const batch of store.stream(carol.personId)) empty.push(batch)
    expect(empty).toEqual([])
  })
})

describe('another person', () => {
  it('never sees, finds, counts or streams the other’s contacts', async () => {
    const bobsIds = new Set(
      (await store.list(bob.personId, { limit: 1000 })).contacts.map((c) => c.id),
    )
    expect(bobsIds.size).toBe(1 + NAMES.length)
    const alices = [
      ...(await allPages(alice.personId, { limit: 10 })).seen,
      ...(await allPages(alice.personId, { q: 'ada lovelace', limit: 10 })).seen,
      ...(await allPages(alice.personId, { q: '020 7946 0958', limit: 10 })).seen,
    ]
    expect(alices.filter((c) => bobsIds.has(c.id))).toEqual([])
    for await (const batch of store.stream(alice.personId)) {
      expect(batch.filter((c) => bobsIds.has(c.id))).toEqual([])
    }
    expect(await store.count(alice.personId, 'bob’s')).toBe(0)
    expect(await store.count(carol.personId)).toBe(0)
    expect(await store.count(carol.personId, 'ada')).toBe(0)
    expect((await store.list(carol.personId, { limit: 10 })).contacts).toEqual([])
  })
})
