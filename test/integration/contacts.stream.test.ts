// /resource streams the contact list: rows reach the browser while later pages are still
// being read, a failure after the first page ends the list with a notice instead of an
// error page, and a browser that leaves stops the reading. Carol's 2987 contacts come in
// three pages of 1000 from the real demo contacts server.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Browser } from './support/browser.ts'
import { signIn } from './support/login.ts'
import { startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
let carol: Browser
beforeAll(async () => {
  stack = await startStack()
  carol = new Browser()
  const page = await signIn(carol, stack.appUrl, { username: 'carol', password: 'carol-demo' })
  expect(page.body).toContain('2987 contacts from Demo Provider')
})
afterAll(() => stack?.close())
afterEach(() => {
  stack.tamper = undefined
})

const rows = (html: string) => (html.match(/<tr>/g) ?? []).length - 1 // minus the header row
const isLaterPage = (url: string) =>
  url.startsWith(stack.demo.contactsUrl) && new URL(url).searchParams.has('pageToken')
/** Carol's requests the contacts server received after `mark` (a requests.mark()). */
const carolsCallsSince = (mark: number) =>
  stack.demo.contactsServer.requests.since(mark).filter((r) => r.sub === 'carol')

/** Opens /resource as carol and hands each chunk of HTML to `onChunk` as it arrives. */
async function readResource(
  onChunk: (soFar: string) => 'more' | 'leave',
): Promise<{ status: number; body: string; left: boolean }> {
  const url = `${stack.appUrl}/resource`
  const abort = new AbortController()
  const response = await fetch(url, {
    headers: { cookie: await carol.jar.getCookieString(url), accept: 'text/html' },
    signal: abort.signal,
  })
  const reader = response.body?.getReader()
  if (!reader) throw new Error('no body')
  const decoder = new TextDecoder()
  let body = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return { status: response.status, body, left: false }
    body += decoder.decode(value, { stream: true })
    if (onChunk(body) === 'leave') {
      abort.abort()
      return { status: response.status, body, left: true }
    }
  }
}

describe('streaming /resource', () => {
  it('when the later pages are slow, then the first page’s rows reach the browser before the last page is read, and the count comes at the end', async () => {
    stack.tamper = async (request, real) => {
      if (isLaterPage(request.url)) await sleep(300)
      return real()
    }
    const before = stack.demo.contactsServer.requests.mark()
    let callsAtFirstRows: number | undefined

    const page = await readResource((soFar) => {
      if (callsAtFirstRows === undefined && soFar.includes('<tbody>')) {
        callsAtFirstRows = carolsCallsSince(before).length
      }
      return 'more'
    })

    expect(callsAtFirstRows).toBe(1)
    expect(page.status).toBe(200)
    expect(rows(page.body)).toBe(2987)
    expect(carolsCallsSince(before).length).toBe(3)
    expect(page.body.indexOf('2987 contacts from Demo Provider')).toBeGreaterThan(
      page.body.lastIndexOf('<tr>'),
    )
    expect(page.body.trimEnd().endsWith('</html>')).toBe(true)
  })

  it('when the contacts API fails after the first page, then the page ends normally with those rows, a notice that the list is incomplete, and a log line', async () => {
    stack.tamper = async (request, real) =>
      isLaterPage(request.url)
        ? new Response(JSON.stringify({ error: { code: 503, status: 'UNAVAILABLE' } }), {
            status: 503,
            headers: { 'content-type': 'application/json' },
          })
        : real()
    const logsBefore = stack.logs.length

    const page = await carol.request(`${stack.appUrl}/resource`)

    expect(page.status).toBe(200)
    expect(rows(page.body)).toBe(1000)
    expect(page.body).toContain('The list is incomplete.')
    expect(page.body).toContain('Your contacts provider is not answering right now.')
    expect(page.body).toContain('1000 contacts from Demo Provider so far.')
    expect(page.body).not.toContain('is empty')
    expect(page.body).not.toMatch(/at \w+ \(|node:internal|\.ts:\d+/) // no stack
    expect(page.body.trimEnd().endsWith('</html>')).toBe(true)

    const logged = stack.logs.slice(logsBefore).map((line) => JSON.parse(line))
    expect(logged).toContainEqual(
      expect.objectContaining({
        msg: 'contact list ended early',
        errorCode: 'CONTACTS_UNAVAILABLE',
      }),
    )
    expect(logged.filter((entry) => entry.msg === 'unhandled error')).toEqual([])

    // Nothing was lost: without the fault the whole list is back.
    stack.tamper = undefined
    expect(rows((await carol.request(`${stack.appUrl}/resource`)).body)).toBe(2987)
  })

  it('when the browser leaves while a page is being read, then no further page is requested', async () => {
    stack.tamper = async (request, real) => {
      if (isLaterPage(request.url)) await sleep(400)
      return real()
    }
    const before = stack.demo.contactsServer.requests.mark()

    const page = await readResource((soFar) => (soFar.includes('<tbody>') ? 'leave' : 'more'))
    expect(page.left).toBe(true)
    await sleep(1200) // page 2 comes back meanwhile; page 3 would follow if nobody noticed

    expect(carolsCallsSince(before).length).toBe(2)
  })

  it('when contact fields (name, email, organisation and its title) hold markup, then the rows show it as text', async () => {
    stack.tamper = async (request, real) =>
      request.url.startsWith(stack.demo.contactsUrl)
        ? Response.json({
            connections: [
              {
                resourceName: 'people/c1',
                names: [{ displayName: '<script>alert(1)</script>' }],
                emailAddresses: [{ value: '"><img src=x onerror=alert(2)>@example.com' }],
                organizations: [{ name: '</td></tr></table><b>Evil</b>', title: '<i>Boss</i>' }],
              },
            ],
          })
        : real()

    const page = await carol.request(`${stack.appUrl}/resource`)

    expect(page.status).toBe(200)
    expect(rows(page.body)).toBe(1)
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(page.body).not.toContain('<script>alert(1)')
    expect(page.body).not.toContain('<img src=x')
    expect(page.body).not.toContain('<b>Evil</b>')
    expect(page.body).toContain('<span class="title">&lt;i&gt;Boss&lt;/i&gt;</span>')
    expect(page.body).toContain('1 contact from Demo Provider.')
  })
})
