// PROVIDERS=microsoft against an Entra-like fake (support/entra-fake.ts): the `common`
// tenant's templated issuer, checked against each ID token's `tid`; the granted scopes,
// checked after the code exchange; and Disconnect with a provider that cannot revoke.
// The fake answers for https://login.microsoftonline.com through the stack's `origins`
// (openid-client handles Entra's template only there); nothing leaves 127.0.0.1.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../src/errors.ts'
import { Browser, formValue, type Hop } from './support/browser.ts'
import {
  ENTRA_ORIGIN,
  type EntraAccount,
  type EntraFake,
  type EntraSignIn,
  startEntraFake,
} from './support/entra-fake.ts'
import { authorizeAtProvider, signIn } from './support/login.ts'
import { sessionIdOf, storedConnection, storedTokens } from './support/session.ts'
import { followSignInFailure } from './support/sign-in-failure.ts'
import { startStack, type TestStack } from './support/stack.ts'

const CLIENT = {
  clientId: '5f3a1c2e-7b8d-4e6f-9a0b-1c2d3e4f5a6b',
  clientSecret: 'Q8x~entra.secret',
}

let fake: EntraFake
let stack: TestStack
beforeAll(async () => {
  fake = await startEntraFake()
  stack = await startStack({
    env: {
      PROVIDERS: 'demo,microsoft',
      // Two variables: everything else is the preset's (issuer of the common tenant).
      MICROSOFT_CLIENT_ID: CLIENT.clientId,
      MICROSOFT_CLIENT_SECRET: CLIENT.clientSecret,
      // Only the sign-in is under test, and no import runs here (no worker): the People
      // adapter stands in for Graph's, which is another part of issue 9.
      MICROSOFT_CONTACTS_API: 'people',
    },
    // Graph too, which no test here reaches: nothing could leave the machine.
    origins: { [ENTRA_ORIGIN]: fake.origin, 'https://graph.microsoft.com': fake.origin },
  })
  fake.register({ ...CLIENT, redirectUris: [`${stack.appUrl}/auth/callback/microsoft`] })
})
afterAll(async () => {
  await stack?.close()
  await fake?.close()
})

const START = { start: '/login?provider=microsoft' }

function newAccount(overrides: Partial<EntraAccount> = {}): EntraAccount {
  const oid = randomUUID()
  return {
    oid,
    tid: randomUUID(),
    name: `Adele ${oid.slice(0, 4)}`,
    email: `adele.${oid.slice(0, 8)}@fabrikam.example`,
    ...overrides,
  }
}

/** EJS's escaping of `<%= %>` output. */
const html = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c] ?? c,
  )

const tokenKeys = async () => (await stack.redis.keys(`${stack.prefix}tok:*`)).sort()

async function connectionsOf(email: string): Promise<number> {
  const { rows } = await stack.database.db.query<{ n: number }>(
    'select count(*)::int as n from connections where email = $1',
    [email],
  )
  return rows[0]?.n ?? 0
}

/** Who this browser's session names, if anybody (no session at all: nobody). */
async function sessionPerson(browser: Browser): Promise<string | undefined> {
  const cookie = await browser.cookie(stack.appUrl, 'ci.sid')
  if (!cookie) return undefined
  const raw = await stack.redis.get(`${stack.prefix}sess:${sessionIdOf(cookie)}`)
  return raw ? (JSON.parse(raw) as { personId?: string }).personId : undefined
}

async function expectPage(
  hop: Hop,
  page: { status: number; code: string; title: string; message?: string },
) {
  expect(hop.status, hop.body.slice(0, 300)).toBe(303)
  const shown = await followSignInFailure(hop)
  expect(shown.status, shown.body.slice(0, 300)).toBe(page.status)
  expect(shown.body).toContain(`<h1>${html(page.title)}</h1>`)
  expect(shown.body).toContain(`<code>${page.code}</code>`)
  if (page.message) expect(shown.body).toContain(html(page.message))
  expect(shown.body).not.toMatch(/ClientError|OAUTH_|tenantid|at .*\.(ts|js):\d+/)
  return shown
}

