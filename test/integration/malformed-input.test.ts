// Every route against request input that is broken on purpose: cookies, headers, query,
// form bodies and paths. Each bad value must end in a 4xx (or the route's normal answer,
// where the value is simply ignored) with the error page, JSON or a short text — never a
// 500, a stack trace or a file path — and must cost the person nothing: they stay signed in
// and connected, and the app logs nothing at error level.
//
// Requests are written byte by byte on a raw socket, so that the test, not an HTTP client,
// decides what goes on the wire (no Host header, a Content-Length that lies, `..` in a path).
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT_DIR } from '../../src/paths.ts'
import { Browser, formValue } from './support/browser.ts'
import { signIn } from './support/login.ts'
import { storedConnection, storedSession } from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
/** The signed-in person whose cookie and CSRF token go with every request. */
let person: { browser: Browser; cookie: string; csrf: string; sessionKey: string; tokenKey: string }
let port: number

beforeAll(async () => {
  stack = await startStack()
  port = Number(new URL(stack.appUrl).port)
  const browser = new Browser()
  const page = await signIn(browser, stack.appUrl)
  expect(page.status).toBe(200)
  const { grantId } = await storedConnection(stack, browser)
  person = {
    browser,
    cookie: await browser.jar.getCookieString(stack.appUrl),
    csrf: String(formValue(page.body, '_csrf')),
    sessionKey: (await storedSession(stack, browser)).key,
    tokenKey: `${stack.prefix}tok:${grantId}`,
  }
})
afterAll(() => stack?.close())

// ---------------------------------------------------------------------------------------
// The wire

interface Answer {
  /** 0 when the server closed the connection without answering. */
  status: number
  headers: Record<string, string>
  body: string
}

interface RawRequest {
  method: string
  target: string
  /** In order; a header may repeat. The defaults (Host, Accept, Cookie) come first. */
  headers: Array<[string, string]>
  body: string
  /** Content-Length as sent; by default the body's length in bytes. */
  contentLength?: number | undefined
  /** Header lines written as they are (not "name: value"). */
  rawLines?: string[]
}

/** What a test can use to build a request: the person's cookie and CSRF token. */
interface Context {
  cookie: string
  csrf: string
  host: string
}

function decodeChunked(body: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  while (at < body.length) {
    const lineEnd = body.indexOf('\r\n', at)
    if (lineEnd === -1) break
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16)
    if (!Number.isFinite(size) || size === 0) break
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
  return Buffer.concat(parts)
}

function parseAnswer(bytes: Buffer): Answer {
  const headEnd = bytes.indexOf('\r\n\r\n')
  if (bytes.length === 0 || headEnd === -1) return { status: 0, headers: {}, body: '' }
  const [statusLine = '', ...lines] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  const raw = bytes.subarray(headEnd + 4)
  const body = headers['transfer-encoding'] === 'chunked' ? decodeChunked(raw) : raw
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') }
}

/**
 * Writes `request` on a fresh connection and reads until the server closes it (every
 * request says `Connection: close`). With `halfClose`, the client ends its side after
 * writing, as a client that gives up mid-body does.
 */
function exchange(request: RawRequest | string, halfClose = false): Promise<Answer> {
  let bytes: Buffer
  if (typeof request === 'string') {
    bytes = Buffer.from(request, 'latin1')
  } else {
    const body = Buffer.from(request.body, 'utf8')
    const lines = [`${request.method} ${request.target} HTTP/1.1`]
    for (const [name, value] of request.headers) lines.push(`${name}: ${value}`)
    lines.push(...(request.rawLines ?? []))
    const length = request.contentLength ?? (body.length > 0 ? body.length : undefined)
    if (length !== undefined) lines.push(`Content-Length: ${length}`)
    lines.push('Connection: close', '', '')
    bytes = Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body])
  }
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.setTimeout(10_000, () => socket.destroy())
    socket.on('data', (chunk) => chunks.push(chunk))
    // A reset after the answer (the server closing while we still write) is fine.
    socket.on('error', () => {})
    socket.on('close', () => resolve(parseAnswer(Buffer.concat(chunks))))
    if (halfClose) socket.end(bytes)
    else socket.write(bytes)
  })
}

// ---------------------------------------------------------------------------------------
// The table

