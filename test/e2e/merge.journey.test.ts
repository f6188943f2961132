// A newcomer's two sources in a real Chromium, as the demo offers them: alice signs in at
// Demo Provider (her first import starts by itself), connects Demo Microsoft from the
// sources panel and signs in there as her work account; the work import runs to its
// summary, and the address book shows one card per person: the same email written another
// way and the same phone written another way are one card with both sources' badges, while
// the José Müller at work, who shares only his name with the one at Demo Provider, stays a
// card of his own. She opens a merged card (every value once, its badges, why it was
// grouped), splits a card she knows is two people, imports again and finds the split kept,
// and downloads the vCard (read back by ical.js), whose merged card carries both sources'
// values. The steps follow each other: each one starts where the one before left alice.
import { mkdir, readFile } from 'node:fs/promises'
import ICAL from 'ical.js'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_CONTACT_COUNTS } from '../../demo/seed.ts'
import { startStack, type TestStack } from '../integration/support/stack.ts'
import { launchChromium, SCREENSHOTS } from './support/chromium.ts'

/** alice's work contacts at Demo Microsoft (demo/graph/seed.ts). */
const WORK_CONTACTS = 9
/** Of those, the ones that are somebody of her Demo Provider book: Zoë, Łukasz and 王秀英. */
const WORK_MERGED = 3

let stack: TestStack
let browser: Browser
let context: BrowserContext
let page: Page

beforeAll(async () => {
  browser = await launchChromium()
  stack = await startStack({ microsoft: {}, workers: [0] })
  await mkdir(SCREENSHOTS, { recursive: true })
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  // Two cores shared with other work: generous, still bounded.
  context.setDefaultTimeout(20_000)
  page = await context.newPage()
}, 90_000)

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await stack?.close()
})

const mainText = async () => (await page.locator('main').textContent()) ?? ''
const shot = (name: string, options: { fullPage?: boolean } = {}) =>
  page.screenshot({ path: new URL(name, SCREENSHOTS).pathname, ...options })
const source = (label: string) => page.getByRole('region', { name: new RegExp(`^${label}`) })

/** "N cards from M contacts", as the book says it. */
async function shownCounts(): Promise<{ cards: number; contacts: number }> {
  const text = (await page.locator('p.count').textContent()) ?? ''
  const match = /([\d,]+) cards? from ([\d,]+) contacts?/.exec(text)
  if (!match) throw new Error(`no counts in “${text}”`)
  const number = (s: string | undefined) => Number(s?.replace(/,/g, ''))
  return { cards: number(match[1]), contacts: number(match[2]) }
}

async function search(query: string) {
  // From a card's page, back to the list as a person goes (the card has no search box).
  if (new URL(page.url()).pathname !== '/contacts') {
    await page.getByRole('link', { name: '← All contacts' }).click()
    await page.waitForURL(`${stack.appUrl}/contacts`)
  }
  await page.getByLabel('Search names, emails, phones and organisations').fill(query)
  await page.getByRole('button', { name: 'Search' }).click()
  await page.waitForURL(
    (url) => url.pathname === '/contacts' && url.searchParams.get('q') === query,
  )
}

/** The rows of the list: each card's name and the source badges it shows. */
async function rows(): Promise<Array<{ name: string; badges: string[] }>> {
  const found: Array<{ name: string; badges: string[] }> = []
  for (const row of await page.locator('table.contacts tbody tr').all()) {
    found.push({
      name: ((await row.locator('td').first().textContent()) ?? '').trim(),
      // In badge order (by provider label), the same on every row.
      badges: (await row.locator('.badge').allTextContents()).map((b) => b.trim()),
    })
  }
  return found
}

async function signIn(issuer: string, username: string, password: string) {
  await page.waitForURL((url) => url.href.startsWith(`${issuer}/`))
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Allow' }).click()
}

/** The import summary's five counts, as shown. */
async function summaryCounts(): Promise<Record<string, string>> {
  const counts: Record<string, string> = {}
  for (const key of ['created', 'updated', 'deleted', 'unchanged', 'skipped']) {
    counts[key] = ((await page.locator(`[data-count="${key}"]`).textContent()) ?? '').trim()
  }
  return counts
}

/** Opens the card that `query` finds, named `name`. */
async function openCard(name: string, query = name) {
  await search(query)
  await page.getByRole('link', { name, exact: true }).first().click()
  await page.getByRole('heading', { level: 1, name }).waitFor()
}

