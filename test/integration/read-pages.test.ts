// readPages against tiny local HTTP fakes on 127.0.0.1, reached through openid-client as in
// production: paging to the end, one page at a time, one refresh-and-retry per page, the
// page bounds, and a Bearer token that never leaves the configured contacts URL.
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { type Contact, emptyContact } from '../../src/contacts/contact.ts'
import type { ContactSource, ContactsPage } from '../../src/contacts/contact-source.ts'
import { createContactSource } from '../../src/contacts/create-contact-source.ts'
import { readPages } from '../../src/contacts/read-pages.ts'
import { fetchFailure, statusFailure } from '../../src/contacts/source-errors.ts'
import { AppError } from '../../src/errors.ts'
import { resourceFetcher } from '../support/resource-fetch.ts'

interface Logged {
  path: string
  query: URLSearchParams
  authorization: string | undefined
}

interface Answer {
  status?: number
  body?: unknown
  headers?: Record<string, string>
}

interface Fake {
  url: URL
  requests: Logged[]
}

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

/** A local HTTP server answering from `answer`, logging every request it receives. */
async function startFake(answer: (url: URL, req: IncomingMessage) => Answer): Promise<Fake> {
  const requests: Logged[] = []
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid')
    requests.push({
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
    })
    const { status = 200, body = {}, headers = {} } = answer(url, req)
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), requests }
}

const REFUSED: Answer = {
  status: 401,
  headers: { 'www-authenticate': 'Bearer realm="contacts", error="invalid_token"' },
  body: { error: { code: 401, status: 'UNAUTHENTICATED' } },
}

/** A People-shaped fake: `pages` pages of two people each, accepting only `valid` tokens. */
async function peopleFake(options: { pages: number; valid: (token: string) => boolean }) {
  return startFake((url, req) => {
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? ''
    if (!options.valid(token)) return REFUSED
    const index = Number(url.searchParams.get('pageToken')?.replace('p', '') ?? 0)
    const next = index + 1 < options.pages ? { nextPageToken: `p${index + 1}` } : {}
    return {
      body: {
        connections: [0, 1].map((n) => ({
          resourceName: `people/c${index}${n}`,
          names: [{ displayName: `Page ${index} person ${n}` }],
        })),
        ...next,
      },
    }
  })
}

function peopleSource(fake: Fake): ContactSource {
  return createContactSource(
    { id: 'demo', contactsApi: 'people', contactsUrl: fake.url },
    { fetchResource: resourceFetcher() },
  )
}

/**
 * The vault, as readPages sees it: the current token, replaced by the next one in `tokens`
 * once the current one is reported as rejected.
 */
function tokenVault(tokens: string[]) {
  const calls: Array<{ rejected?: string }> = []
  let current = 0
  return {
    calls,
    async get(options: { rejected?: string } = {}): Promise<string> {
      calls.push({ ...options })
      if (options.rejected === tokens[current] && current < tokens.length - 1) current++
      return tokens[current] as string
    },
  }
}

async function collect(pages: AsyncIterable<ContactsPage>): Promise<Contact[][]> {
  const all: Contact[][] = []
  for await (const page of pages) all.push(page.contacts)
  return all
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected the call to fail')
}

