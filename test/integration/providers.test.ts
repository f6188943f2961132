// More than one provider: the chooser, and the mix-up defence (RFC 9700 §4.4) of binding
// every pending sign-in to the provider it was sent to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../demo/stack.ts'
import { Browser } from './support/browser.ts'
import { authorizeAtProvider, signIn } from './support/login.ts'
import { followSignInFailure } from './support/sign-in-failure.ts'
import { startStack, type TestStack, tokenRequests } from './support/stack.ts'

let stack: TestStack
beforeAll(async () => {
  stack = await startStack({
    env: (demo) => ({
      PROVIDERS: 'demo,backup',
      BACKUP_ISSUER: demo.issuer,
      BACKUP_CLIENT_ID: DEMO_CLIENT_ID,
      BACKUP_CLIENT_SECRET: DEMO_CLIENT_SECRET,
      BACKUP_SCOPES: 'openid offline_access contacts.read',
      BACKUP_CONTACTS_URL: demo.contactsUrl,
      BACKUP_RESOURCE: demo.contactsAudience,
      BACKUP_LABEL: 'Backup Provider',
      BACKUP_AUTH_PARAMS: 'access_type=offline&include_granted_scopes=true',
    }),
  })
})
afterAll(() => stack?.close())

describe('choosing a provider', () => {
  it('when a provider has extra authorization parameters, then they go with its requests only', async () => {
    const browser = new Browser()
    const backup = new URL(
      String((await browser.request(`${stack.appUrl}/login?provider=backup`)).location),
    )
    expect(backup.searchParams.get('access_type')).toBe('offline')
    expect(backup.searchParams.get('include_granted_scopes')).toBe('true')
    expect(backup.searchParams.get('code_challenge_method')).toBe('S256')
    const demo = new URL(
      String((await browser.request(`${stack.appUrl}/login?provider=demo`)).location),
    )
    expect(demo.searchParams.has('access_type')).toBe(false)
  })

  it('when several providers are configured and none is named, then /login shows a chooser that keeps returnTo', async () => {
    const browser = new Browser()
    const page = await browser.follow(`${stack.appUrl}/resource`)
    expect(page.url).toBe(`${stack.appUrl}/login?returnTo=%2Fresource`)
    expect(page.status).toBe(200)
    expect(page.body).toContain(
      '<a class="button" href="/login?provider=demo&amp;returnTo=%2Fresource">Sign in with Demo Provider</a>',
    )
    expect(page.body).toContain(
      '<a class="button" href="/login?provider=backup&amp;returnTo=%2Fresource">Sign in with Backup Provider</a>',
    )
  })

  it('when the person picks a provider, then the sign-in goes there and ends on the page they wanted', async () => {
    const page = await signIn(new Browser(), stack.appUrl, {
      start: '/login?provider=demo&returnTo=%2Fresource',
    })
    expect(page.url).toBe(`${stack.appUrl}/resource`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('<h1>Your contacts</h1>')
    expect(page.body).toContain('Demo Provider')
  })

  it('when a provider answers at another provider’s redirect URI, then the answer is rejected before any token request', async () => {
    const browser = new Browser()
    const callback = new URL(
      await authorizeAtProvider(browser, stack.appUrl, { start: '/login?provider=demo' }),
    )
    expect(callback.pathname).toBe('/auth/callback/demo')
    const before = tokenRequests(stack).length

    const mixedUp = await followSignInFailure(
      await browser.request(`${stack.appUrl}/auth/callback/backup${callback.search}`),
    )
    expect(mixedUp.status).toBe(400)
    expect(mixedUp.body).toContain('The answer came back for a different provider')
    expect(tokenRequests(stack)).toHaveLength(before)
    // The pending sign-in was used up by the attempt: the genuine callback cannot be replayed.
    expect((await followSignInFailure(await browser.request(callback.href))).status).toBe(400)
  })
})
