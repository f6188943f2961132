// The merged book on real PostgreSQL (migration 0005): contacts from two connections (and
// duplicates within one) are one card when they share a normalised email or an E.164
// phone — never by name; the cards follow every write (an update that drops the shared
// email splits the card again, removing a source leaves the other's cards); the person's
// split and join survive a re-import and a resync's mark and sweep; search, pages and
// counts are of cards; and another person's contacts neither merge nor can be touched.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type ContactsStore, createContactsStore } from '../../src/address-book/contacts-store.ts'
import type { Contact } from '../../src/contacts/contact.ts'
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
let google: Owner
let microsoft: Owner
let bob: Owner

beforeAll(async () => {
  database = await createTestDatabase()
  store = createContactsStore({ db: database.db, defaultPhoneRegion: 'GB' })
})
afterAll(() => database?.drop())
beforeEach(async () => {
  await database.db.query('DELETE FROM people')
  google = await createOwner(database.db, 'google')
  microsoft = {
    personId: google.personId,
    connectionId: await addConnection(database.db, google.personId, 'microsoft'),
  }
  bob = await createOwner(database.db, 'google')
})

const write = (owner: Owner, contacts: Contact[], seenBy?: string) =>
  inTransaction(database.db, (tx) => store.upsert(tx, { ...owner, seenBy }, contacts))

const person = (
  id: string,
  name: string,
  emails: string[] = [],
  phones: Array<[string, string | undefined]> = [],
) =>
  contact(id, {
    name: { display: name },
    emails: emails.map((address, i) => ({ address, type: 'home', primary: i === 0 })),
    phones: phones.map(([value, e164], i) => ({ value, e164, type: 'mobile', primary: i === 0 })),
  })

/** The person's cards as sorted lists of their contacts' names. */
async function cards(owner: Owner = google): Promise<string[][]> {
  const seen: string[][] = []
  let after: string | undefined
  do {
    const page = await store.listCards(owner.personId, { after, limit: 100 })
    for (const summary of page.cards) {
      const card = await store.card(owner.personId, summary.id)
      seen.push((card?.contacts ?? []).map((c) => c.displayName).sort())
    }
    after = page.next
  } while (after)
  return seen.sort((a, b) => String(a[0]).localeCompare(String(b[0])))
}

async function idOf(owner: Owner, externalId: string): Promise<string> {
  const { rows } = await database.db.query<{ id: string }>(
    'SELECT id FROM contacts WHERE connection_id = $1 AND external_id = $2',
    [owner.connectionId, externalId],
  )
  return String(rows[0]?.id)
}