/** The items of a section of the card page ("Emails", "Phones"…): text and badges. */
async function section(heading: string): Promise<Array<{ text: string; badges: string[] }>> {
  const items = page.locator(`section.field:has(h2:text-is("${heading}")) li`)
  const found: Array<{ text: string; badges: string[] }> = []
  for (const item of await items.all()) {
    found.push({
      // The value itself: the item's first text, a link's or a plain one (flags and
      // badges follow it).
      text: await item.evaluate((li) => {
        for (const node of li.childNodes) {
          const text = node.textContent?.trim()
          if (text && (node.nodeType === 3 || node.nodeName === 'A')) return text
        }
        return ''
      }),
      badges: (await item.locator('.badge').allTextContents()).map((b) => b.trim()),
    })
  }
  return found
}

let before: { cards: number; contacts: number }

describe('alice merges her home and work contacts in a real browser', () => {
  it('when alice signs in at Demo Provider, then her first import runs by itself and her book holds her 250 contacts', async () => {
    await page.goto(`${stack.appUrl}/contacts`)
    await page.getByRole('link', { name: 'Sign in with Demo Provider' }).click()
    await signIn(stack.demo.issuer, 'alice', 'alice-demo')
    await page.waitForURL(`${stack.appUrl}/contacts`)
    // The worker is running: the import may still be under way when the book first shows.
    await expect
      .poll(
        async () => {
          await page.reload()
          return (await page.locator('p.count').textContent()) ?? ''
        },
        { timeout: 30_000, interval: 500 },
      )
      .toContain(`from ${DEMO_CONTACT_COUNTS.alice} contacts`)
    before = await shownCounts()
    expect(before.contacts).toBe(DEMO_CONTACT_COUNTS.alice)
    expect(await source('Demo Provider').textContent()).toContain(
      `${DEMO_CONTACT_COUNTS.alice} contacts from here`,
    )
  })

  it('when alice clicks "Connect Demo Microsoft" and signs in there with her work account, then her work import runs to its summary of 9 new contacts', async () => {
    await page.getByRole('button', { name: 'Connect Demo Microsoft' }).click()
    if (!stack.microsoft) throw new Error('the stack has no Demo Microsoft')
    await signIn(stack.microsoft.issuer, 'alice', 'alice-work')
    await page.waitForURL(/\/imports\/[0-9a-f-]{36}$/)
    await page
      .getByRole('heading', { level: 1, name: 'Import complete' })
      .waitFor({ timeout: 30_000 })
    expect(await mainText()).toContain('Demo Microsoft')
    expect(await summaryCounts()).toEqual({
      created: String(WORK_CONTACTS),
      updated: '0',
      deleted: '0',
      unchanged: '0',
      skipped: '0',
    })
    await shot('merge-work-import-summary.png')
  })

  it('when alice looks at her book, then there is one card per person: the same email or phone written another way is one card with both sources, and the José Müller who shares only a name is another card', async () => {
    await page.getByRole('link', { name: 'See your contacts' }).click()
    await page.waitForURL(`${stack.appUrl}/contacts`)
    const after = await shownCounts()
    expect(after.contacts).toBe(before.contacts + WORK_CONTACTS)
    expect(after.cards).toBe(before.cards + WORK_CONTACTS - WORK_MERGED)
    // Both sources listed, each with its own account and count.
    expect(await source('Demo Provider').textContent()).toContain(
      `${DEMO_CONTACT_COUNTS.alice} contacts from here`,
    )
    expect(await source('Demo Microsoft').textContent()).toContain(
      `${WORK_CONTACTS} contacts from here`,
    )
    await shot('merge-book.png', { fullPage: true })

    // The same email in another case and with spaces around it.
    await search('Zoë Ångström')
    expect(await rows()).toEqual([
      { name: 'Zoë Ångström', badges: ['Demo Microsoft', 'Demo Provider'] },
    ])
    // The same phone written another way: "+48 22 555 01 23" at Demo Provider, searched as
    // Demo Microsoft writes it. (Other Łukasz Żółćs of her book are other people.)
    await search('+48 (22) 555-01-23')
    expect(await rows()).toEqual([
      { name: 'Łukasz Żółć', badges: ['Demo Microsoft', 'Demo Provider'] },
    ])
    // Same name, nothing else in common: two people, two cards. (Demo Provider's José is
    // entered twice there with one email: that is one card of two contacts.)
    await search('José Müller')
    const joses = await rows()
    expect(joses.map((r) => r.name)).toEqual(['José Müller', 'José Müller'])
    expect(joses.map((r) => r.badges).sort()).toEqual([['Demo Microsoft'], ['Demo Provider']])
    await shot('merge-jose-two-cards.png')
  })

  it('when alice opens the merged card, then every value is there once with the badges of the sources it came from, and the card says why it was grouped', async () => {
    await openCard('Zoë Ångström')
    const emails = await section('Emails')
    expect(emails).toHaveLength(1)
    expect(emails[0]?.badges).toEqual(['Demo Microsoft', 'Demo Provider'])
    expect(emails[0]?.text.toLowerCase()).toBe('zoe.angstrom@example.com')
    // The values only one source has are there too, with that source's badge.
    const phones = await section('Phones')
    expect(phones).toEqual([{ text: '+46 8 555 010 23', badges: ['Demo Provider'] }])
    const text = await mainText()
    expect(text).toContain('Grouped as one person because of: same email zoe.angstrom@example.com.')
    expect(text).toContain('Imported from Demo Provider (alice@demo.example)')
    expect(text).toContain('Imported from Demo Microsoft (alice.archer@work.example)')
    expect(await page.locator('section.source h2').textContent()).toBe('Sources')
    await shot('merge-card-zoe.png', { fullPage: true })

    // Her photo at work is a link, fetched from Demo Microsoft only when opened; it shows
    // as an image although its answer's own CSP lets nothing else load or run.
    const photos = await section('Photos')
    expect(photos).toContainEqual({ text: 'Photo at Demo Microsoft', badges: ['Demo Microsoft'] })
    expect(await page.locator('main img').count()).toBe(0)
    const card = page.url()
    const [photo] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/photo')),
      page.getByRole('link', { name: 'Photo at Demo Microsoft' }).click(),
    ])
    expect(photo.status()).toBe(200)
    expect(photo.headers()['content-type']).toBe('image/jpeg')
    const shown = page.locator('img')
    await shown.waitFor()
    expect(
      await shown.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBe(96)
    await shot('merge-card-zoe-photo.png')
    await page.goto(card)

    // Merged by phone: the one number is one line, both sources' badges on it.
    await openCard('Łukasz Żółć', '+48 (22) 555-01-23')
    const lukasz = await section('Phones')
    expect(lukasz).toHaveLength(1)
    expect(lukasz[0]?.badges).toEqual(['Demo Microsoft', 'Demo Provider'])
    expect(await mainText()).toContain('Grouped as one person because of: same phone +48225550123.')
  })
})