describe('readPages: paging', () => {
  it('when the provider hands out nextPageTokens, then every page is read in order until there is none', async () => {
    const fake = await peopleFake({ pages: 3, valid: (t) => t === 'good' })
    const vault = tokenVault(['good'])

    const pages = await collect(
      readPages({ source: peopleSource(fake), accessToken: vault.get, contactsUrl: fake.url }),
    )

    expect(pages.map((page) => page.map((c) => c.externalId))).toEqual([
      ['people/c00', 'people/c01'],
      ['people/c10', 'people/c11'],
      ['people/c20', 'people/c21'],
    ])
    expect(fake.requests.map((r) => r.query.get('pageToken'))).toEqual([null, 'p1', 'p2'])
    expect(fake.requests.every((r) => r.authorization === 'Bearer good')).toBe(true)
  })

  it('when the consumer holds page 1, then page 2 has not been requested yet, and nothing is requested before the first ask', async () => {
    const fake = await peopleFake({ pages: 3, valid: () => true })
    const reader = readPages({
      source: peopleSource(fake),
      accessToken: tokenVault(['good']).get,
      contactsUrl: fake.url,
    })
    expect(fake.requests).toHaveLength(0)

    const first = await reader.next()
    expect(first.done).toBe(false)
    expect(fake.requests).toHaveLength(1)

    const second = await reader.next()
    expect(second.done).toBe(false)
    expect(fake.requests).toHaveLength(2)
    expect(fake.requests[1]?.query.get('pageToken')).toBe('p1')

    // Leaving early requests nothing more.
    await reader.return()
    expect(fake.requests).toHaveLength(2)
  })

  it('when the provider repeats a page token, then the listing ends with CONTACTS_BAD_RESPONSE before asking again', async () => {
    const fake = await startFake(() => ({
      body: { connections: [{ resourceName: 'people/c1' }], nextPageToken: 'same' },
    }))
    const reader = readPages({
      source: peopleSource(fake),
      accessToken: tokenVault(['good']).get,
      contactsUrl: fake.url,
    })

    await reader.next()
    await reader.next()
    const err = await rejectionOf(reader.next())

    expect(err).toMatchObject({ code: 'CONTACTS_BAD_RESPONSE', provider: 'demo' })
    expect(fake.requests.map((r) => r.query.get('pageToken'))).toEqual([null, 'same'])
  })

  it('when the provider never stops handing out pages, then the listing stops at maxPages with CONTACTS_BAD_RESPONSE', async () => {
    const fake = await peopleFake({ pages: 1000, valid: () => true })
    const reader = readPages({
      source: peopleSource(fake),
      accessToken: tokenVault(['good']).get,
      contactsUrl: fake.url,
      maxPages: 4,
    })

    const err = await rejectionOf(collect(reader))

    expect(err).toBeInstanceOf(AppError)
    expect(err).toMatchObject({ code: 'CONTACTS_BAD_RESPONSE' })
    expect(fake.requests).toHaveLength(4)
  })
})

describe('readPages: a refused access token', () => {
  it('when the token is refused once, then the vault is asked for a new one (naming the refused one) and the page is retried once', async () => {
    const fake = await peopleFake({ pages: 2, valid: (t) => t === 'fresh' })
    const vault = tokenVault(['stale', 'fresh'])

    const pages = await collect(
      readPages({ source: peopleSource(fake), accessToken: vault.get, contactsUrl: fake.url }),
    )

    expect(pages.flat()).toHaveLength(4)
    expect(vault.calls).toEqual([{}, { rejected: 'stale' }, {}])
    expect(fake.requests.map((r) => r.authorization)).toEqual([
      'Bearer stale',
      'Bearer fresh',
      'Bearer fresh',
    ])
  })

  it('when the token expires in the middle of the listing, then that page gets its own refresh and retry', async () => {
    let oldExpired = false
    const fake = await peopleFake({
      pages: 3,
      valid: (t) => t === 'new' || (t === 'old' && !oldExpired),
    })
    const vault = tokenVault(['old', 'new'])
    const reader = readPages({
      source: peopleSource(fake),
      accessToken: vault.get,
      contactsUrl: fake.url,
    })
    await reader.next()
    oldExpired = true // as if it expired while the person was reading page 1

    const rest = await collect(reader)

    expect(rest).toHaveLength(2)
    expect(vault.calls).toEqual([{}, {}, { rejected: 'old' }, {}])
  })

  it('when the new token is refused as well, then it is CONTACTS_UNAUTHORIZED (reconnect) after exactly one refresh', async () => {
    const fake = await peopleFake({ pages: 2, valid: () => false })
    const vault = tokenVault(['stale', 'also-refused'])
    const reader = readPages({
      source: peopleSource(fake),
      accessToken: vault.get,
      contactsUrl: fake.url,
    })

    const err = await rejectionOf(reader.next())

    expect(err).toBeInstanceOf(AppError)
    expect(err).toMatchObject({ code: 'CONTACTS_UNAUTHORIZED', status: 403, provider: 'demo' })
    expect(vault.calls).toEqual([{}, { rejected: 'stale' }])
    expect(fake.requests).toHaveLength(2)
  })
})

