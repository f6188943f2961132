// GET /contacts/:id/photo against the real stack: alice imports her work contacts from
// "Demo Microsoft" (the Graph fake, where Zoë Ångström has a photo and Kwame Mensah none)
// and connects Demo Provider (People) too; carol has work contacts of her own, her Zoë with
// a photo as well. The photo is
// fetched from Graph only when opened, through alice's connection, and served only as an
// image we allow, with headers that keep it private; every refusal is a clear page.
import { Buffer } from 'node:buffer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ZOE_PHOTO } from '../../demo/graph/demo-photos.ts'
import type { GraphServer } from '../../demo/graph/graph-server.ts'
import { MAX_PHOTO_BYTES } from '../../src/contacts/photo-bytes.ts'
import type { Connection } from '../../src/people/people-store.ts'
import { PHOTO_CSP } from '../../src/web/routes/contact-photo.ts'
import { Browser, type Hop } from './support/browser.ts'
import { csrfOf, eventually, personOf } from './support/imports.ts'
import { authorizeAtProvider, signIn } from './support/login.ts'
import { storedConnection } from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
let alice: Browser
let carol: Browser
let work: Connection
const ids: Record<string, string> = {}

const graph = (): GraphServer => {
  if (!stack.microsoft) throw new Error('the stack runs no Demo Microsoft')
  return stack.microsoft.graphServer
}
const photoRequests = (mark: number) =>
  graph()
    .requests.since(mark)
    .filter((r) => r.path.endsWith('/photo/$value'))
const url = (path: string) => `${stack.appUrl}${path}`
const photoOf = (browser: Browser, name: string, headers?: Record<string, string>) =>
  browser.request(url(`/contacts/${ids[name]}/photo`), { headers })

/** Every import of the person has ended, and there are `count` connections. */
async function importsDone(personId: string, count: number) {
  const store = stack.apps[0]?.services.importsStore
  await eventually(async () => {
    const runs = [...((await store?.latestByConnection(personId))?.values() ?? [])]
    return runs.length === count && runs.every((r) => r.state === 'completed') ? true : undefined
  }, 'the imports')
}

async function contactId(connectionId: string, displayName: string): Promise<string> {
  const { rows } = await stack.database.db.query<{ id: string }>(
    'SELECT id FROM contacts WHERE connection_id = $1 AND display_name = $2',
    [connectionId, displayName],
  )
  if (!rows[0]) throw new Error(`no ${displayName} in ${connectionId}`)
  return rows[0].id
}

beforeAll(async () => {
  stack = await startStack({ workers: [0], microsoft: {} })
  alice = new Browser()
  await signIn(alice, stack.appUrl, {
    start: '/login?provider=demo_microsoft',
    username: 'alice',
    password: 'alice-work',
  })
  const alicePerson = await personOf(stack, alice)
  work = await storedConnection(stack, alice)
  await importsDone(alicePerson, 1)
  // Alice connects her Demo Provider (People) account too: Zoë is in both books.
  const callback = await authorizeAtProvider(alice, stack.appUrl, {
    start: '/connect',
    form: { _csrf: await csrfOf(stack, alice), provider: 'demo' },
    username: 'alice',
    password: 'alice-demo',
  })
  await alice.request(callback)
  await importsDone(alicePerson, 2)
  const people = (await stack.apps[0]?.services.people.connections(alicePerson))?.find(
    (c) => c.provider === 'demo',
  )
  if (!people) throw new Error('alice has no Demo Provider connection')

  carol = new Browser()
  await signIn(carol, stack.appUrl, {
    start: '/login?provider=demo_microsoft',
    username: 'carol',
    password: 'carol-work',
  })
  await importsDone(await personOf(stack, carol), 1)
  const carols = await storedConnection(stack, carol)

  ids.zoe = await contactId(work.id, 'Zoë Ångström')
  ids.kwame = await contactId(work.id, 'Kwame Mensah')
  ids.mei = await contactId(work.id, 'Mei Tanaka')
  ids.peopleZoe = await contactId(people.id, 'Zoë Ångström')
  ids.carolsZoe = await contactId(carols.id, 'Zoë Ångström')
}, 60_000)
afterAll(() => stack?.close())

/** The fake's contact behind one of alice's work contacts. */
function atGraph(name: string) {
  const box = graph().mailboxes.mailbox('alice')
  const found = [...box.contacts.values()].find((c) => c.fields.displayName === name)
  if (!found) throw new Error(`${name} is not at Graph`)
  return found
}

