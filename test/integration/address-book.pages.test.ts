// /contacts (and /resource) and /contacts/:id against the real stack: the address book is
// read from PostgreSQL only, sorted, keyset paged, searchable, as a page or as JSON; one
// contact shows every field safely; bad input is a 400; and a second person sees nothing
// of the first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emptyContact } from '../../src/contacts/contact.ts'
import { awkwardContact } from '../fixtures/stored-contact.ts'
import { contact } from './support/address-book.ts'
import { Browser, formAction, formValue } from './support/browser.ts'
import { signIn } from './support/login.ts'
import { type BookOwner, seedBook } from './support/seed-book.ts'
import { storedConnection } from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
let alice: Browser
let bob: Browser
let aliceBook: BookOwner

const numbered = (i: number) => `Person ${String(i).padStart(3, '0')}`
const names = (html: string) =>
  [...html.matchAll(/<td><a href="\/contacts\/[0-9a-f-]{36}">([^<]*)<\/a><\/td>/g)].map((m) => m[1])
/** The id of the connection's one import run (the one its first sign-in queued). */
async function onlyRun(connectionId: string): Promise<string> {
  const { rows } = await stack.database.db.query<{ id: string }>(
    'SELECT id FROM imports WHERE connection_id = $1',
    [connectionId],
  )
  expect(rows).toHaveLength(1)
  return String(rows[0]?.id)
}
const decode = (html: string) =>
  html
    .replace(/&#34;|&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')

beforeAll(async () => {
  stack = await startStack()
  alice = new Browser()
  bob = new Browser()
  await signIn(alice, stack.appUrl, { username: 'alice', password: 'alice-demo' })
  await signIn(bob, stack.appUrl, { username: 'bob', password: 'bob-demo' })
  aliceBook = await seedBook(stack, alice, [
    ...Array.from({ length: 120 }, (_, i) =>
      contact(`people/p${i}`, { name: { display: numbered(i) } }),
    ),
    contact('people/emile', {
      name: { display: 'Émile Zola', given: 'Émile', family: 'Zola' },
      emails: [{ address: 'emile.zola@lettres.example', type: 'work', primary: true }],
      phones: [{ value: '+33 1 23 45 67 89', e164: '+33123456789', type: 'work', primary: true }],
      organizations: [
        {
          name: 'Les Éditions Charpentier',
          title: 'Author',
          department: undefined,
          type: 'work',
          primary: true,
        },
      ],
    }),
    contact('people/zoe', { ...awkwardContact('people/zoe') }),
    {
      ...emptyContact('people/xss', { resourceName: 'people/xss' }),
      name: { ...emptyContact('x').name, display: '<script>alert(1)</script>' },
      urls: [
        { value: 'javascript:alert(2)', type: 'home', primary: true },
        { value: 'https://safe.example/p?a=1&b=<2>', type: 'work', primary: false },
      ],
      notes: [{ value: '<b>bold</b><img src=x onerror=alert(3)>', contentType: 'text/html' }],
      photos: [{ url: 'javascript:alert(4)', isDefault: false, primary: true }],
    },
  ])
  await seedBook(stack, bob, [contact('people/bobs', { name: { display: 'Only Bob Knows' } })])
})
afterAll(() => stack?.close())

describe('/contacts', () => {
  it('when alice opens /contacts, then her book is listed from PostgreSQL, sorted by name with accents ignored, 50 to a page, with the count — and the provider is not called', async () => {
    const before = stack.demo.contactsServer.requests.mark()

    const page = await alice.request(`${stack.appUrl}/contacts`)

    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toBe('no-store')
    expect(page.body).toContain('123 contacts')
    const shown = names(page.body)
    expect(shown).toHaveLength(50)
    expect(shown[0]).toBe('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(shown[1]).toBe('Émile Zola')
    expect(shown[2]).toBe(numbered(0))
    expect(page.body).not.toContain('Only Bob Knows')
    expect(stack.demo.contactsServer.requests.since(before)).toEqual([])
  })

  it('when alice follows "Next page" to the end, then every contact comes exactly once, in order, and the last page has no next link', async () => {
    const seen: string[] = []
    let url: string | undefined = `${stack.appUrl}/contacts`
    for (let i = 0; url && i < 10; i++) {
      const page = await alice.request(url)
      expect(page.status).toBe(200)
      seen.push(...(names(page.body) as string[]))
      const next = /<a href="([^"]+)" rel="next">Next page<\/a>/.exec(page.body)?.[1]
      url = next ? `${stack.appUrl}${decode(next)}` : undefined
      if (i > 0) expect(page.body).toContain('First page')
    }
    expect(seen).toHaveLength(123)
    expect(new Set(seen).size).toBe(123)
    expect(url).toBeUndefined()
    expect(decode(seen.at(-1) ?? '')).toBe('Zoë "Zed" O\'Brien; Jr., \\ 🦄')
  })

  it('when /resource is opened, then it shows the same address book (no live read from the provider)', async () => {
    const before = stack.demo.contactsServer.requests.mark()
    const page = await alice.request(`${stack.appUrl}/resource`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('123 contacts')
    expect(names(page.body)).toHaveLength(50)
    expect(stack.demo.contactsServer.requests.since(before)).toEqual([])
  })

  it('when alice searches by name without accents, by email, by phone in another format and by organisation, then she finds Émile, with the count of matches', async () => {
    for (const q of [
      'emile',
      'ZOLA',
      'lettres.example',
      '1.23.45.67.89',
      '0033 1 23 45 67 89',
      'editions charp',
    ]) {
      const page = await alice.request(`${stack.appUrl}/contacts?q=${encodeURIComponent(q)}`)
      expect(page.status, q).toBe(200)
      expect(names(page.body), q).toEqual(['Émile Zola'])
      expect(page.body, q).toContain('123 contacts')
      expect(page.body, q).toContain('1 match for')
    }
  })

  it('when a search matches nothing, then the page says so and offers the whole list', async () => {
    const page = await alice.request(`${stack.appUrl}/contacts?q=nobody-at-all`)
    expect(page.status).toBe(200)
    expect(names(page.body)).toEqual([])
    expect(page.body).toContain('No contacts match “nobody-at-all”')
    expect(page.body).toContain('0 matches')
  })

  it('when the page is shown, then each connection has its provider, status, contact count, the import its sign-in queued, and an "Import now" form posting its id to /import with a CSRF token', async () => {
    const page = await alice.request(`${stack.appUrl}/contacts`)
    expect(page.body).toContain('Demo Provider')
    expect(page.body).toContain('123 contacts from here')
    // The first sign-in queued an import (imports/start-imports.ts); no worker runs here.
    const run = await onlyRun(aliceBook.connectionId)
    expect(page.body).toContain('Import under way (waiting to start).')
    expect(page.body).toContain(`href="/imports/${run}"`)
    expect(formAction(page.body, '/import', stack.appUrl)).toBe(`${stack.appUrl}/import`)
    const form = /<form method="post" action="\/import"[\s\S]*?<\/form>/.exec(page.body)?.[0] ?? ''
    expect(formValue(form, 'connection')).toBe(aliceBook.connectionId)
    expect(formValue(form, '_csrf')).toMatch(/^[\w-]{43}$/)
    expect(form).toContain('Import now')
    expect(page.body).toContain('href="/contacts/export.vcf"')
    expect(page.body).toContain('href="/contacts/delete"')
  })
})

describe('the last import of each connection', () => {
  it('when the last import finished, then the panel says when and what changed, with a link to its report', async () => {
    const run = await onlyRun(aliceBook.connectionId)
    await stack.database.db.query(
      `UPDATE imports SET state = 'completed', started_at = now(), created = 120, updated = 2,
         deleted = 1, skipped = 4, finished_at = '2026-03-04T05:06:00Z' WHERE id = $1`,
      [run],
    )
    try {
      const page = await alice.request(`${stack.appUrl}/contacts`)
      const text = page.body.replace(/\s+/g, ' ')
      expect(text).toContain(
        'Last import <time datetime="2026-03-04T05:06:00.000Z">2026-03-04 05:06 UTC</time>: 120 created, 2 updated, 1 deleted, 4 skipped.',
      )
      expect(text).toContain(`<a href="/imports/${run}">Report</a>`)
    } finally {
      await stack.database.db.query(
        `UPDATE imports SET state = 'waiting', finished_at = NULL WHERE id = $1`,
        [run],
      )
    }
  })

  it('when the last import failed, then the panel gives the reason as text, and the empty book offers the import again', async () => {
    const carol = new Browser()
    await signIn(carol, stack.appUrl, { username: 'carol', password: 'carol-demo' })
    const connection = await storedConnection(stack, carol)
    await stack.database.db.query(
      `UPDATE imports SET state = 'failed', finished_at = now(), error_code = 'GRANT_REVOKED',
         error_message = 'Access to your contacts was revoked — <b>reconnect</b>.', error_retryable = false
       WHERE connection_id = $1`,
      [connection.id],
    )
    const page = await carol.request(`${stack.appUrl}/contacts`)
    expect(page.body).toContain('Last import failed')
    expect(page.body).toContain(
      'Access to your contacts was revoked — &lt;b&gt;reconnect&lt;/b&gt;.',
    )
    expect(page.body).toContain('No contacts yet — import from Demo Provider.')
    expect(page.body).toContain('Import from Demo Provider')
  })
})

describe('/contacts as JSON', () => {
  it('when a script asks for JSON, then it gets the same page of cards as { cards, next, count, contactCount }, without CORS headers', async () => {
    const first = await alice.request(`${stack.appUrl}/contacts`, {
      headers: { accept: 'application/json' },
    })
    expect(first.status).toBe(200)
    expect(first.headers.get('content-type')).toMatch(/^application\/json/)
    expect(first.headers.get('access-control-allow-origin')).toBeNull()
    expect(first.headers.get('vary')).toMatch(/Accept/i)
    const body = JSON.parse(first.body)
    expect(body.count).toBe(123)
    expect(body.contactCount).toBe(123)
    expect(body.cards).toHaveLength(50)
    expect(body.cards[1]).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      displayName: 'Émile Zola',
      email: 'emile.zola@lettres.example',
      phone: '+33 1 23 45 67 89',
      organization: 'Les Éditions Charpentier',
      sources: [aliceBook.connectionId],
      contacts: 1,
    })
    expect(typeof body.next).toBe('string')

    const second = JSON.parse(
      (
        await alice.request(`${stack.appUrl}/contacts?after=${encodeURIComponent(body.next)}`, {
          headers: { accept: 'application/json' },
        })
      ).body,
    )
    expect(second.cards[0].displayName).toBe(numbered(48))
    expect(second.count).toBe(123)
  })

  it('when the JSON is a search, then count is the number of matches and next is null at the end', async () => {
    const hop = await alice.request(`${stack.appUrl}/contacts?q=zola`, {
      headers: { accept: 'application/json' },
    })
    const body = JSON.parse(hop.body)
    expect(body).toMatchObject({ count: 1, next: null })
    expect(body.cards.map((c: { displayName: string }) => c.displayName)).toEqual(['Émile Zola'])
  })

  it('when nobody is signed in, then JSON gets the LOGIN_REQUIRED 401 and a browser is sent to sign in', async () => {
    const json = await new Browser().request(`${stack.appUrl}/contacts`, {
      headers: { accept: 'application/json' },
    })
    expect(json.status).toBe(401)
    expect(JSON.parse(json.body).error.code).toBe('LOGIN_REQUIRED')
    const page = await new Browser().request(`${stack.appUrl}/contacts?q=x`)
    expect(page.status).toBe(303)
    expect(page.location).toBe(`${stack.appUrl}/login?returnTo=%2Fcontacts%3Fq%3Dx`)
  })
})