/**
 * A minimal source that pages by absolute next links (the shape Graph's `@odata.nextLink`
 * has), so readPages's URL cursors can be tested before the Graph adapter exists.
 */
function linkSource(start: URL): ContactSource {
  const fetchResource = resourceFetcher()
  return {
    provider: 'links',
    async listPage(accessToken, cursor) {
      if (cursor && !('url' in cursor)) throw new TypeError('pages by URL')
      let response: Response
      try {
        response = await fetchResource(accessToken, new URL(cursor?.url ?? start))
      } catch (err) {
        throw fetchFailure('links', err)
      }
      if (!response.ok) throw statusFailure('links', response)
      const body = (await response.json()) as { value: string[]; '@odata.nextLink'?: string }
      const link = body['@odata.nextLink']
      return {
        contacts: body.value.map((id) => {
          const contact = emptyContact(id)
          contact.name.display = id
          return contact
        }),
        deleted: [],
        relinked: [],
        skipped: [],
        next: link ? { url: link } : undefined,
      }
    },
    async listGroups() {
      return new Map()
    },
  }
}

describe('readPages: next-page URLs', () => {
  /** A fake under /v1.0 whose first page links to `nextLink(fake)`. */
  async function linkingFake(nextLink: (base: URL) => string) {
    const self: { url?: URL } = {}
    const fake = await startFake((url) => {
      if (url.searchParams.get('$skip') === '1') return { body: { value: ['c2'] } }
      return { body: { value: ['c1'], '@odata.nextLink': nextLink(self.url as URL) } }
    })
    self.url = fake.url
    const contactsUrl = new URL('/v1.0', fake.url)
    return { fake, contactsUrl }
  }

  it('when the next link stays under the contacts URL, then it is followed as given', async () => {
    const { fake, contactsUrl } = await linkingFake(
      (base) => new URL('/v1.0/me/contacts?$top=1&$skip=1', base).href,
    )

    const pages = await collect(
      readPages({
        source: linkSource(new URL('/v1.0/me/contacts?$top=1', contactsUrl)),
        accessToken: tokenVault(['good']).get,
        contactsUrl,
      }),
    )

    expect(pages.map((page) => page.map((c) => c.externalId))).toEqual([['c1'], ['c2']])
    expect(fake.requests.map((r) => r.query.get('$skip'))).toEqual([null, '1'])
  })

  it('when the next link points at another port, then it is refused with CONTACTS_BAD_RESPONSE and the token never reaches that server', async () => {
    const elsewhere = await startFake(() => ({ body: { value: ['stolen'] } }))
    const { fake, contactsUrl } = await linkingFake(
      () => new URL('/v1.0/me/contacts?$skip=1', elsewhere.url).href,
    )
    const reader = readPages({
      source: linkSource(new URL('/v1.0/me/contacts', contactsUrl)),
      accessToken: tokenVault(['secret-token']).get,
      contactsUrl,
    })

    expect((await reader.next()).done).toBe(false)
    const err = await rejectionOf(reader.next())

    expect(err).toMatchObject({ code: 'CONTACTS_BAD_RESPONSE', provider: 'links' })
    expect(String((err as Error).cause)).not.toContain(elsewhere.url.port)
    expect(elsewhere.requests).toEqual([])
    expect(fake.requests).toHaveLength(1)
  })

  it('when the next link stays on the origin but leaves the contacts path, then it is refused before any request', async () => {
    const { fake, contactsUrl } = await linkingFake(
      (base) => new URL('/v1.0/../admin/export?$skip=1', base).href,
    )
    const reader = readPages({
      source: linkSource(new URL('/v1.0/me/contacts', contactsUrl)),
      accessToken: tokenVault(['secret-token']).get,
      contactsUrl,
    })

    await reader.next()
    expect(await rejectionOf(reader.next())).toMatchObject({ code: 'CONTACTS_BAD_RESPONSE' })
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1.0/me/contacts'])
  })
})