describe("the common tenant's templated issuer", () => {
  it("when an account signs in through common, then its ID token's iss names its tid, and the person lands signed in", async () => {
    const account = newAccount()
    fake.signInAs({ account })
    const browser = new Browser()
    const before = fake.requests.length

    const landed = await signIn(browser, stack.appUrl, START)

    expect(landed.url).toBe(`${stack.appUrl}/`)
    expect(landed.status).toBe(200)
    expect(landed.body).toContain(html(account.name))
    const connection = await storedConnection(stack, browser)
    expect(connection).toMatchObject({
      provider: 'microsoft',
      issuer: 'https://login.microsoftonline.com/common/v2.0',
      email: account.email,
    })
    expect(await storedTokens(stack, browser)).toMatchObject({ provider: 'microsoft' })
    // Discovery of the preset's issuer, as an operator would configure it.
    expect(stack.providerTraffic.map((r) => r.url)).toContain(
      'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
    )
    const seen = fake.requests.slice(before)
    const authorize = seen.find((r) => r.endpoint === 'authorize')
    expect(authorize?.tenant).toBe('common')
    expect(authorize?.params).toMatchObject({
      scope: 'openid email profile offline_access Contacts.Read',
      code_challenge_method: 'S256',
      prompt: 'consent',
    })
    const token = seen.find((r) => r.endpoint === 'token')
    expect(token).toMatchObject({ status: 200, clientAuth: 'client_secret_basic' })
    expect(token?.params.code_verifier).toMatch(/^[\w-]{43}$/)
  })

  const refused = [
    {
      name: 'its iss names another tenant than its tid',
      claims: { iss: `${ENTRA_ORIGIN}/${randomUUID()}/v2.0` },
    },
    { name: 'it has no tid', claims: { tid: undefined } },
    {
      name: 'it has no tid, and an iss built from that',
      claims: { tid: undefined, iss: `${ENTRA_ORIGIN}/undefined/v2.0` },
    },
    { name: 'its iss is the template itself', claims: { iss: `${ENTRA_ORIGIN}/{tenantid}/v2.0` } },
  ]

  it.each(refused)(
    'when the ID token is genuine but $name, then a 400 page, and no session, connection or tokens',
    async ({ claims }) => {
      const account = newAccount()
      fake.signInAs({ account, claims })
      const browser = new Browser()
      const tokensBefore = await tokenKeys()
      const callback = await authorizeAtProvider(browser, stack.appUrl, START)

      const answer = await browser.request(callback)

      await expectPage(answer, {
        status: 400,
        code: 'LOGIN_INVALID_RESPONSE',
        title: 'Sign-in could not be verified',
        message:
          'The sign-in response could not be verified, so it was rejected. Please start again.',
      })
      // The exchange happened (the fake answered), and its result was thrown away.
      expect(fake.requests.at(-1)).toMatchObject({ endpoint: 'token', status: 200 })
      expect(await sessionPerson(browser)).toBeUndefined()
      expect(await connectionsOf(account.email)).toBe(0)
      expect(await tokenKeys()).toEqual(tokensBefore)
      const resource = await browser.request(`${stack.appUrl}/resource`)
      expect(resource.status).toBe(303)
      expect(resource.location).toContain('/login')
    },
  )

  it("when a refresh brings an ID token whose iss is not its tid's, then it is refused and nothing is stored", async () => {
    const signInAt: EntraSignIn = { account: newAccount() }
    fake.signInAs(signInAt)
    const browser = new Browser()
    await signIn(browser, stack.appUrl, START)
    const { subject } = await storedConnection(stack, browser)
    const record = await storedTokens(stack, browser)
    const provider = stack.apps[0]?.providers.get('microsoft')
    if (!provider || !record?.refreshToken) throw new Error('no Microsoft grant')
    // A good refresh passes the check...
    await expect(provider.refresh(record.refreshToken, subject)).resolves.toMatchObject({
      claims: { tid: signInAt.account.tid },
    })

    // ...and the same grant, once its tokens name another tenant, does not.
    signInAt.claims = { iss: `${ENTRA_ORIGIN}/${randomUUID()}/v2.0` }
    const failure = await provider.refresh(record.refreshToken, subject).catch((e: unknown) => e)

    expect(failure).toBeInstanceOf(AppError)
    expect(failure).toMatchObject({ code: 'PROVIDER_ERROR', status: 502 })
  })
})

