// The sign-in journeys in a real Chromium: the app on http://localhost, the demo provider on
// http://127.0.0.1, so the browser treats them as different sites and the return from the
// provider is a real cross-site navigation (what SameSite=Lax on the session cookie is for).
// Never downloads a browser: it drives Debian's chromium, or the one named by CHROMIUM_PATH.
import { mkdir, readFile } from 'node:fs/promises'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contact, inTransaction } from '../integration/support/address-book.ts'
import { startStack, type TestStack } from '../integration/support/stack.ts'
import { launchChromium, SCREENSHOTS } from './support/chromium.ts'

let stack: TestStack
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  browser = await launchChromium()
  stack = await startStack()
  await mkdir(SCREENSHOTS, { recursive: true })
})

afterAll(async () => {
  await Promise.all(contexts.map((context) => context.close()))
  await browser?.close()
  await stack?.close()
})

/** A fresh browser profile: no cookies from any earlier journey. */
async function freshPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  context.setDefaultTimeout(10_000)
  contexts.push(context)
  return context.newPage()
}

const onProvider = (url: URL) => url.href.startsWith(`${stack.demo.issuer}/`)
const mainText = (page: Page) => page.locator('main').textContent()

/** An anonymous visit to the contacts, up to the provider's login form. */
async function reachLogin(page: Page) {
  await page.goto(`${stack.appUrl}/resource`)
  await page.waitForURL(onProvider)
  await page.getByLabel('Password').waitFor()
}

/** The provider's login form, or its consent page when it still remembers the person. */
async function providerAsks(page: Page) {
  await page.locator('input[type="password"], button:text-is("Allow")').first().waitFor()
  expect(page.url().startsWith(`${stack.demo.issuer}/interaction/`)).toBe(true)
}

async function submitLogin(page: Page, username: string, password: string) {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

async function signIn(page: Page, username: string, password = `${username}-demo`) {
  await reachLogin(page)
  await submitLogin(page, username, password)
  await page.getByRole('button', { name: 'Allow' }).click()
  await page.waitForURL(`${stack.appUrl}/resource`)
}

describe('signing in with a real browser', () => {
  it('when alice signs in at the provider and allows access, then she lands on her address book with her connection, and holds only an HttpOnly, SameSite=Lax session cookie', async () => {
    const page = await freshPage()
    await reachLogin(page)
    expect(page.url().startsWith(`${stack.demo.issuer}/`)).toBe(true)
    expect(await page.locator('input[type="password"]').count()).toBe(1)

    await submitLogin(page, 'alice', 'alice-demo')
    await page.getByRole('button', { name: 'Allow' }).waitFor()
    expect(page.url().startsWith(`${stack.demo.issuer}/`)).toBe(true)
    const consent = await mainText(page)
    expect(consent).toContain('Read your contacts')
    expect(consent).toContain('Contacts Importer')
    await page.screenshot({ path: new URL('consent.png', SCREENSHOTS).pathname })

    await page.getByRole('button', { name: 'Allow' }).click()
    await page.waitForURL(`${stack.appUrl}/resource`)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your contacts')

    const connection = page.getByRole('region', { name: /Demo Provider/ })
    expect(await connection.textContent()).toContain('alice@demo.example')
    expect(await connection.locator('code').allTextContents()).toContain('contacts.read')
    await page.screenshot({ path: new URL('contacts-alice.png', SCREENSHOTS).pathname })

    // Evaluated in the page: what its scripts (or an injected one) can read.
    expect(await page.evaluate('document.cookie')).toBe('')
    const cookies = await page.context().cookies(stack.appUrl)
    expect(cookies.map((c) => c.name)).toEqual(['ci.sid'])
    expect(cookies[0]?.httpOnly).toBe(true)
    expect(cookies[0]?.sameSite).toBe('Lax')
  })

  it('when bob, who has nothing imported, signs in, then his address book says his first import is on its way, with a link to it', async () => {
    const page = await freshPage()
    await signIn(page, 'bob')
    const text = await mainText(page)
    expect(text).toContain('0 contacts')
    // The first sign-in queues an import; this stack runs no worker, so it waits.
    expect(text).toContain('No contacts yet — importing from Demo Provider.')
    expect(await page.getByRole('link', { name: 'Follow its progress' }).count()).toBeGreaterThan(0)
    expect(await page.getByRole('button', { name: 'Import now' }).count()).toBe(1)
    expect(await page.locator('table.contacts').count()).toBe(0)
  })

  it('when carol has contacts in her book, then she searches them, opens one, and downloads the vCard', async () => {
    const page = await freshPage()
    await signIn(page, 'carol')
    const { rows } = await stack.database.db.query<{ id: string; person_id: string }>(
      "SELECT id, person_id FROM connections WHERE subject = 'carol'",
    )
    const owner = { personId: String(rows[0]?.person_id), connectionId: String(rows[0]?.id) }
    const store = stack.apps[0]?.services.contactsStore
    if (!store) throw new Error('no app instance')
    await inTransaction(stack.database.db, (tx) =>
      store.upsert(tx, { ...owner, seenBy: undefined }, [
        contact('people/c1', { name: { display: 'Émile Zola' } }),
        ...Array.from({ length: 60 }, (_, i) => contact(`people/n${i}`)),
      ]),
    )

    await page.goto(`${stack.appUrl}/contacts`)
    expect(await mainText(page)).toContain('61 contacts')
    expect(await page.locator('table.contacts tbody tr').count()).toBe(50)
    await page.getByLabel('Search names, emails, phones and organisations').fill('emile')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.waitForURL(`${stack.appUrl}/contacts?q=emile`)
    expect(await page.locator('table.contacts tbody tr').count()).toBe(1)

    await page.getByRole('link', { name: 'Émile Zola' }).click()
    await page.getByRole('heading', { level: 1, name: 'Émile Zola' }).waitFor()
    expect(await mainText(page)).toContain('Imported from Demo Provider')

    await page.goto(`${stack.appUrl}/contacts`)
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'vCard (.vcf)' }).click(),
    ])
    expect(download.suggestedFilename()).toBe('contacts.vcf')
    const path = await download.path()
    const text = await readFile(path, 'utf8')
    expect(text.match(/BEGIN:VCARD\r\n/g)).toHaveLength(61)
    expect(text).toContain('FN:Émile Zola')
  })
})