describe('bad input', () => {
  const cases: Array<[string, string]> = [
    ['a repeated q', 'q=a&q=b'],
    ['a q over 200 characters', `q=${'a'.repeat(201)}`],
    ['a repeated after', 'after=a&after=b'],
    ['an after that is no cursor', 'after=not-a-cursor!'],
    [
      'an after that decodes to nonsense',
      `after=${Buffer.from('["x","y"]').toString('base64url')}`,
    ],
    ['an overlong after', `after=${'A'.repeat(3000)}`],
  ]

  it.each(cases)(
    'when /contacts gets %s, then it is a 400 page, and a 400 JSON for scripts',
    async (_, query) => {
      const page = await alice.request(`${stack.appUrl}/contacts?${query}`)
      expect(page.status).toBe(400)
      expect(page.body).toContain('Bad request')
      const json = await alice.request(`${stack.appUrl}/contacts?${query}`, {
        headers: { accept: 'application/json' },
      })
      expect(json.status).toBe(400)
      expect(JSON.parse(json.body).error.code).toBe('BAD_REQUEST')
    },
  )

  it('when q comes bracketed (q[x]=1), then it is another parameter, not a search: the whole list', async () => {
    const page = await alice.request(`${stack.appUrl}/contacts?q[x]=1`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('123 contacts')
    expect(page.body).not.toContain('match')
  })

  it('when q holds NUL, percent signs, underscores or a lone surrogate, then it is searched literally, never a 500', async () => {
    for (const q of ['%00', '%25', '_', '%ED%A0%80', '%5C']) {
      const page = await alice.request(`${stack.appUrl}/contacts?q=${q}`)
      expect(page.status, q).toBe(200)
    }
  })
})

describe('/contacts/:id', () => {
  async function idOf(browser: Browser, q: string): Promise<string> {
    const hop = await browser.request(`${stack.appUrl}/contacts?q=${encodeURIComponent(q)}`, {
      headers: { accept: 'application/json' },
    })
    const id = JSON.parse(hop.body).cards[0]?.id
    if (!id) throw new Error(`no contact for ${q}`)
    return id
  }

  it('when alice opens a contact, then every field is shown: names with phonetic ones, nicknames, typed emails and phones with E.164, address, organisation, birthday without year, events, URLs, notes, relations, photo link, labels, source', async () => {
    const page = await alice.request(`${stack.appUrl}/contacts/${await idOf(alice, 'zed')}`)
    expect(page.status).toBe(200)
    const text = decode(page.body)
    for (const expected of [
      'Zoë; "Zed"',
      'Ana, María',
      "O'Brien\\Smith",
      'Dr.',
      'ゾーイ',
      'オブライエン',
      'Zed, the great, Z;Z',
      'href="mailto:zoe@example.com"',
      'work, primary',
      '030 1234567',
      'href="tel:+49301234567"',
      '+49301234567',
      '(555) 010-99 ext. 7',
      'Hauptstraße 1; Hof',
      '10115 Berlin, "DE"',
      'Acme; Inc, "Ltd"',
      'Chief \\ Officer',
      'R&D; Labs',
      '10 December',
      '5 June 2010',
      'anniversary',
      'graduation',
      'href="https://example.com/zo%C3%AB?a=1,b=2;c"',
      'second line, with "quotes"',
      'Bob; "Bobby", Jr.',
      'spouse',
      'mother',
      'href="https://photos.example.com/zoe.jpg"',
      'Friends, close',
      'Work 💼',
      'Imported from Demo Provider (alice@demo.example)',
    ]) {
      expect(text, expected).toContain(expected)
    }
    expect(text).not.toContain('10 December undefined')
    expect(page.body).not.toContain('<img')
  })

  it('when a contact holds markup, a javascript: URL and an HTML note, then all of it is text: no script, no javascript: link, no rendered HTML', async () => {
    const page = await alice.request(`${stack.appUrl}/contacts/${await idOf(alice, 'script')}`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(page.body).not.toContain('<script>')
    expect(page.body).not.toMatch(/href="javascript:/i)
    expect(page.body).toContain('javascript:alert(2)') // shown as text
    expect(page.body).toContain('href="https://safe.example/p?a=1&amp;b=%3C2%3E"')
    expect(page.body).toContain('&lt;b&gt;bold&lt;/b&gt;&lt;img src=x onerror=alert(3)&gt;')
    expect(page.body).not.toContain('<b>bold</b>')
    expect(page.body).not.toContain('<img')
  })

  it('when bob opens alice’s contact, then it is the same 404 as an id that does not exist or is no id at all', async () => {
    const id = await idOf(alice, 'zola')
    const foreign = await bob.request(`${stack.appUrl}/contacts/${id}`)
    const missing = await bob.request(
      `${stack.appUrl}/contacts/00000000-0000-4000-8000-000000000000`,
    )
    const garbage = await bob.request(`${stack.appUrl}/contacts/not-an-id`)
    for (const hop of [foreign, missing, garbage]) {
      expect(hop.status).toBe(404)
      expect(hop.body).not.toContain('Zola')
    }
    expect(foreign.body).toBe(missing.body)
  })
})

describe('a second person', () => {
  it('when bob lists, searches and asks for JSON, then he sees his own contact only, never alice’s', async () => {
    const page = await bob.request(`${stack.appUrl}/contacts`)
    expect(names(page.body)).toEqual(['Only Bob Knows'])
    expect(page.body).toContain('1 contact')
    for (const q of ['zola', 'person', '1.23.45.67.89', 'editions']) {
      const found = await bob.request(`${stack.appUrl}/contacts?q=${encodeURIComponent(q)}`)
      expect(names(found.body), q).toEqual([])
    }
    const json = JSON.parse(
      (await bob.request(`${stack.appUrl}/contacts`, { headers: { accept: 'application/json' } }))
        .body,
    )
    expect(json).toMatchObject({ count: 1, next: null })
  })

  it('when bob is handed alice’s cursor, then it only moves the start of his own list', async () => {
    const aliceJson = JSON.parse(
      (await alice.request(`${stack.appUrl}/contacts`, { headers: { accept: 'application/json' } }))
        .body,
    )
    const hop = await bob.request(
      `${stack.appUrl}/contacts?after=${encodeURIComponent(aliceJson.next)}`,
      { headers: { accept: 'application/json' } },
    )
    expect(hop.status).toBe(200)
    const body = JSON.parse(hop.body)
    for (const c of body.cards) expect(c.sources).not.toContain(aliceBook.connectionId)
  })
})

describe('empty states and connections that need attention', () => {
  it('when a person has no contacts yet and their first import waits, then the page says it is importing and links its progress', async () => {
    const carol = new Browser()
    await signIn(carol, stack.appUrl, { username: 'carol', password: 'carol-demo' })
    // Whatever an earlier test left: from no run at all, a sign-in queues the first import.
    await stack.database.db.query('DELETE FROM imports WHERE connection_id = $1', [
      (await storedConnection(stack, carol)).id,
    ])
    const fresh = new Browser()
    await signIn(fresh, stack.appUrl, { username: 'carol', password: 'carol-demo' })
    const run = await onlyRun((await storedConnection(stack, fresh)).id)
    const page = await fresh.request(`${stack.appUrl}/contacts`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('No contacts yet — importing from Demo Provider.')
    expect(page.body).toContain(`<a href="/imports/${run}">Follow its progress</a>`)
    expect(page.body).toContain('0 contacts')
    expect(page.body).not.toContain('export.vcf')
  })

  it('when a person has no contacts and no import under way, then the page says to import from the provider and offers the button', async () => {
    const bare = new Browser()
    await signIn(bare, stack.appUrl, { username: 'carol', password: 'carol-demo' })
    await stack.database.db.query('DELETE FROM imports WHERE connection_id = $1', [
      (await storedConnection(stack, bare)).id,
    ])
    const page = await bare.request(`${stack.appUrl}/contacts`)
    expect(page.body).toContain('No contacts yet — import from Demo Provider.')
    expect(page.body).toContain('Import from Demo Provider')
    expect(page.body).toContain('Not imported yet.')
  })

  it('when a connection needs reconnecting, then the page offers Reconnect (the connect flow for that connection), and no import button', async () => {
    const dave = new Browser()
    await signIn(dave, stack.appUrl, { username: 'carol', password: 'carol-demo' })
    const owner = await seedBook(stack, dave, [
      contact('people/kept', { name: { display: 'Kept Contact' } }),
    ])
    await stack.apps[0]?.services.people.setStatus(owner.connectionId, 'reconnect_needed')

    const page = await dave.request(`${stack.appUrl}/contacts`)

    expect(page.status).toBe(200)
    expect(names(page.body)).toEqual(['Kept Contact'])
    expect(page.body).toContain('Access ended at Demo Provider')
    expect(page.body).toMatch(
      new RegExp(
        `<form method="post" action="/connect" class="inline">\\s*<input type="hidden" name="_csrf" value="[^"]+">\\s*<input type="hidden" name="connection" value="${owner.connectionId}">\\s*<button type="submit">Reconnect Demo Provider</button>`,
      ),
    )
    expect(page.body).not.toContain('action="/import"')
  })
})
