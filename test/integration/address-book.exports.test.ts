// GET /contacts/export.vcf and /contacts/export.csv against the real stack: the headers of
// a download, a file that ical.js and csv-parse read back whole, the store's keyset reader
// used batch by batch, only the signed-in person's contacts, and the per-person budget.

import { parse } from 'csv-parse/sync'
import ICAL from 'ical.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ContactsStore } from '../../src/address-book/contacts-store.ts'
import { CSV_COLUMNS } from '../../src/exports/google-csv.ts'
import { EXPORT_BATCH_SIZE } from '../../src/web/routes/contact-exports.ts'
import { awkwardContact } from '../fixtures/stored-contact.ts'
import { contact } from './support/address-book.ts'
import { Browser } from './support/browser.ts'
import { signIn } from './support/login.ts'
import { type BookOwner, seedBook } from './support/seed-book.ts'
import { startStack, type TestStack } from './support/stack.ts'

const BOOK_SIZE = EXPORT_BATCH_SIZE * 2 + 7

let stack: TestStack
let alice: Browser
let bob: Browser
let aliceBook: BookOwner

beforeAll(async () => {
  stack = await startStack()
  alice = new Browser()
  bob = new Browser()
  await signIn(alice, stack.appUrl, { username: 'alice', password: 'alice-demo' })
  await signIn(bob, stack.appUrl, { username: 'bob', password: 'bob-demo' })
  aliceBook = await seedBook(stack, alice, [
    contact('people/zoe', awkwardContact('people/zoe')),
    ...Array.from({ length: BOOK_SIZE - 1 }, (_, i) =>
      contact(`people/a${i}`, { name: { display: `Alice Friend ${i}` } }),
    ),
  ])
  await seedBook(stack, bob, [contact('people/b1', { name: { display: 'Bob Secret' } })])
})
afterAll(() => stack?.close())

/** ical.js answers one vCard as one component, several as a list of them. */
function cardsOf(text: string): ICAL.Component[] {
  const parsed = ICAL.parse(text) as unknown[]
  const list = parsed[0] === 'vcard' ? [parsed] : parsed
  return list.map((jcal) => new ICAL.Component(jcal as unknown[]))
}

const store = () => stack.apps[0]?.services.contactsStore as ContactsStore

/** Counts the batches the export reads, passing them through from the real store. */
function countBatches() {
  const real = store().streamCards
  const calls: Array<{ personId: string; batchSize: number | undefined; batches: number[] }> = []
  store().streamCards = async function* (personId, batchSize) {
    const call = { personId, batchSize, batches: [] as number[] }
    calls.push(call)
    for await (const batch of real.call(store(), personId, batchSize)) {
      call.batches.push(batch.length)
      yield batch
    }
  }
  return { calls, restore: () => (store().streamCards = real) }
}

describe('vCard export', () => {
  it('when alice downloads the vCard, then it is an attachment in text/vcard that ical.js reads whole: one card per contact, hers only', async () => {
    const hop = await alice.request(`${stack.appUrl}/contacts/export.vcf`)

    expect(hop.status).toBe(200)
    expect(hop.headers.get('content-type')).toBe('text/vcard; charset=utf-8')
    expect(hop.headers.get('content-disposition')).toBe('attachment; filename="contacts.vcf"')
    expect(hop.headers.get('cache-control')).toBe('no-store')
    const cards = cardsOf(hop.body)
    expect(cards).toHaveLength(BOOK_SIZE)
    const fns = cards.map((card) => card.getFirstPropertyValue('fn'))
    expect(fns).toContain('Alice Friend 0')
    expect(fns).not.toContain('Bob Secret')
    const zoe = cards.find(
      (card) => card.getFirstPropertyValue('fn') === 'Zoë "Zed" O\'Brien; Jr., \\ 🦄',
    )
    expect(zoe?.getFirstPropertyValue('org')).toEqual(['Acme; Inc, "Ltd"', 'R&D; Labs'])
    expect(new Set(cards.map((card) => card.getFirstPropertyValue('uid'))).size).toBe(BOOK_SIZE)
    for (const line of hop.body.split('\r\n')) {
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75)
    }
  })

  it('when the export runs, then it reads the cards through the store’s streamCards in batches of at most EXPORT_BATCH_SIZE, for alice only', async () => {
    const spy = countBatches()
    try {
      const hop = await alice.request(`${stack.appUrl}/contacts/export.vcf`)
      expect(hop.status).toBe(200)
    } finally {
      spy.restore()
    }
    expect(spy.calls).toEqual([
      {
        personId: aliceBook.personId,
        batchSize: EXPORT_BATCH_SIZE,
        batches: [EXPORT_BATCH_SIZE, EXPORT_BATCH_SIZE, 7],
      },
    ])
  })

  it('when bob downloads his vCard, then it holds his one contact and nothing of alice’s', async () => {
    const hop = await bob.request(`${stack.appUrl}/contacts/export.vcf`)
    expect(cardsOf(hop.body)).toHaveLength(1)
    expect(hop.body).toContain('FN:Bob Secret')
    expect(hop.body).not.toContain('Alice Friend')
  })
})