describe('when sign-in does not go straight through', () => {
  it('when alice denies access on the consent page, then the app says she declined and its link takes her back to the provider', async () => {
    const page = await freshPage()
    await reachLogin(page)
    await submitLogin(page, 'alice', 'alice-demo')
    await page.getByRole('button', { name: 'Deny' }).click()
    await page.waitForURL((url) => url.href.startsWith(`${stack.appUrl}/`))

    expect(await page.title()).toContain('You declined access — try again')
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
      'You declined access — try again',
    )
    const retry = page.getByRole('link', { name: 'Try signing in again' })
    await retry.click()
    await page.waitForURL(onProvider)
    await providerAsks(page)
  })

  it('when the password is wrong, then the provider says so and stays on its login page, and the right password then works', async () => {
    const page = await freshPage()
    await reachLogin(page)
    await submitLogin(page, 'alice', 'not-her-password')

    await page.getByRole('alert').waitFor()
    expect(await page.getByRole('alert').textContent()).toBe(
      'That username and password do not match a demo account.',
    )
    expect(page.url().startsWith(`${stack.demo.issuer}/`)).toBe(true)
    expect(await page.locator('input[type="password"]').count()).toBe(1)
    expect(await page.getByLabel('Username').inputValue()).toBe('alice')

    await submitLogin(page, 'alice', 'alice-demo')
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.waitForURL(`${stack.appUrl}/resource`)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your contacts')
  })
})

describe('signing out', () => {
  it('when the person clicks Sign out and also signs out at the provider, then they are back on the start page and the contacts need a new login', async () => {
    const page = await freshPage()
    await signIn(page, 'alice')

    await page.locator('header').getByRole('button', { name: 'Sign out' }).click()
    // The app is signed out already; the provider offers to end its own session too.
    await page.waitForURL(onProvider)
    expect(await mainText(page)).toContain('Sign out of the Demo Provider too?')
    await page.getByRole('button', { name: 'Yes, sign me out' }).click()
    await page.waitForURL(`${stack.appUrl}/`)
    await page.getByRole('link', { name: 'Sign in with Demo Provider' }).waitFor()
    expect(await page.locator('header').getByRole('button', { name: 'Sign out' }).count()).toBe(0)

    // Nobody is remembered anywhere: /resource leads to the provider's login form.
    await reachLogin(page)
  })

  it('when the person signs out of the app but stays signed in at the provider, then the app still asks the provider again', async () => {
    const page = await freshPage()
    await signIn(page, 'alice')

    await page.locator('header').getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('button', { name: 'No, stay signed in' }).click()
    await page.waitForURL(`${stack.appUrl}/`)
    await page.getByRole('link', { name: 'Sign in with Demo Provider' }).waitFor()

    await page.goto(`${stack.appUrl}/resource`)
    await page.waitForURL(onProvider)
    await providerAsks(page)
  })
})