describe('the granted scopes', () => {
  it('when the person does not grant Contacts.Read, then a page says so with a button to connect again, and nobody is signed in', async () => {
    const account = newAccount()
    fake.signInAs({ account, grant: (scopes) => scopes.filter((s) => s !== 'Contacts.Read') })
    const browser = new Browser()
    const tokensBefore = await tokenKeys()
    const callback = await authorizeAtProvider(browser, stack.appUrl, {
      start: '/login?provider=microsoft&returnTo=%2Fcontacts',
    })

    const shown = await expectPage(await browser.request(callback), {
      status: 403,
      code: 'SCOPE_NOT_GRANTED',
      title: 'Contacts permission not granted',
      message:
        'You signed in with Microsoft, but did not allow access to your contacts, so the app cannot import them.',
    })

    expect(shown.body).toContain(
      '<a class="button" href="/login?provider=microsoft&amp;returnTo=%2Fcontacts">Connect again and allow contacts</a>',
    )
    expect(await sessionPerson(browser)).toBeUndefined()
    expect(await connectionsOf(account.email)).toBe(0)
    expect(await tokenKeys()).toEqual(tokensBefore)
    // Microsoft has no revocation endpoint: nothing was sent to one.
    expect(stack.providerTraffic.some((r) => /revoke/i.test(r.url))).toBe(false)

    // The button starts a new authorization asking for the contacts scope again.
    const again = await browser.request(
      `${stack.appUrl}/login?provider=microsoft&returnTo=%2Fcontacts`,
    )
    expect(again.status).toBe(303)
    const authorize = new URL(String(again.location))
    expect(authorize.origin).toBe(fake.origin)
    expect(authorize.searchParams.get('scope')?.split(' ')).toContain('Contacts.Read')
    const landed = await browser.follow(String(again.location))
    expect(landed.url).toBe(`${stack.appUrl}/contacts`)
    expect(await connectionsOf(account.email)).toBe(0)
  })

  it('when Entra answers with the resource-qualified scope, then the contacts permission counts as granted', async () => {
    const account = newAccount()
    fake.signInAs({
      account,
      grant: (scopes) =>
        scopes.map((s) =>
          s === 'Contacts.Read' ? 'https://graph.microsoft.com/Contacts.Read' : s,
        ),
    })
    const browser = new Browser()

    const landed = await signIn(browser, stack.appUrl, START)

    expect(landed.url).toBe(`${stack.appUrl}/`)
    expect(await connectionsOf(account.email)).toBe(1)
  })

  it('when the demo provider grants fewer scopes, then the same page shows and the unused tokens are revoked there', async () => {
    const browser = new Browser()
    const callback = await authorizeAtProvider(browser, stack.appUrl, {
      start: '/login?provider=demo',
    })
    const asBefore = stack.demo.authorizationServer.requests.mark()
    stack.tamper = async (request, real) => {
      const response = await real()
      if (request.url !== `${stack.demo.issuer}/token`) return response
      const body = (await response.json()) as Record<string, unknown>
      const scope = String(body.scope)
        .split(' ')
        .filter((s) => s !== 'contacts.read')
        .join(' ')
      return Response.json({ ...body, scope })
    }
    let shown: Hop
    try {
      shown = await expectPage(await browser.request(callback), {
        status: 403,
        code: 'SCOPE_NOT_GRANTED',
        title: 'Contacts permission not granted',
        message: 'You signed in with Demo Provider, but did not allow access to your contacts',
      })
    } finally {
      stack.tamper = undefined
    }

    // Where the sign-in was going (the start page): not back to this one-time page.
    expect(shown.body).toContain('href="/login?provider=demo">Connect again and allow contacts')
    const received = stack.demo.authorizationServer.requests.since(asBefore)
    expect(received.map((r) => [r.endpoint, r.params.token_type_hint])).toEqual([
      ['token', undefined],
      ['revocation', 'refresh_token'],
      ['revocation', 'access_token'],
    ])
    expect(await sessionPerson(browser)).toBeUndefined()
  })
})

describe('disconnecting Microsoft', () => {
  it('when the person disconnects, then the tokens are forgotten here and the page says Microsoft cannot be asked to revoke them', async () => {
    fake.signInAs({ account: newAccount() })
    const browser = new Browser()
    const page = await signIn(browser, stack.appUrl, START)
    const { grantId } = await storedConnection(stack, browser)
    const trafficBefore = stack.providerTraffic.length

    const hop = await browser.request(`${stack.appUrl}/disconnect`, {
      form: { _csrf: String(formValue(page.body, '_csrf')) },
    })

    expect(hop.status).toBe(303)
    expect(hop.location).toBe(`${stack.appUrl}/?disconnected=local`)
    const home = await browser.request(String(hop.location))
    expect(home.body).toContain('Your provider offers no way for apps to revoke access')
    expect(await stack.redis.exists(`${stack.prefix}tok:${grantId}`)).toBe(0)
    expect(stack.providerTraffic.slice(trafficBefore).map((r) => r.url)).toEqual([])
  })
})