interface Route {
  path: string
  method: 'GET' | 'POST'
  /** The answer to a plain request with the person's cookie (and no form). */
  normal: number
  /** The answer when the session cookie is not recognised. */
  anonymous: number
  /** The answer when the path after the route's own has a broken %-escape. */
  badPath?: number
  /** The answer to a 6 kB `q` (a search refuses more than 200 characters). */
  longQuery?: number
}

interface BadInput {
  name: string
  status: number
  /** Answered by Node's HTTP server before Express: a line of text, or (bare) nothing. */
  byServer?: 'text' | 'bare'
  /** The client stops sending and closes its side after writing. */
  halfClose?: boolean
  request: (route: Route, ctx: Context) => RawRequest | string
}

function request(
  route: Route,
  ctx: Context,
  changes: {
    query?: string
    path?: string
    method?: string
    cookie?: string | undefined
    headers?: Array<[string, string]>
    body?: string
    contentType?: string
    contentLength?: number
    accept?: string
    host?: string | undefined
  } = {},
): RawRequest {
  const headers: Array<[string, string]> = []
  const host = 'host' in changes ? changes.host : ctx.host
  if (host !== undefined) headers.push(['Host', host])
  headers.push(['Accept', changes.accept ?? 'text/html,application/xhtml+xml'])
  const cookie = 'cookie' in changes ? changes.cookie : ctx.cookie
  if (cookie !== undefined) headers.push(['Cookie', cookie])
  if (changes.contentType) headers.push(['Content-Type', changes.contentType])
  headers.push(...(changes.headers ?? []))
  return {
    method: changes.method ?? route.method,
    target: `${changes.path ?? route.path}${changes.query ?? ''}`,
    headers,
    body: changes.body ?? '',
    contentLength: changes.contentLength,
  }
}

/** A form post to the route with the person's valid cookie. */
const form = (route: Route, ctx: Context, contentType: string, body: string) =>
  request(route, ctx, { method: 'POST', contentType, body })

const FORM = 'application/x-www-form-urlencoded'
const kB = (n: number) => 'x'.repeat(n * 1024)