describe('grouping', () => {
  it('when two sources hold one email in other case and with spaces, then they are one card with both sources, and the card says why', async () => {
    await write(google, [person('g/ada', 'Ada Lovelace', ['Ada@Analytical.Example'])])
    await write(microsoft, [person('m/ada', 'Ada King', ['  ada@analytical.example '])])

    expect(await cards()).toEqual([['Ada King', 'Ada Lovelace']])
    const page = await store.listCards(google.personId, { limit: 10 })
    expect(page.count).toBe(1)
    expect(page.cards[0]?.connectionIds.sort()).toEqual(
      [google.connectionId, microsoft.connectionId].sort(),
    )
    expect(page.cards[0]?.contacts).toBe(2)
    expect(await store.counts(google.personId)).toEqual({ contacts: 2, cards: 1 })
    const card = await store.card(google.personId, await idOf(microsoft, 'm/ada'))
    expect(card?.reasons).toEqual([
      { kind: 'email', value: 'ada@analytical.example', contactIds: expect.any(Array) },
    ])
  })

  it('when two contacts hold one number written differently, then the E.164 form merges them; a number without one merges nothing', async () => {
    await write(google, [
      person('g/1', 'Bea', [], [['020 7946 0958', '+442079460958']]),
      person('g/2', 'Cy', [], [['12345', undefined]]),
    ])
    await write(microsoft, [
      person('m/1', 'Beatrice', [], [['+44 (20) 7946-0958', '+442079460958']]),
      person('m/2', 'Cyril', [], [['12345', undefined]]),
    ])
    expect(await cards()).toEqual([['Bea', 'Beatrice'], ['Cy'], ['Cyril']])
    const card = await store.card(google.personId, await idOf(google, 'g/1'))
    expect(card?.reasons.map((r) => ('value' in r ? `${r.kind} ${r.value}` : r.kind))).toEqual([
      'phone +442079460958',
    ])
  })

  it('when two contacts share only a name, then they stay two cards', async () => {
    await write(google, [person('g/1', 'John Smith', ['john@one.example'])])
    await write(microsoft, [person('m/1', 'John Smith', ['john@two.example'])])
    expect(await cards()).toEqual([['John Smith'], ['John Smith']])
    expect((await store.counts(google.personId)).cards).toBe(2)
  })

  it('when one source holds a contact twice, then it is one card; and keys chain: a shares an email with b, b a phone with c', async () => {
    await write(google, [
      person('g/1', 'Dee', ['dee@x.example']),
      person('g/2', 'Dee (old)', ['DEE@x.example']),
      person('g/3', 'Ed', ['ed@x.example'], [['07700 900123', '+447700900123']]),
      person('g/4', 'Edward', [], [['+447700900123', '+447700900123']]),
    ])
    await write(microsoft, [person('m/1', 'E.', ['ed@x.example'])])
    expect(await cards()).toEqual([
      ['Dee', 'Dee (old)'],
      ['E.', 'Ed', 'Edward'],
    ])
  })

  it('when an update removes the shared email, then the card splits again; a later one that shares it merges again', async () => {
    await write(google, [person('g/1', 'Fay', ['fay@x.example'])])
    await write(microsoft, [person('m/1', 'Fay M', ['fay@x.example'])])
    expect(await cards()).toHaveLength(1)
    await write(microsoft, [
      { ...person('m/1', 'Fay M', ['fay@elsewhere.example']), etag: 'changed' },
    ])
    expect(await cards()).toEqual([['Fay'], ['Fay M']])
    expect(await store.counts(google.personId)).toEqual({ contacts: 2, cards: 2 })
    await write(microsoft, [{ ...person('m/1', 'Fay M', ['fay@x.example']), etag: 'again' }])
    expect(await cards()).toEqual([['Fay', 'Fay M']])
  })

  it("when one source's contacts are removed (deleted, or its connection goes), then the other source's cards stay, one contact each", async () => {
    await write(google, [
      person('g/1', 'Gil', ['gil@x.example']),
      person('g/2', 'Hal', ['hal@x.example']),
    ])
    await write(microsoft, [
      person('m/1', 'Gil M', ['gil@x.example']),
      person('m/2', 'Hal M', ['hal@x.example']),
    ])
    expect(await cards()).toHaveLength(2)
    await inTransaction(database.db, (tx) => store.remove(tx, microsoft.connectionId, ['m/1']))
    expect(await cards()).toEqual([['Gil'], ['Hal', 'Hal M']])
    await database.db.query('DELETE FROM connections WHERE id = $1', [microsoft.connectionId])
    expect(await cards()).toEqual([['Gil'], ['Hal']])
    expect(await store.counts(google.personId)).toEqual({ contacts: 2, cards: 2 })
  })

  it("when bob's book holds the same email, then it merges nothing across people", async () => {
    await write(google, [person('g/1', 'Ivy', ['ivy@x.example'])])
    await write(bob, [person('b/1', 'Ivy (Bob’s)', ['ivy@x.example'])])
    expect(await cards()).toEqual([['Ivy']])
    expect(await cards(bob)).toEqual([['Ivy (Bob’s)']])
    expect(await store.card(bob.personId, await idOf(google, 'g/1'))).toBeUndefined()
  })
})

