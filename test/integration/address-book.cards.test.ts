// The merged address book through the real stack: alice has two connections (the second
// made directly in the database, as the connect-another-source flow would), and /contacts
// shows one card per person with a badge per source; the card page shows every value once
// with its sources and why its contacts are one; split and join are CSRF-checked POSTs
// that bob cannot aim at alice's cards; the exports are per card (vCard read back by
// ical.js, Google and Outlook CSV by csv-parse) or per source.
import { randomUUID } from 'node:crypto'
import { parse } from 'csv-parse/sync'
import ICAL from 'ical.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ContactsStore } from '../../src/address-book/contacts-store.ts'
import { OUTLOOK_COLUMNS } from '../../src/exports/outlook-csv.ts'
import { addConnection, contact, inTransaction } from './support/address-book.ts'
import { Browser } from './support/browser.ts'
import { csrfOf } from './support/imports.ts'
import { signIn } from './support/login.ts'
import { type BookOwner, seedBook } from './support/seed-book.ts'
import { startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
let alice: Browser
let bob: Browser
let google: BookOwner
let work: BookOwner

const store = () => stack.apps[0]?.services.contactsStore as ContactsStore
const json = async (browser: Browser, path: string) =>
  JSON.parse(
    (await browser.request(`${stack.appUrl}${path}`, { headers: { accept: 'application/json' } }))
      .body,
  )
const rows = (body: string) =>
  parse(body, { bom: true, columns: true, relax_column_count: false }) as Array<
    Record<string, string>
  >

async function idOf(owner: BookOwner, externalId: string): Promise<string> {
  const { rows } = await stack.database.db.query<{ id: string }>(
    'SELECT id FROM contacts WHERE connection_id = $1 AND external_id = $2',
    [owner.connectionId, externalId],
  )
  return String(rows[0]?.id)
}

beforeAll(async () => {
  stack = await startStack()
  alice = new Browser()
  bob = new Browser()
  await signIn(alice, stack.appUrl, { username: 'alice', password: 'alice-demo' })
  await signIn(bob, stack.appUrl, { username: 'bob', password: 'bob-demo' })
  google = await seedBook(stack, alice, [
    contact('people/ada', {
      name: { display: 'Ada Lovelace', given: 'Ada', family: 'Lovelace' },
      emails: [{ address: 'Ada@Analytical.example', type: 'home', primary: true }],
      phones: [{ value: '020 7946 0958', e164: '+442079460958', type: 'mobile', primary: true }],
    }),
    contact('people/john', {
      name: { display: 'John Smith' },
      emails: [{ address: 'john@one.example', type: 'home', primary: true }],
    }),
  ])
  work = {
    personId: google.personId,
    connectionId: await addConnection(stack.database.db, google.personId, 'microsoft'),
  }
  await inTransaction(stack.database.db, (tx) =>
    store().upsert(tx, { ...work, seenBy: undefined }, [
      contact('graph/ada', {
        name: { display: 'Ada King', given: 'Ada', family: 'King' },
        emails: [
          { address: ' ada@analytical.example', type: 'work', primary: true },
          { address: 'countess@work.example', type: 'work', primary: false },
        ],
        phones: [{ value: '+44 20 7946 0958', e164: '+442079460958', type: 'work', primary: true }],
        organizations: [
          {
            name: 'Analytical Engines',
            title: 'Countess',
            department: undefined,
            type: 'work',
            primary: true,
          },
        ],
      }),
      contact('graph/john', {
        name: { display: 'John Smith' },
        emails: [{ address: 'john@two.example', type: 'work', primary: true }],
      }),
    ]),
  )
  await seedBook(stack, bob, [contact('people/bob', { name: { display: 'Bob Only' } })])
})
afterAll(() => stack?.close())

describe('the list of cards', () => {
  it('when alice opens /contacts, then Ada from two sources is one card with two source badges, and the two John Smiths stay two', async () => {
    const page = await alice.request(`${stack.appUrl}/contacts`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('3 cards from 4 contacts')
    const row = /<tr>\s*<td><a href="\/contacts\/[0-9a-f-]{36}">Ada King<\/a>[\s\S]*?<\/tr>/.exec(
      page.body,
    )?.[0]
    expect(row).toBeDefined()
    expect(row).toContain('>Demo Provider</span>')
    expect(row).toContain('>microsoft</span>')
    expect(page.body.match(/>John Smith<\/a>/g)).toHaveLength(2)
    expect(page.body).toContain('href="/contacts/export.csv?format=outlook"')
    expect(page.body).toContain(`href="/contacts/export.vcf?source=${work.connectionId}"`)

    const body = await json(alice, '/contacts')
    expect(body).toMatchObject({ count: 3, contactCount: 4, next: null })
    const ada = body.cards.find((c: { displayName: string }) => c.displayName === 'Ada King')
    expect(ada.sources.sort()).toEqual([google.connectionId, work.connectionId].sort())
    expect(ada.contacts).toBe(2)
  })

  it('when alice searches for a value only the second source holds, then she finds the merged card', async () => {
    const body = await json(alice, '/contacts?q=countess')
    expect(body.cards.map((c: { displayName: string }) => c.displayName)).toEqual(['Ada King'])
    expect(body.count).toBe(1)
  })
})

describe('the card page', () => {
  it('when alice opens the card by either contact’s id, then every value shows once with its sources, and the card says why', async () => {
    for (const id of [await idOf(google, 'people/ada'), await idOf(work, 'graph/ada')]) {
      const page = await alice.request(`${stack.appUrl}/contacts/${id}`)
      expect(page.status).toBe(200)
      const text = page.body.replace(/\s+/g, ' ')
      // One line for the address both sources hold (in other case and spacing), two badges.
      expect(text.match(/href="mailto:ada@analytical.example"/gi)).toHaveLength(1)
      const line =
        /<li>(?:(?!<\/li>).)*?mailto:ada@analytical(?:(?!<\/li>).)*<\/li>/i.exec(text)?.[0] ?? ''
      expect(line).toContain('>Demo Provider</span>')
      expect(line).toContain('>microsoft</span>')
      expect(text.match(/href="tel:\+442079460958"/g)).toHaveLength(1)
      expect(text).toContain('countess@work.example')
      expect(text).toContain('Analytical Engines')
      expect(text).toContain('same email ada@analytical.example')
      expect(text).toContain('same phone +442079460958')
      expect(text).toContain('Imported from Demo Provider (alice@demo.example)')
      expect(text).toContain('Imported from microsoft')
    }
  })

  it('when bob opens alice’s card, or its join page, then it is the same 404 as an id that does not exist', async () => {
    const id = await idOf(work, 'graph/ada')
    const missing = await bob.request(
      `${stack.appUrl}/contacts/00000000-0000-4000-8000-000000000000`,
    )
    for (const path of [`/contacts/${id}`, `/contacts/${id}/join?q=ada`]) {
      const hop = await bob.request(`${stack.appUrl}${path}`)
      expect(hop.status, path).toBe(404)
      expect(hop.body).not.toContain('Ada')
    }
    expect((await bob.request(`${stack.appUrl}/contacts/${id}`)).body).toBe(missing.body)
  })
})

describe('exports of cards', () => {
  it('when alice downloads the vCard, then ical.js reads one VCARD per card, Ada’s with the values of both sources once each', async () => {
    const hop = await alice.request(`${stack.appUrl}/contacts/export.vcf`)
    expect(hop.status).toBe(200)
    const parsed = ICAL.parse(hop.body) as unknown[]
    const cards = (parsed[0] === 'vcard' ? [parsed] : parsed).map(
      (jcal) => new ICAL.Component(jcal as unknown[]),
    )
    expect(cards).toHaveLength(3)
    const ada = cards.find((c) => c.getFirstPropertyValue('fn') === 'Ada King')
    const emails = ada?.getAllProperties('email').map((p) => p.getFirstValue())
    expect(emails).toEqual(
      ['ada@analytical.example', 'countess@work.example'].map((e) =>
        expect.stringMatching(new RegExp(e, 'i')),
      ),
    )
    expect(ada?.getAllProperties('tel')).toHaveLength(1)
    expect(ada?.getFirstPropertyValue('org')).toBe('Analytical Engines')
    expect(new Set(cards.map((c) => c.getFirstPropertyValue('uid'))).size).toBe(3)
  })

  it('when alice downloads the Google and the Outlook CSV, then csv-parse reads one row per card with the merged values; Outlook’s header set is the one Outlook writes', async () => {
    const google = rows((await alice.request(`${stack.appUrl}/contacts/export.csv`)).body)
    expect(google).toHaveLength(3)
    const ada = google.find((r) => r['First Name'] === 'Ada')
    expect(ada?.['E-mail 1 - Value']).toMatch(/ada@analytical.example/i)
    expect(`${ada?.['E-mail 1 - Value']} ${ada?.['E-mail 2 - Value']}`).toContain(
      'countess@work.example',
    )

    const hop = await alice.request(`${stack.appUrl}/contacts/export.csv?format=outlook`)
    expect(hop.status).toBe(200)
    expect(hop.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    const outlook = rows(hop.body)
    expect(Object.keys(outlook[0] ?? {})).toEqual(OUTLOOK_COLUMNS)
    expect(OUTLOOK_COLUMNS).toEqual(
      expect.arrayContaining([
        'First Name',
        'Last Name',
        'E-mail Address',
        'E-mail 2 Address',
        'Mobile Phone',
        'Business Phone',
        'Home Street',
        'Business Country/Region',
        'Categories',
        'Notes',
      ]),
    )
    expect(outlook).toHaveLength(3)
    const adaRow = outlook.find((r) => r['Last Name'] === 'King')
    expect(adaRow?.['First Name']).toBe('Ada')
    expect(adaRow?.['E-mail Address']).toMatch(/ada@analytical.example/i)
    expect(adaRow?.['E-mail 2 Address']).toBe('countess@work.example')
    // The lead's work number; Google's mobile entry is the same number, so it is not repeated.
    expect(adaRow?.['Business Phone']).toBe('+44 20 7946 0958')
    expect(adaRow?.['Mobile Phone']).toBe('')
    expect(adaRow?.Company).toBe('Analytical Engines')
  })

  it('when alice exports one source, then it holds that source’s contacts only, not merged; another person’s source is a 404 and an unknown format a 400', async () => {
    const one = rows(
      (await alice.request(`${stack.appUrl}/contacts/export.csv?source=${work.connectionId}`)).body,
    )
    expect(one.map((r) => r['First Name'] || r['E-mail 1 - Value']).sort()).toEqual([
      'Ada',
      'john@two.example',
    ])
    const vcf = await alice.request(
      `${stack.appUrl}/contacts/export.vcf?source=${google.connectionId}`,
    )
    expect(vcf.body).toContain('FN:Ada Lovelace')
    expect(vcf.body).not.toContain('countess@work.example')

    const bobs = await bob.request(
      `${stack.appUrl}/contacts/export.csv?source=${work.connectionId}`,
    )
    expect(bobs.status).toBe(404)
    expect(bobs.body).not.toContain('Ada')
    expect((await alice.request(`${stack.appUrl}/contacts/export.csv?format=excel`)).status).toBe(
      400,
    )
    expect((await alice.request(`${stack.appUrl}/contacts/export.vcf?format=outlook`)).status).toBe(
      400,
    )
    expect(
      (await alice.request(`${stack.appUrl}/contacts/export.csv?source=a&source=b`)).status,
    ).toBe(400)
  })
})

describe('split and join', () => {
  it('when the split form has no valid CSRF token, or bob posts it, or names a contact of another card, then nothing is split', async () => {
    const lead = await idOf(work, 'graph/ada')
    const taken = await idOf(google, 'people/ada')
    const forged = await alice.request(`${stack.appUrl}/contacts/${lead}/split`, {
      form: { _csrf: 'forged', contact: taken },
    })
    expect(forged.status).toBe(403)
    const bobs = await bob.request(`${stack.appUrl}/contacts/${lead}/split`, {
      form: { _csrf: await csrfOf(stack, bob), contact: taken },
    })
    expect(bobs.status).toBe(404)
    const csrf = await csrfOf(stack, alice)
    for (const contact of [await idOf(google, 'people/john'), 'not-an-id', '']) {
      const hop = await alice.request(`${stack.appUrl}/contacts/${lead}/split`, {
        form: { _csrf: csrf, contact },
      })
      expect(hop.status, contact).toBe(404)
    }
    const bobJoin = await bob.request(`${stack.appUrl}/contacts/${lead}/join`, {
      form: { _csrf: await csrfOf(stack, bob), with: await idOf(google, 'people/john') },
    })
    expect(bobJoin.status).toBe(404)
    expect((await json(alice, '/contacts')).count).toBe(3)
  })

  it('when alice takes Ada Lovelace out of the card, then she is a card of her own through a re-import, and joining by hand makes them one again', async () => {
    const lead = await idOf(work, 'graph/ada')
    const taken = await idOf(google, 'people/ada')
    const csrf = await csrfOf(stack, alice)
    const page = await alice.request(`${stack.appUrl}/contacts/${lead}`)
    expect(page.body).toContain(`action="/contacts/${lead}/split"`)
    const split = await alice.request(`${stack.appUrl}/contacts/${lead}/split`, {
      form: { _csrf: csrf, contact: taken },
    })
    expect(split.status).toBe(303)
    expect(split.location).toBe(`${stack.appUrl}/contacts/${lead}?taken=${taken}`)
    // The card that stays says where the one taken out went; a `taken` that is not the
    // person's, or is still on the card, says nothing.
    const after = await alice.request(String(split.location))
    expect(after.body).toContain(`Taken out of this card: <a href="/contacts/${taken}">`)
    for (const other of [randomUUID(), lead, 'not-an-id']) {
      const quiet = await alice.request(`${stack.appUrl}/contacts/${lead}?taken=${other}`)
      expect(quiet.status).toBe(200)
      expect(quiet.body).not.toContain('Taken out of this card')
    }
    expect((await json(alice, '/contacts')).count).toBe(4)

    // The same record comes again, changed: still apart.
    await inTransaction(stack.database.db, (tx) =>
      store().upsert(tx, { ...google, seenBy: undefined }, [
        contact('people/ada', {
          etag: 'changed',
          name: { display: 'Ada Lovelace' },
          emails: [{ address: 'ada@analytical.example', type: 'home', primary: true }],
        }),
      ]),
    )
    expect((await json(alice, '/contacts')).count).toBe(4)
    const alone = await alice.request(`${stack.appUrl}/contacts/${taken}`)
    expect(alone.body).toContain('You took this contact out of a card')

    const chooser = await alice.request(`${stack.appUrl}/contacts/${taken}/join?q=ada`)
    expect(chooser.status).toBe(200)
    expect(chooser.body).toContain(`<input type="hidden" name="with" value="${lead}">`)
    const join = await alice.request(`${stack.appUrl}/contacts/${taken}/join`, {
      form: { _csrf: csrf, with: lead },
    })
    expect(join.status).toBe(303)
    expect((await json(alice, '/contacts')).count).toBe(3)
    const card = await alice.request(`${stack.appUrl}/contacts/${taken}`)
    expect(card.body).toContain('joined by you')
  })
})