function expectRefused(hop: Hop, status: number, text: RegExp) {
  expect(hop.status).toBe(status)
  expect(hop.headers.get('content-type')).toMatch(/^text\/html/)
  expect(hop.headers.get('cache-control')).toBe('no-store')
  expect(hop.body).toMatch(text)
  expect(hop.body).not.toMatch(/ at [\w.<>]+ \(|node_modules|Error:/) // no stack trace
}

describe('a photo Microsoft holds', () => {
  it('when alice opens the photo of her work contact Zoë, then its bytes come as a JPEG, nosniff, privately cached for a while, under a CSP of their own, fetched with immutable ids', async () => {
    const mark = graph().requests.mark()
    const hop = await photoOf(alice, 'zoe')
    expect(hop.status).toBe(200)
    expect(Buffer.from(hop.bytes ?? []).equals(Buffer.from(ZOE_PHOTO))).toBe(true)
    expect(hop.headers.get('content-type')).toBe('image/jpeg')
    expect(hop.headers.get('x-content-type-options')).toBe('nosniff')
    expect(hop.headers.get('cache-control')).toBe('private, max-age=300')
    expect(hop.headers.get('vary')).toMatch(/cookie/i)
    expect(hop.headers.get('content-security-policy')).toBe(PHOTO_CSP)
    expect(hop.headers.get('cross-origin-resource-policy')).toBe('same-origin')
    // On a limiter's budget, like every route that costs a provider request.
    expect(hop.headers.get('ratelimit-policy')).toMatch(/\d+;w=60/)
    const [request, ...more] = photoRequests(mark)
    expect(more).toHaveLength(0)
    expect(request).toMatchObject({ status: 200, sub: 'alice' })
    const id = encodeURIComponent(atGraph('Zoë Ångström').immutableId)
    expect(request?.path).toBe(`/v1.0/me/contacts/${id}/photo/$value`)
    expect(request?.prefer).toContain('IdType="ImmutableId"')
  })

  it('when her work contact has no photo at Microsoft, then it is a 404 page that says so', async () => {
    const hop = await photoOf(alice, 'kwame')
    expectRefused(hop, 404, /No photo at Demo Microsoft for this contact/)
  })

  it('when alice opens the card of Zoë, merged from both sources, then the Microsoft photo is a link to its contact’s /photo, never an <img>', async () => {
    const page = await alice.request(url(`/contacts/${ids.peopleZoe}`))
    expect(page.status).toBe(200)
    expect(page.body).toContain(`href="/contacts/${ids.zoe}/photo"`)
    expect(page.body).toContain('Photo at Demo Microsoft')
    expect(page.body).not.toMatch(/<img/i)
    const kwame = await alice.request(url(`/contacts/${ids.kwame}`))
    expect(kwame.body).toContain(`href="/contacts/${ids.kwame}/photo"`)
  })
})

describe('who may see it', () => {
  it('when the contact is a People contact (its photo is a URL), then /photo is a 404 and Graph is not asked', async () => {
    const mark = graph().requests.mark()
    const hop = await photoOf(alice, 'peopleZoe')
    expectRefused(hop, 404, /no photo to fetch for this contact/)
    expect(photoRequests(mark)).toHaveLength(0)
  })

  it.each([
    ['alice’s contact, asked for by carol', () => ({ browser: carol, id: ids.zoe })],
    [
      'carol’s contact with a photo, asked for by alice',
      () => ({ browser: alice, id: ids.carolsZoe }),
    ],
    ['no contact id at all', () => ({ browser: alice, id: 'not-a-contact' })],
    [
      'a uuid that is nobody’s',
      () => ({ browser: alice, id: '00000000-0000-4000-8000-000000000000' }),
    ],
  ])('when the id is %s, then it is the same 404, and Graph is not asked', async (_what, who) => {
    const { browser, id } = who()
    const mark = graph().requests.mark()
    const hop = await browser.request(url(`/contacts/${id}/photo`))
    expectRefused(hop, 404, /no photo to fetch for this contact/)
    expect(photoRequests(mark)).toHaveLength(0)
  })

  it('when nobody is signed in, then a browser is sent to sign in and comes back, and an API client gets 401', async () => {
    const stranger = new Browser()
    const page = await stranger.request(url(`/contacts/${ids.zoe}/photo`))
    expect(page.status).toBe(303)
    expect(page.location).toBe(
      url(`/login?returnTo=${encodeURIComponent(`/contacts/${ids.zoe}/photo`)}`),
    )
    const api = await stranger.request(url(`/contacts/${ids.zoe}/photo`), {
      headers: { accept: 'application/json' },
    })
    expect(api.status).toBe(401)
    expect(JSON.parse(api.body)).toMatchObject({ error: { code: 'LOGIN_REQUIRED' } })
  })
})

describe('what is refused', () => {
  it.each([
    ['an HTML page', 'text/html', '<html><script>alert(1)</script></html>'],
    [
      'an SVG image, which can carry script',
      'image/svg+xml',
      '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    ],
    ['JSON', 'application/json', '{"not":"a photo"}'],
    ['a PNG type over bytes that are HTML', 'image/png', '<html>not a png</html>'],
  ])(
    'when Graph answers %s, then it is a 502 page and none of it is served',
    async (_what, type, body) => {
      graph().faults.add({ route: 'photo', status: 200, headers: { 'Content-Type': type }, body })
      const hop = await photoOf(alice, 'zoe')
      expectRefused(hop, 502, /not a JPEG, PNG, GIF or WebP|other than a JPEG, PNG, GIF or WebP/)
      expect(hop.body).not.toContain('alert(1)')
      expect(hop.body).not.toContain(body)
    },
  )

  it('when the photo at Graph is larger than 4 MB, then it is refused with a page that says so', async () => {
    const big = new Uint8Array(MAX_PHOTO_BYTES + 1)
    big.set([0xff, 0xd8, 0xff, 0xe0])
    graph().mailboxes.setPhoto('alice', atGraph('Mei Tanaka').immutableId, big)
    const hop = await photoOf(alice, 'mei')
    expectRefused(hop, 502, /larger than 4 MB/)
    expect(hop.bytes?.byteLength).toBeLessThan(64 * 1024)
  })

  it('when Graph redirects the photo elsewhere, then the redirect is not followed: a 502, and nothing is sent there', async () => {
    const elsewhere = 'http://127.0.0.1:9/collect'
    graph().faults.add({ route: 'photo', status: 302, headers: { Location: elsewhere }, body: '' })
    const sent = stack.providerTraffic.length
    const hop = await photoOf(alice, 'zoe')
    expectRefused(hop, 502, /could not read|Unexpected answer/)
    const after = stack.providerTraffic.slice(sent)
    expect(after.map((r) => r.url).filter((u) => u.startsWith('http://127.0.0.1:9'))).toEqual([])
    expect(after).toHaveLength(1)
  })

  it('when Graph is down, or slower than the timeout, then it is a 502 page with a way to try again', async () => {
    graph().faults.add({ route: 'photo', status: 503, retryAfter: '1' })
    const down = await photoOf(alice, 'zoe')
    expectRefused(down, 502, /not answering right now/)
    expect(down.body).toContain(`href="/contacts/${ids.zoe}/photo"`) // "Try again"
    // HTTP_TIMEOUT_SECONDS is 2 in the test stack.
    graph().faults.add({ route: 'photo', delayMs: 2500 })
    const slow = await photoOf(alice, 'zoe')
    expectRefused(slow, 502, /not answering right now/)
  })
})

describe('the token', () => {
  const tokenCalls = () =>
    stack.providerTraffic.filter((r) => r.url === `${stack.microsoft?.issuer}/token`).length

  it('when Graph refuses the access token once, then it is refreshed and the photo comes; refused again after the refresh, a page says to reconnect, and the connection is not ended by a GET', async () => {
    const before = tokenCalls()
    graph().faults.add({ route: 'photo', status: 401 })
    const once = await photoOf(alice, 'zoe')
    expect(once.status).toBe(200)
    expect(tokenCalls()).toBe(before + 1)

    graph().faults.add({ route: 'photo', status: 401, times: 2 })
    const twice = await photoOf(alice, 'zoe')
    expectRefused(twice, 403, /Reconnect/)
    expect(twice.body).toContain('/login?provider=demo_microsoft')
    expect(tokenCalls()).toBe(before + 2)
    const connection = await stack.apps[0]?.services.people.connection(work.personId, work.id)
    expect(connection?.status).toBe('active')
  })

  it('when photos were fetched and refused, then no access or refresh token is in any answer or log line', async () => {
    const sentToGraph = stack.providerTraffic
      .map((r) => r.headers.get('authorization'))
      .filter((h): h is string => h?.startsWith('Bearer ') === true)
      .map((h) => h.slice('Bearer '.length))
    const tokenBodies = stack.providerTraffic
      .filter((r) => r.url.endsWith('/token'))
      .map((r) => new URLSearchParams(r.body).get('refresh_token'))
      .filter((t): t is string => Boolean(t))
    const secrets = [...new Set([...sentToGraph, ...tokenBodies])]
    expect(sentToGraph.length).toBeGreaterThan(3)
    const seen = [...alice.history, ...carol.history].map((h) => h.body).join('\n')
    const logs = stack.logs.join('\n')
    for (const secret of secrets) {
      expect(seen).not.toContain(secret)
      expect(logs).not.toContain(secret)
    }
  })

  it('when alice’s Microsoft connection has ended, then the photo is a 403 page that says to reconnect, and Graph is not asked', async () => {
    const off = await alice.request(url('/disconnect'), {
      form: { _csrf: await csrfOf(stack, alice), connection: work.id },
    })
    expect(off.status).toBe(303)
    const mark = graph().requests.mark()
    const hop = await photoOf(alice, 'zoe')
    expectRefused(hop, 403, /Access to Demo Microsoft has ended.*reconnect/)
    expect(hop.body).toContain('/login?provider=demo_microsoft')
    expect(photoRequests(mark)).toHaveLength(0)
  })
})