describe('cards kept as rows are written', () => {
  /** The person's cards as rows: contact → lead, and the number behind a lead. */
  async function snapshot(personId: string) {
    const { rows } = await database.db.query<{ contact_id: string; card_id: string }>(
      `SELECT m.contact_id, m.card_id FROM card_members m JOIN contacts c ON c.id = m.contact_id
       WHERE c.person_id = $1 ORDER BY m.contact_id`,
      [personId],
    )
    const { rows: totals } = await database.db.query<{ merged: number }>(
      'SELECT merged FROM card_totals WHERE person_id = $1',
      [personId],
    )
    return { members: rows, merged: totals[0]?.merged ?? 0 }
  }

  /**
   * Where what a search reads (contact_search, migration 0006) disagrees with the book: a
   * contact without its row, a row without its contact, another sort key, or a card other
   * than card_members says.
   */
  async function searchRowsAstray(personId: string) {
    const { rows } = await database.db.query(
      `SELECT c.id, s.contact_id FROM (SELECT * FROM contacts WHERE person_id = $1) c
       FULL JOIN (SELECT * FROM contact_search WHERE person_id = $1) s ON s.contact_id = c.id
       LEFT JOIN card_members m ON m.contact_id = c.id
       WHERE c.id IS NULL OR s.contact_id IS NULL OR s.sort_key <> c.sort_key
         OR s.card_id IS DISTINCT FROM m.card_id`,
      [personId],
    )
    return rows
  }

  it('when contacts come, gain and lose keys, are renamed and removed in many small writes, then the cards are those a regrouping of the whole book finds, leads and counts included', async () => {
    // A small pool of keys, so that new contacts bridge cards, join big ones and split them.
    let seed = 7
    const rnd = (below: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % below
    }
    const emails = (n: number) =>
      Array.from({ length: n }, () => `k${rnd(40)}@pool.example`).filter(
        (e, i, a) => a.indexOf(e) === i,
      )
    const name = () => (rnd(4) === 0 ? '' : `P${rnd(90)}`)
    const owners = [google, microsoft]
    for (let step = 0; step < 40; step++) {
      const owner = owners[step % 2] ?? google
      const batch = Array.from({ length: 1 + rnd(8) }, () => {
        const id = `x/${rnd(60)}`
        return person(
          id,
          name(),
          emails(rnd(3)),
          rnd(3) === 0 ? [[`+44 20 7946 0${rnd(20)}`, `+4420794600${rnd(20)}`]] : [],
        )
      })
      const unique = [...new Map(batch.map((c) => [c.externalId, c])).values()]
      await write(owner, unique)
      if (step % 5 === 4) {
        await inTransaction(database.db, (tx) =>
          store.remove(tx, owner.connectionId, [`x/${rnd(60)}`, `x/${rnd(60)}`]),
        )
      }
      if (step % 10 === 9) {
        const kept = await snapshot(google.personId)
        await database.db.query(
          'SELECT card_regroup($1, ARRAY(SELECT id FROM contacts WHERE person_id = $1))',
          [google.personId],
        )
        expect(await snapshot(google.personId)).toEqual(kept)
        expect(kept.merged).toBe(kept.members.filter((m) => m.contact_id !== m.card_id).length)
      }
      expect(await searchRowsAstray(google.personId)).toEqual([])
    }
    const { members, merged } = await snapshot(google.personId)
    expect(members.length).toBeGreaterThan(10)
    expect(merged).toBeGreaterThan(5)
  })
})

describe('split and join', () => {
  it('when a contact is taken out of its card, then it stays out through a re-import and a full resync (mark and sweep), and can be grouped again', async () => {
    await write(google, [person('g/1', 'Jo', ['jo@x.example'])])
    await write(microsoft, [person('m/1', 'Jo Other', ['jo@x.example'])])
    const taken = await idOf(microsoft, 'm/1')
    expect(await store.split(google.personId, taken)).toBe(true)
    expect(await cards()).toEqual([['Jo'], ['Jo Other']])
    expect((await store.card(google.personId, taken))?.takenOut).toEqual([taken])

    // A re-import with changes, then a full resync that sweeps a record and brings it back.
    await write(microsoft, [{ ...person('m/1', 'Jo Other', ['jo@x.example']), etag: 'e2' }])
    const run = randomUUID()
    await write(microsoft, [person('m/2', 'Someone', ['s@x.example'])], run)
    await inTransaction(database.db, (tx) => store.sweep(tx, microsoft.connectionId, run))
    expect(await cards()).toEqual([['Jo'], ['Someone']])
    await write(microsoft, [person('m/1', 'Jo Other', ['jo@x.example'])])
    expect(await cards()).toEqual([['Jo'], ['Jo Other'], ['Someone']])

    expect(await store.regroupAgain(google.personId, await idOf(microsoft, 'm/1'))).toBe(true)
    expect(await cards()).toEqual([['Jo', 'Jo Other'], ['Someone']])
  })

  it('when two cards are joined by hand, then they are one card that says so, through a re-import and a resync; a split undoes it', async () => {
    await write(google, [person('g/1', 'Kim', ['kim@home.example'])])
    await write(microsoft, [person('m/1', 'K. Lee', ['kim@work.example'])])
    const [a, b] = [await idOf(google, 'g/1'), await idOf(microsoft, 'm/1')]
    expect(await store.join(google.personId, a, b)).toBe(true)
    expect(await cards()).toEqual([['K. Lee', 'Kim']])
    expect((await store.card(google.personId, a))?.reasons).toEqual([
      { kind: 'joined', contactIds: expect.arrayContaining([a, b]) },
    ])

    const run = randomUUID()
    await write(microsoft, [{ ...person('m/1', 'K. Lee', ['kim@work.example']), etag: 'e2' }], run)
    await inTransaction(database.db, (tx) => store.sweep(tx, microsoft.connectionId, run))
    expect(await cards()).toEqual([['K. Lee', 'Kim']])

    expect(await store.split(google.personId, b)).toBe(true)
    expect(await cards()).toEqual([['K. Lee'], ['Kim']])
  })

  it('when ids are not the person’s, not ids, or already one card, then nothing changes', async () => {
    await write(google, [person('g/1', 'Lou', ['lou@x.example'])])
    await write(microsoft, [person('m/1', 'Lou M', ['lou@x.example'])])
    await write(bob, [
      person('b/1', 'Mo', ['mo@x.example']),
      person('b/2', 'Mo 2', ['mo@x.example']),
    ])
    const [a, b] = [await idOf(google, 'g/1'), await idOf(microsoft, 'm/1')]
    const bobs = await idOf(bob, 'b/1')
    expect(await store.split(bob.personId, a)).toBe(false)
    expect(await store.join(bob.personId, a, bobs)).toBe(false)
    expect(await store.join(google.personId, a, bobs)).toBe(false)
    expect(await store.join(google.personId, a, b)).toBe(false)
    expect(await store.split(google.personId, 'not-an-id')).toBe(false)
    expect(await store.regroupAgain(google.personId, a)).toBe(false)
    expect(await cards()).toEqual([['Lou', 'Lou M']])
    expect(await cards(bob)).toEqual([['Mo', 'Mo 2']])
  })
})