/** What every route gets: query, cookies, headers and paths. */
function commonInputs(route: Route): BadInput[] {
  const { normal, anonymous } = route
  return [
    // Query
    {
      name: 'a repeated query parameter (?a=1&a=2)',
      status: normal,
      request: (r, c) => request(r, c, { query: '?a=1&a=2' }),
    },
    {
      name: 'a bracketed query key (?a[b]=1)',
      status: normal,
      request: (r, c) => request(r, c, { query: '?a[b]=1&a[]=2' }),
    },
    {
      name: 'a 6 kB query value',
      status: route.longQuery ?? normal,
      request: (r, c) => request(r, c, { query: `?q=${kB(6)}` }),
    },
    {
      name: 'broken percent-encoding in the query',
      status: normal,
      request: (r, c) => request(r, c, { query: '?q=%E0%A4%A&r=%&%=s' }),
    },
    {
      name: 'a query of only separators',
      status: normal,
      request: (r, c) => request(r, c, { query: '?&&==&' }),
    },
    // Cookies
    {
      name: 'a session cookie with a forged signature',
      status: anonymous,
      request: (r, c) =>
        request(r, c, {
          cookie: 'ci.sid=s%3Aforged-session-id.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        }),
    },
    {
      name: 'an unsigned session cookie',
      status: anonymous,
      request: (r, c) => request(r, c, { cookie: 'ci.sid=forged-session-id' }),
    },
    {
      name: 'a session cookie with broken percent-encoding',
      status: anonymous,
      request: (r, c) => request(r, c, { cookie: 'ci.sid=s%3A%E0%A4%A.%' }),
    },
    {
      name: 'a malformed cookie header around the real cookie',
      status: normal,
      request: (r, c) =>
        request(r, c, { cookie: `;;; =; ==x; a=%E0%A4%A; b="unterminated; ${c.cookie}` }),
    },
    {
      name: 'two session cookies, the real one first',
      status: normal,
      request: (r, c) => request(r, c, { cookie: `${c.cookie}; ci.sid=s%3Aother.sig` }),
    },
    {
      name: 'a 12 kB cookie beside the real one',
      status: normal,
      request: (r, c) => request(r, c, { cookie: `big=${kB(12)}; ${c.cookie}` }),
    },
    {
      name: 'a 20 kB cookie (more than the header limit)',
      status: 431,
      byServer: 'text',
      request: (r, c) => request(r, c, { cookie: `big=${kB(20)}; ${c.cookie}` }),
    },
    // Headers
    {
      name: 'an unparseable Accept',
      status: normal,
      request: (r, c) => request(r, c, { accept: ';;;,,/;q=x, */*;q=abc' }),
    },
    {
      name: 'Accept: application/json',
      status: normal,
      request: (r, c) => request(r, c, { accept: 'application/json' }),
    },
    {
      name: 'an Accept nothing here can produce',
      status: normal,
      request: (r, c) => request(r, c, { accept: 'image/png' }),
    },
    {
      name: 'a forged Host',
      status: normal,
      request: (r, c) => request(r, c, { host: 'evil.example' }),
    },
    {
      name: 'a Host with a bad port and user info',
      status: normal,
      request: (r, c) => request(r, c, { host: 'user@localhost:99999' }),
    },
    {
      name: 'two Host headers',
      status: normal,
      request: (r, c) => request(r, c, { headers: [['Host', 'evil.example']] }),
    },
    {
      // Node answers this one itself, with no body: no page can be shown without a Host.
      name: 'no Host header (HTTP/1.1 requires one)',
      status: 400,
      byServer: 'bare',
      request: (r, c) => request(r, c, { host: undefined }),
    },
    {
      name: 'forged X-Forwarded-* headers',
      status: normal,
      request: (r, c) =>
        request(r, c, {
          headers: [
            ['X-Forwarded-For', 'not an ip, 999.1.1.1'],
            ['X-Forwarded-Proto', 'gopher'],
            ['X-Forwarded-Host', 'evil.example'],
          ],
        }),
    },
    {
      name: 'an unexpected Content-Type and charset on an empty request',
      status: normal,
      request: (r, c) => request(r, c, { contentType: 'application/json; charset=ibm-1047' }),
    },
    {
      name: 'Content-Length together with Transfer-Encoding',
      status: 400,
      byServer: 'text',
      request: (r, c) =>
        request(r, c, {
          headers: [['Transfer-Encoding', 'chunked']],
          body: '0\r\n\r\n',
          contentLength: 5,
        }),
    },
    {
      name: 'a broken chunked body',
      status: 400,
      byServer: 'text',
      request: (r, c) =>
        request(r, c, {
          headers: [['Transfer-Encoding', 'chunked']],
          body: 'zz\r\nnot a chunk\r\n',
        }),
    },
    {
      name: 'a header line without a colon',
      status: 400,
      byServer: 'text',
      request: (r, c) => ({ ...request(r, c), rawLines: ['no colon here'] }),
    },
    // Request line
    {
      name: 'an absolute-form target naming another host',
      status: normal,
      request: (r, c) => ({
        ...request(r, c),
        target: `http://evil.example${request(r, c).target}`,
      }),
    },
    {
      name: 'a method HTTP does not have',
      status: 400,
      byServer: 'text',
      request: (r, c) => request(r, c, { method: 'FOO' }),
    },
    {
      name: 'a request line with two spaces',
      status: 400,
      byServer: 'text',
      request: (r, c) => ({ ...request(r, c), target: `${r.path}  x` }),
    },
    // Paths
    {
      name: 'a 4,000-character path',
      status: 404,
      request: (r, c) =>
        request(r, c, { path: `${r.path.replace(/\/$/, '')}/${'a'.repeat(4000)}` }),
    },
    {
      name: 'broken percent-encoding in the path',
      status: route.badPath ?? 404,
      request: (r, c) => request(r, c, { path: `${r.path.replace(/\/$/, '')}/%E0%A4%A` }),
    },
    {
      name: 'a lone % in the path',
      status: route.badPath ?? 404,
      request: (r, c) => request(r, c, { path: `${r.path.replace(/\/$/, '')}/%` }),
    },
    {
      name: 'dot-dot segments',
      status: 404,
      request: (r, c) =>
        request(r, c, { path: `${r.path.replace(/\/$/, '')}/../../../package.json` }),
    },
    {
      name: 'encoded dot-dot segments',
      status: 404,
      request: (r, c) =>
        request(r, c, { path: `${r.path.replace(/\/$/, '')}/..%2f..%2f..%2fpackage.json` }),
    },
    {
      name: 'a NUL byte in the path',
      status: route.badPath ?? 404,
      request: (r, c) => request(r, c, { path: `${r.path.replace(/\/$/, '')}/%00` }),
    },
  ]
}

/** What every form route gets: broken bodies, each carrying the person's valid token. */
function formInputs(): BadInput[] {
  return [
    {
      name: 'the right token as text/plain',
      status: 403,
      request: (r, c) => form(r, c, 'text/plain', `_csrf=${c.csrf}`),
    },
    {
      name: 'the right token as JSON',
      status: 403,
      request: (r, c) => form(r, c, 'application/json', JSON.stringify({ _csrf: c.csrf })),
    },
    {
      name: 'the right token as multipart',
      status: 403,
      request: (r, c) =>
        form(
          r,
          c,
          'multipart/form-data; boundary=x',
          `--x\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${c.csrf}\r\n--x--\r\n`,
        ),
    },
    {
      name: 'a malformed Content-Type',
      status: 403,
      request: (r, c) => form(r, c, `${FORM}; charset`, `_csrf=${c.csrf}x`),
    },
    { name: 'no Content-Type', status: 403, request: (r, c) => form(r, c, '', `_csrf=${c.csrf}`) },
    { name: 'a 20 kB form', status: 413, request: (r, c) => form(r, c, FORM, `_csrf=${kB(20)}`) },
    {
      name: 'more parameters than allowed',
      status: 413,
      request: (r, c) =>
        form(r, c, FORM, Array.from({ length: 50 }, (_, i) => `p${i}=x`).join('&')),
    },
    {
      name: 'broken percent-encoding in the form',
      status: 403,
      request: (r, c) => form(r, c, FORM, '_csrf=%E0%A4%A&x=%&%='),
    },
    {
      name: 'an unsupported charset',
      status: 415,
      request: (r, c) => form(r, c, `${FORM}; charset=ibm-1047`, `_csrf=${c.csrf}`),
    },
    {
      name: 'a token of the right length with a multibyte character',
      status: 403,
      request: (r, c) => form(r, c, FORM, `_csrf=${encodeURIComponent(`é${c.csrf.slice(1)}`)}`),
    },
    {
      name: 'a token of the right length with an emoji',
      status: 403,
      request: (r, c) => form(r, c, FORM, `_csrf=${encodeURIComponent(`😀${c.csrf.slice(2)}`)}`),
    },
    {
      name: 'the token twice (an array)',
      status: 403,
      request: (r, c) => form(r, c, FORM, `_csrf=${c.csrf}&_csrf=${c.csrf}`),
    },
    {
      name: 'the token under a bracketed key',
      status: 403,
      request: (r, c) => form(r, c, FORM, `_csrf[a]=${c.csrf}&_csrf[]=${c.csrf}`),
    },
    {
      name: 'a gzip Content-Encoding that is not gzip',
      status: 400,
      request: (r, c) => ({
        ...form(r, c, FORM, `_csrf=${c.csrf}`),
        headers: [...form(r, c, FORM, '').headers, ['Content-Encoding', 'gzip']],
      }),
    },
    {
      name: 'an unknown Content-Encoding',
      status: 415,
      request: (r, c) => ({
        ...form(r, c, FORM, `_csrf=${c.csrf}`),
        headers: [...form(r, c, FORM, '').headers, ['Content-Encoding', 'x-unknown']],
      }),
    },
    // The client gave up mid-body: the body parser reports the abort as the client's 400.
    {
      name: 'a body shorter than its Content-Length, then the client leaves',
      status: 400,
      halfClose: true,
      request: (r, c) => ({ ...form(r, c, FORM, `_csrf=${c.csrf}`), contentLength: 500 }),
    },
  ]
}

const ROUTES: Array<{ route: Route; inputs: BadInput[] }> = [
  {
    route: { path: '/', method: 'GET', normal: 200, anonymous: 200 },
    inputs: [
      {
        name: 'a notice that is not one of ours',
        status: 200,
        request: (r, c) =>
          request(r, c, { query: '?disconnected=<script>&signedout[x]=1&signedout=a&signedout=b' }),
      },
    ],
  },
  {
    route: { path: '/login', method: 'GET', normal: 303, anonymous: 303 },
    inputs: [
      {
        name: 'provider twice',
        status: 404,
        request: (r, c) => request(r, c, { query: '?provider=demo&provider=demo' }),
      },
      {
        name: 'a 6 kB provider',
        status: 404,
        request: (r, c) => request(r, c, { query: `?provider=${kB(6)}` }),
      },
      {
        name: 'a bracketed provider',
        status: 303,
        request: (r, c) => request(r, c, { query: '?provider[x]=demo' }),
      },
      {
        name: 'returnTo with broken percent-encoding',
        status: 303,
        request: (r, c) => request(r, c, { query: '?returnTo=%E0%A4%A' }),
      },
      {
        name: 'returnTo twice',
        status: 303,
        request: (r, c) => request(r, c, { query: '?returnTo=/a&returnTo=//evil.example' }),
      },
      {
        name: 'a 6 kB returnTo',
        status: 303,
        request: (r, c) => request(r, c, { query: `?returnTo=/${kB(6)}` }),
      },
    ],
  },
  {
    route: {
      path: '/auth/callback/demo',
      method: 'GET',
      // A refused callback answers 303 to a clean failure URL (RFC 9700 §4.3), never a page
      // at the URL that carries the code and state.
      normal: 303,
      anonymous: 303,
      badPath: 404,
    },
    inputs: [
      {
        name: 'a provider with broken percent-encoding',
        status: 400,
        request: (r, c) => request(r, c, { path: '/auth/callback/%E0%A4%A' }),
      },
      {
        name: 'a provider that is a lone %',
        status: 400,
        request: (r, c) => request(r, c, { path: '/auth/callback/%' }),
      },
      {
        name: 'a provider with a NUL byte',
        status: 303,
        request: (r, c) => request(r, c, { path: '/auth/callback/demo%00' }),
      },
      {
        name: 'a 4,000-character provider',
        status: 303,
        request: (r, c) => request(r, c, { path: `/auth/callback/${'a'.repeat(4000)}` }),
      },
      {
        name: 'state twice',
        status: 303,
        request: (r, c) => request(r, c, { query: '?code=x&state=a&state=b' }),
      },
      {
        name: 'a bracketed state',
        status: 303,
        request: (r, c) => request(r, c, { query: '?code=x&state[a]=b' }),
      },
      {
        name: 'a 6 kB state',
        status: 303,
        request: (r, c) => request(r, c, { query: `?code=x&state=${kB(6)}` }),
      },
      {
        name: 'code and state with broken percent-encoding',
        status: 303,
        request: (r, c) => request(r, c, { query: '?code=%E0%A4%A&state=%&iss=%' }),
      },
      {
        name: 'an error answer with markup',
        status: 303,
        request: (r, c) =>
          request(r, c, { query: '?error=%3Cscript%3E&error_description=%E0%A4%A&state=x' }),
      },
    ],
  },
  // The address book. /resource is the list's handler (web/routes/contacts.ts) with no
  // routes under it, so the path inputs below it are plain 404s.
  {
    route: { path: '/resource', method: 'GET', normal: 200, anonymous: 303, longQuery: 400 },
    inputs: [
      {
        name: 'q twice',
        status: 400,
        request: (r, c) => request(r, c, { query: '?q=a&q=b' }),
      },
      {
        name: 'a 201-character q',
        status: 400,
        request: (r, c) => request(r, c, { query: `?q=${'a'.repeat(201)}` }),
      },
      {
        name: 'a q of NUL, wildcards and a lone surrogate',
        status: 200,
        request: (r, c) => request(r, c, { query: '?q=%00%25_%5C%ED%A0%80' }),
      },
      {
        name: 'an after that is no cursor',
        status: 400,
        request: (r, c) => request(r, c, { query: '?after=%E0%A4%A' }),
      },
      {
        name: 'after twice',
        status: 400,
        request: (r, c) => request(r, c, { query: '?after=a&after=b' }),
      },
      {
        name: 'a 6 kB after',
        status: 400,
        request: (r, c) => request(r, c, { query: `?after=${kB(6)}` }),
      },
    ],
  },
  {
    route: {
      path: '/contacts/00000000-0000-4000-8000-000000000000',
      method: 'GET',
      normal: 404,
      anonymous: 303,
    },
    inputs: [
      {
        name: 'an id that is no id',
        status: 404,
        request: (r, c) => request(r, c, { path: `/contacts/${kB(1)}` }),
      },
      {
        name: 'an id with broken percent-encoding',
        status: 400,
        request: (r, c) => request(r, c, { path: '/contacts/%E0%A4%A' }),
      },
    ],
  },
  {
    route: {
      path: '/contacts/00000000-0000-4000-8000-000000000000/photo',
      method: 'GET',
      normal: 404,
      anonymous: 303,
    },
    inputs: [
      {
        name: 'an id that is no id',
        status: 404,
        request: (r, c) => request(r, c, { path: `/contacts/${kB(1)}/photo` }),
      },
      {
        name: 'an id with broken percent-encoding',
        status: 400,
        request: (r, c) => request(r, c, { path: '/contacts/%E0%A4%A/photo' }),
      },
    ],
  },
  {
    route: { path: '/contacts/export.vcf', method: 'GET', normal: 200, anonymous: 303 },
    inputs: [],
  },
  {
    route: { path: '/contacts/export.csv', method: 'GET', normal: 200, anonymous: 303 },
    inputs: [],
  },
  { route: { path: '/contacts/delete', method: 'GET', normal: 200, anonymous: 303 }, inputs: [] },
  {
    route: { path: '/contacts/delete', method: 'POST', normal: 403, anonymous: 401 },
    inputs: formInputs(),
  },
  {
    route: { path: '/connections/choose', method: 'GET', normal: 410, anonymous: 303 },
    inputs: [],
  },
  {
    route: { path: '/connections/choose', method: 'POST', normal: 403, anonymous: 401 },
    inputs: [
      ...formInputs(),
      {
        name: 'an answer that is not one of the buttons',
        status: 400,
        request: (r, c) => form(r, c, FORM, `_csrf=${c.csrf}&choice=${kB(1)}`),
      },
      {
        name: 'two answers',
        status: 400,
        request: (r, c) => form(r, c, FORM, `_csrf=${c.csrf}&choice=add&choice=switch`),
      },
    ],
  },
  {
    route: { path: '/logout', method: 'POST', normal: 403, anonymous: 403 },
    inputs: formInputs(),
  },
  {
    route: { path: '/disconnect', method: 'POST', normal: 403, anonymous: 401 },
    inputs: [
      ...formInputs(),
      {
        name: 'two connections named',
        status: 400,
        request: (r, c) => form(r, c, FORM, `_csrf=${c.csrf}&connection=a&connection=b`),
      },
    ],
  },
  {
    route: { path: '/connect', method: 'POST', normal: 403, anonymous: 401 },
    inputs: [
      ...formInputs(),
      {
        name: 'two providers named',
        status: 400,
        request: (r, c) => form(r, c, FORM, `_csrf=${c.csrf}&provider=demo&provider=demo`),
      },
      {
        name: 'a provider that is not configured',
        status: 404,
        request: (r, c) => form(r, c, FORM, `_csrf=${c.csrf}&provider=${kB(1)}`),
      },
      {
        name: 'a connection that is no id',
        status: 404,
        request: (r, c) => form(r, c, FORM, `_csrf=${c.csrf}&connection=${kB(1)}`),
      },
    ],
  },
  {
    route: {
      path: '/connections/00000000-0000-4000-8000-000000000000/remove',
      method: 'GET',
      normal: 404,
      anonymous: 303,
    },
    inputs: [
      {
        name: 'an id that is no id',
        status: 404,
        request: (r, c) => request(r, c, { path: `/connections/${kB(1)}/remove` }),
      },
      {
        name: 'an id with broken percent-encoding',
        status: 400,
        request: (r, c) => request(r, c, { path: '/connections/%E0%A4%A/remove' }),
      },
    ],
  },
  {
    route: {
      path: '/connections/00000000-0000-4000-8000-000000000000/remove',
      method: 'POST',
      normal: 403,
      anonymous: 401,
    },
    inputs: [
      ...formInputs(),
      {
        name: 'the right token for a connection that is not there',
        status: 404,
        request: (r, c) => form(r, c, FORM, `_csrf=${c.csrf}`),
      },
    ],
  },
  {
    route: { path: '/static/app.css', method: 'GET', normal: 200, anonymous: 200 },
    inputs: [
      {
        name: 'a Range that is not one',
        status: 200,
        request: (r, c) => request(r, c, { headers: [['Range', 'bytes=abc-def']] }),
      },
      {
        name: 'a Range past the end',
        status: 416,
        request: (r, c) => request(r, c, { headers: [['Range', 'bytes=99999999-']] }),
      },
      {
        name: 'a thousand ranges',
        status: 206,
        request: (r, c) =>
          request(r, c, {
            headers: [
              ['Range', `bytes=${Array.from({ length: 1000 }, (_, i) => `${i}-${i}`).join(',')}`],
            ],
          }),
      },
      {
        name: 'dates that are not dates',
        status: 200,
        request: (r, c) =>
          request(r, c, {
            headers: [
              ['If-Modified-Since', 'yesterday'],
              ['If-Unmodified-Since', '%%%'],
              ['If-Range', 'x'],
            ],
          }),
      },
      {
        name: 'a path climbing out of the directory',
        status: 404,
        request: (r, c) => request(r, c, { path: '/static/..%2f..%2fpackage.json' }),
      },
      {
        name: 'a backslash path climbing out',
        status: 404,
        request: (r, c) => request(r, c, { path: '/static/..%5c..%5cpackage.json' }),
      },
    ],
  },
  { route: { path: '/healthz', method: 'GET', normal: 200, anonymous: 200 }, inputs: [] },
  { route: { path: '/readyz', method: 'GET', normal: 200, anonymous: 200 }, inputs: [] },
]

// ---------------------------------------------------------------------------------------
// The checks

/** The messages of JSON log lines at error level or above (pino: 50), with their error. */
function errorsIn(lines: string[]): string[] {
  return lines
    .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message?: string } })
    .filter((entry) => entry.level >= 50)
    .map((entry) => `${entry.msg}: ${entry.err?.message ?? ''}`)
}

