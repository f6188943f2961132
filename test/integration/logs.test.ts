// What the app's log says about a sign-in, a page view and a sign-out: one line per
// request that names who (client address, person) and what (method, route pattern,
// status, duration), and nothing anyone could use to act as that person: no code, state,
// cookie or token, anywhere in the log. An expected refusal (the provider does not revoke
// JWT access tokens) is not an error either.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser, formValue } from './support/browser.ts'
import { authorizeAtProvider } from './support/login.ts'
import { sessionIdOf, storedSession, storedTokens } from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

interface RequestLine {
  level: number
  msg: string
  reqId?: string
  ip?: string
  personId?: string
  method?: string
  route?: string
  url?: string
  status?: number
  ms?: number
}

let stack: TestStack
/** Everything a thief would want from this sign-in, to look for in the log. */
const secrets = {
  code: '',
  state: '',
  cookie: '',
  sessionId: '',
  accessToken: '',
  refreshToken: '',
  idToken: '',
  csrf: '',
}
let personId: string
let browser: Browser

const entries = () => stack.logs.map((line) => JSON.parse(line) as RequestLine)
const requestLines = () => entries().filter((e) => e.msg === 'request')

beforeAll(async () => {
  // One proxy in front: the client address is the one it forwards.
  stack = await startStack({ env: { TRUST_PROXY: '1' } })
  browser = new Browser()
  const callback = new URL(await authorizeAtProvider(browser, stack.appUrl))
  secrets.code = String(callback.searchParams.get('code'))
  secrets.state = String(callback.searchParams.get('state'))
  const page = await browser.follow(callback.href)
  expect(page.status).toBe(200)
  const session = await storedSession(stack, browser)
  personId = String(session.personId)
  const cookie = String(await browser.cookie(stack.appUrl, 'ci.sid'))
  secrets.cookie = cookie
  secrets.sessionId = sessionIdOf(cookie)
  const tokens = await storedTokens(stack, browser)
  secrets.accessToken = String(tokens?.accessToken)
  secrets.refreshToken = String(tokens?.refreshToken)
  secrets.idToken = String(tokens?.idToken)
  secrets.csrf = String(formValue(page.body, '_csrf'))
  for (const [name, value] of Object.entries(secrets)) {
    expect(value.length, name).toBeGreaterThan(16)
  }
})
afterAll(() => stack?.close())

describe('request log lines', () => {
  it('when the provider sends the person back, then the callback line names the route pattern, the person, the address, the status and the duration', () => {
    const line = requestLines().find((e) => e.route === '/auth/callback/:provider')
    expect(line).toMatchObject({
      level: 30,
      method: 'GET',
      route: '/auth/callback/:provider',
      status: 303,
      personId,
      ip: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$|^::1$/),
    })
    expect(line?.reqId).toMatch(/^[0-9a-f-]{36}$/)
    expect(line?.ms).toBeTypeOf('number')
    // The URL is kept for debugging, with the code and the state cut out.
    expect(line?.url).toContain('code=%5Bredacted%5D')
    expect(line?.url).toContain('state=%5Bredacted%5D')
  })

  it('when a signed-in person reads a page, then its line names them and the route', () => {
    const [before, after] = requestLines().filter((e) => e.url === '/resource')
    // Before sign-in: sent to sign in, nobody named. After: the person.
    expect(before).toMatchObject({ method: 'GET', route: '/resource', status: 303 })
    expect(before).not.toHaveProperty('personId')
    expect(after).toMatchObject({ method: 'GET', route: '/resource', status: 200, personId })
  })

  it('when the request comes through the trusted proxy, then the address is the one it forwarded', async () => {
    const hop = await browser.request(`${stack.appUrl}/?through=proxy`, {
      headers: { 'x-forwarded-for': '203.0.113.9' },
    })
    expect(hop.status).toBe(200)
    const line = requestLines().find((e) => e.url === '/?through=proxy')
    expect(line).toMatchObject({ ip: '203.0.113.9', route: '/', personId })
  })

  it('when nobody is signed in and no route answers, then the line has the address but no route and no person', async () => {
    const hop = await new Browser().request(`${stack.appUrl}/static/app.css?anonymous=1`)
    expect(hop.status).toBe(200)
    const line = requestLines().find((e) => e.url === '/static/app.css?anonymous=1')
    expect(line).toMatchObject({ method: 'GET', status: 200, ip: expect.any(String) })
    expect(line).not.toHaveProperty('route')
    expect(line).not.toHaveProperty('personId')
  })
})

describe('signing out', () => {
  let linesBefore = 0
  beforeAll(async () => {
    linesBefore = stack.logs.length
    const hop = await browser.request(`${stack.appUrl}/logout`, { form: { _csrf: secrets.csrf } })
    expect(hop.status).toBe(303)
    // Both tokens went to the provider's revocation endpoint (the access token is refused).
    const revocations = stack.demo.authorizationServer.requests.filter(
      (r) => r.endpoint === 'revocation',
    )
    expect(revocations.length).toBeGreaterThanOrEqual(2)
  })

  it('when a person signs in and out, then nothing is logged at error level (the refused JWT access token is expected)', () => {
    const errors = entries()
      .slice(linesBefore)
      .filter((e) => e.level >= 50)
      .map((e) => e.msg)
    expect(errors).toEqual([])
    // It is still there for whoever debugs revocation.
    expect(entries().some((e) => e.msg === 'access token not revoked' && e.level === 20)).toBe(true)
  })

  it('when the person signs out, then the sign-out line still names who it was', () => {
    const line = requestLines().find((e) => e.url === '/logout')
    expect(line).toMatchObject({ method: 'POST', route: '/logout', status: 303, personId })
  })

  it('when all this was logged, then no line holds the code, the state, the cookie, the CSRF token or a token', () => {
    const everything = stack.logs.join('\n')
    for (const [name, value] of Object.entries(secrets)) {
      expect(everything.includes(value), `${name} appears in the log`).toBe(false)
      // Nor its URL-encoded form (cookies and states travel encoded).
      expect(everything.includes(encodeURIComponent(value)), `${name} (encoded)`).toBe(false)
    }
  })
})