describe('CSV export', () => {
  it('when alice downloads the CSV, then it is an attachment in text/csv with a BOM and Google’s header, one row per contact, hers only', async () => {
    const hop = await alice.request(`${stack.appUrl}/contacts/export.csv`)

    expect(hop.status).toBe(200)
    expect(hop.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(hop.headers.get('content-disposition')).toBe('attachment; filename="contacts.csv"')
    // fetch's text() drops a BOM, as TextDecoder does: look at the bytes.
    const url = `${stack.appUrl}/contacts/export.csv`
    const bytes = Buffer.from(
      await (
        await fetch(url, { headers: { cookie: await alice.jar.getCookieString(url) } })
      ).arrayBuffer(),
    )
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]))
    expect(bytes.subarray(3, 14).toString()).toBe('First Name,')
    const rows = parse(hop.body, { bom: true, columns: true }) as Array<Record<string, string>>
    expect(Object.keys(rows[0] ?? {})).toEqual(CSV_COLUMNS)
    expect(rows).toHaveLength(BOOK_SIZE)
    const zoe = rows.find((row) => row['First Name'] === 'Zoë; "Zed"')
    expect(zoe?.['E-mail 1 - Label']).toBe('* Work')
    expect(zoe?.Notes).toContain('\nsecond line, with "quotes"; and \\ backslash')
    expect(hop.body).not.toContain('Bob Secret')
  })

  it('when bob downloads his CSV, then it holds his one row', async () => {
    const hop = await bob.request(`${stack.appUrl}/contacts/export.csv`)
    const rows = parse(hop.body, { bom: true, columns: true }) as Array<Record<string, string>>
    expect(rows.map((row) => row['First Name'])).toEqual([''])
    expect(hop.body).not.toContain('Alice Friend')
  })

  it('when a person has no contacts, then the download is the header alone', async () => {
    const carol = new Browser()
    await signIn(carol, stack.appUrl, { username: 'carol', password: 'carol-demo' })
    const csv = await carol.request(`${stack.appUrl}/contacts/export.csv`)
    expect(csv.status).toBe(200)
    expect(parse(csv.body, { bom: true, columns: true })).toEqual([])
    const vcf = await carol.request(`${stack.appUrl}/contacts/export.vcf`)
    expect(vcf.status).toBe(200)
    expect(vcf.body).toBe('')
  })
})

describe('who may export', () => {
  it('when nobody is signed in, then a browser is sent to sign in and a script gets the LOGIN_REQUIRED 401', async () => {
    const page = await new Browser().request(`${stack.appUrl}/contacts/export.vcf`)
    expect(page.status).toBe(303)
    expect(page.location).toBe(`${stack.appUrl}/login?returnTo=%2Fcontacts%2Fexport.vcf`)
    const json = await new Browser().request(`${stack.appUrl}/contacts/export.csv`, {
      headers: { accept: 'application/json' },
    })
    expect(json.status).toBe(401)
    expect(JSON.parse(json.body).error.code).toBe('LOGIN_REQUIRED')
  })
})

describe('the export budget', () => {
  let limited: TestStack
  beforeAll(async () => {
    limited = await startStack({ env: { RATE_LIMIT_EXPORTS_PER_MINUTE: '2' } })
  })
  afterAll(() => limited?.close())

  it('when a person starts more downloads than the budget allows, then the next one is a 429 with Retry-After, and another person still gets theirs', async () => {
    const first = new Browser()
    const second = new Browser()
    await signIn(first, limited.appUrl, { username: 'alice', password: 'alice-demo' })
    await signIn(second, limited.appUrl, { username: 'bob', password: 'bob-demo' })

    expect((await first.request(`${limited.appUrl}/contacts/export.vcf`)).status).toBe(200)
    expect((await first.request(`${limited.appUrl}/contacts/export.csv`)).status).toBe(200)
    const refused = await first.request(`${limited.appUrl}/contacts/export.vcf`)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(refused.body).toContain('Too many requests')

    expect((await second.request(`${limited.appUrl}/contacts/export.csv`)).status).toBe(200)
    // The list is not on that budget.
    expect((await first.request(`${limited.appUrl}/contacts`)).status).toBe(200)
  })
})