function expectNoInternals(answer: Answer) {
  expect(answer.body).not.toMatch(/\n\s+at /)
  expect(answer.body).not.toContain(ROOT_DIR)
  expect(answer.body).not.toContain('node_modules')
  expect(answer.body).not.toMatch(/\.(ts|js|mjs):\d+/)
  expect(answer.body).not.toContain('devDependencies')
}

/** A 4xx says what went wrong in the form the client asked for. */
function expectErrorBody(answer: Answer, input: BadInput, accept: string) {
  const type = answer.headers['content-type'] ?? ''
  if (input.byServer === 'bare') return
  if (input.byServer === 'text') {
    expect(type).toMatch(/^text\/plain/)
    expect(answer.body.length).toBeGreaterThan(0)
    return
  }
  if (accept.includes('application/json')) {
    expect(type).toMatch(/^application\/json/)
    expect((JSON.parse(answer.body) as { error: { code: string } }).error.code).toMatch(/^[A-Z_]+$/)
  } else if (type.startsWith('text/html')) {
    expect(answer.body).toContain('Error code:')
  } else {
    expect(type).toMatch(/^text\/plain/)
    expect(answer.body.length).toBeGreaterThan(0)
  }
}

async function expectStillSignedIn() {
  expect(await stack.redis.exists(person.sessionKey)).toBe(1)
  expect(await stack.redis.exists(person.tokenKey)).toBe(1)
  const home = await person.browser.request(`${stack.appUrl}/`)
  expect(home.status).toBe(200)
  expect(home.body).toContain('Sign out')
  expect(home.body).toContain('Disconnect Demo Provider')
}