describe('alice splits a card she knows is two people, and it stays split', () => {
  it('when alice takes the work 王秀英 out of the card ("not the same person"), then the two are two cards, each with its own source', async () => {
    // The number they share is the office switchboard at alice's work: not one person.
    await openCard('王秀英', '+86 (10) 5555-0101')
    expect(await mainText()).toContain(
      'Grouped as one person because of: same phone +861055550101.',
    )
    await page
      .locator('ul.members li', { hasText: 'Imported from Demo Microsoft' })
      .getByRole('button', { name: 'Not the same person — take this one out' })
      .click()
    await page.waitForURL(/\/contacts\/[0-9a-f-]{36}\?taken=/)
    // She is on the card that stays: Demo Provider's contact only, nothing grouped, and
    // told where the one she took out went.
    await page.getByRole('heading', { level: 1, name: '王秀英' }).waitFor()
    expect(await page.getByRole('status').textContent()).toBe(
      'Taken out of this card: 王秀英 from Demo Microsoft is a card of its own now.',
    )
    expect(await page.locator('section.source h2').textContent()).toBe('Source')
    expect(await mainText()).not.toContain('Grouped as one person')
    expect(await page.locator('ul.members li').allTextContents()).toEqual([
      expect.stringContaining('Imported from Demo Provider'),
    ])
    await shot('merge-split-wang.png', { fullPage: true })
    await page.getByRole('status').getByRole('link', { name: '王秀英' }).click()
    await page.getByRole('heading', { level: 1, name: '王秀英' }).waitFor()
    expect(await mainText()).toContain('Imported from Demo Microsoft (alice.archer@work.example)')
    expect(await mainText()).toContain('You took this contact out of a card')

    await search('+86 (10) 5555-0101')
    const wangs = await rows()
    expect(wangs.map((r) => r.name)).toEqual(['王秀英', '王秀英'])
    expect(wangs.map((r) => r.badges).sort()).toEqual([['Demo Microsoft'], ['Demo Provider']])
  })

  it('when her work 王秀英 changes at Demo Microsoft and alice clicks "Import now" there, then the import updates it and the two cards stay apart', async () => {
    const microsoft = stack.microsoft
    if (!microsoft) throw new Error('the stack has no Demo Microsoft')
    const boxes = microsoft.graphServer.mailboxes
    const [id, stored] =
      [...boxes.mailbox('alice').contacts].find(([, c]) => c.fields.displayName === '王秀英') ?? []
    if (!id || !stored) throw new Error('the Graph seed no longer has 王秀英')
    boxes.update('alice', id, { ...stored.fields, jobTitle: 'Office manager' })

    await page.goto(`${stack.appUrl}/contacts`)
    await source('Demo Microsoft').getByRole('button', { name: 'Import now' }).click()
    await page.waitForURL(/\/imports\/[0-9a-f-]{36}$/)
    await page
      .getByRole('heading', { level: 1, name: 'Import complete' })
      .waitFor({ timeout: 30_000 })
    expect(await mainText()).toContain('From Demo Microsoft, changes since the last import.')
    expect(await summaryCounts()).toMatchObject({ created: '0', updated: '1', deleted: '0' })

    await page.getByRole('link', { name: 'See your contacts' }).click()
    await page.waitForURL(`${stack.appUrl}/contacts`)
    await search('+86 (10) 5555-0101')
    const wangs = await rows()
    expect(wangs.map((r) => r.badges).sort()).toEqual([['Demo Microsoft'], ['Demo Provider']])
    await page
      .locator('table.contacts tbody tr', { hasText: 'Demo Microsoft' })
      .getByRole('link', { name: '王秀英' })
      .click()
    await page.getByRole('heading', { level: 1, name: '王秀英' }).waitFor()
    expect(await mainText()).toContain('Office manager')
    expect(await mainText()).toContain('You took this contact out of a card')
    expect(await mainText()).not.toContain('Grouped as one person')
  })
})