describe('cards on the list', () => {
  it('when 130 contacts make 65 cards, then pages of 20 hold every card once, in order, with the number of cards; a search finds a card by any of its contacts', async () => {
    const n = (i: number) => String(i).padStart(3, '0')
    await write(
      google,
      Array.from({ length: 65 }, (_, i) => person(`g/${i}`, `Person ${n(i)}`, [`p${i}@x.example`])),
    )
    await write(
      microsoft,
      Array.from({ length: 65 }, (_, i) =>
        person(
          `m/${i}`,
          `Work ${n(i)}`,
          [`P${i}@X.example`],
          [[`07700 900${n(i)}`, `+447700900${n(i)}`]],
        ),
      ),
    )
    const seen: string[] = []
    const counts = new Set<number>()
    let after: string | undefined
    do {
      const page = await store.listCards(google.personId, { after, limit: 20 })
      seen.push(...page.cards.map((c) => c.displayName))
      counts.add(page.count)
      after = page.next
    } while (after)
    expect(seen).toEqual(Array.from({ length: 65 }, (_, i) => `Person ${n(i)}`))
    expect([...counts]).toEqual([65])

    const found = await store.listCards(google.personId, { q: 'work 007', limit: 5 })
    expect(found.cards.map((c) => c.displayName)).toEqual(['Person 007'])
    expect(found.count).toBe(1)
    const byPhone = await store.listCards(google.personId, { q: '07700 900 012', limit: 5 })
    expect(byPhone.cards.map((c) => c.displayName)).toEqual(['Person 012'])
    const many = await store.listCards(google.personId, { q: 'work', limit: 50 })
    expect(many.count).toBe(65)
    expect(many.cards).toHaveLength(50)
    const rest = await store.listCards(google.personId, { q: 'work', limit: 50, after: many.next })
    expect(rest.cards).toHaveLength(15)
    expect(rest.next).toBeUndefined()
    expect((await store.listCards(bob.personId, { q: 'work', limit: 5 })).count).toBe(0)

    // Lead and member both match: each card still once, counted once.
    const both = await store.listCards(google.personId, { q: 'x.example', limit: 50 })
    const bothRest = await store.listCards(google.personId, {
      q: 'x.example',
      limit: 50,
      after: both.next,
    })
    expect(both.count).toBe(65)
    expect([...both.cards, ...bothRest.cards].map((c) => c.displayName)).toEqual(
      Array.from({ length: 65 }, (_, i) => `Person ${n(i)}`),
    )
    expect(bothRest.next).toBeUndefined()
    const one = await store.listCards(google.personId, { q: 'p7@', limit: 5 })
    expect(one.cards.map((c) => [c.displayName, c.contacts])).toEqual([['Person 007', 2]])
    expect(one.count).toBe(1)
  })

  it('when the cards are streamed, then each card comes once with all its contacts', async () => {
    await write(google, [person('g/1', 'Ned', ['ned@x.example']), person('g/2', 'Olive')])
    await write(microsoft, [person('m/1', 'Ned M', ['ned@x.example'])])
    const batches: string[][][] = []
    for await (const batch of store.streamCards(google.personId, 1)) {
      batches.push(batch.map((card) => card.contacts.map((c) => c.displayName)))
    }
    expect(batches).toEqual([[['Ned', 'Ned M']], [['Olive']]])
  })
})