describe.each(ROUTES)('$route.method $route.path', ({ route, inputs }) => {
  const cases = [...commonInputs(route), ...inputs]
  it.each(cases)(
    'when it gets $name, then it answers $status without internals, and the person stays signed in',
    async (input) => {
      const ctx: Context = { cookie: person.cookie, csrf: person.csrf, host: `localhost:${port}` }
      const raw = input.request(route, ctx)
      const logsBefore = stack.logs.length

      const answer = await exchange(raw, input.halfClose)
      // Aborted and rejected requests are logged when the server notices: give it a moment.
      await new Promise((resolve) => setTimeout(resolve, 50))

      expect(answer.status, answer.body.slice(0, 300)).toBe(input.status)
      expect(answer.status).toBeLessThan(500)
      expectNoInternals(answer)
      if (answer.status === 303 && route.path.startsWith('/auth/callback/')) {
        expect(answer.headers.location).toMatch(/^\/sign-in\/failed\?(reason|id)=/)
      }
      if (answer.status >= 400) {
        const accept =
          typeof raw === 'string' ? '' : (raw.headers.find(([n]) => n === 'Accept')?.[1] ?? '')
        expectErrorBody(answer, input, accept)
      }
      expect(errorsIn(stack.logs.slice(logsBefore))).toEqual([])
      await expectStillSignedIn()
    },
  )
})

describe('the whole run', () => {
  it('when all these requests were answered, then nothing was logged at error level', () => {
    expect(errorsIn(stack.logs)).toEqual([])
  })
})