describe('alice downloads her merged book', () => {
  it('when alice downloads the vCard, then ical.js reads one entry per card, and the merged card carries the values of both sources', async () => {
    await page.goto(`${stack.appUrl}/contacts`)
    const { cards: shownCards } = await shownCounts()
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'vCard (.vcf)' }).click(),
    ])
    expect(download.suggestedFilename()).toBe('contacts.vcf')
    const parsed = ICAL.parse(await readFile(await download.path(), 'utf8')) as unknown[]
    const cards = (parsed[0] === 'vcard' ? [parsed] : parsed).map(
      (jcal) => new ICAL.Component(jcal as unknown[]),
    )
    expect(cards).toHaveLength(shownCards)
    const named = (fn: string) => cards.filter((c) => c.getFirstPropertyValue('fn') === fn)

    const [zoe, ...others] = named('Zoë Ångström')
    expect(others).toHaveLength(0)
    if (!zoe) throw new Error('no card for Zoë Ångström')
    const values = (name: string) => zoe.getAllProperties(name).map((p) => p.getFirstValue())
    // The one email once; Demo Provider's phone; Demo Microsoft's job title and category.
    expect(values('email').map((e) => String(e).toLowerCase())).toEqual([
      'zoe.angstrom@example.com',
    ])
    expect(values('tel')).toEqual(['tel:+46855501023'])
    expect(values('title')).toEqual(expect.arrayContaining(['Optiker', 'Optician']))
    const categories = zoe.getAllProperties('categories').flatMap((p) => p.getValues())
    expect(categories).toEqual(expect.arrayContaining(['Suppliers']))

    // The split card is two entries; the two José Müllers are two entries.
    const sharing = (tel: string) =>
      cards.filter((c) => c.getAllProperties('tel').some((p) => p.getFirstValue() === tel))
    expect(sharing('tel:+861055550101').map((c) => c.getFirstPropertyValue('fn'))).toEqual([
      '王秀英',
      '王秀英',
    ])
    expect(named('José Müller')).toHaveLength(2)
  })
})
