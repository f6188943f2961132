// A newcomer's import in a real Chromium, as the demo offers it: carol signs in and her
// first import starts by itself; she watches the bar move on the progress page as the
// pages of her 2,987 contacts are written (live, over Server-Sent Events, without a
// reload), sees the summary, searches her book, opens a contact, downloads the vCard (read
// back by ical.js), makes a few changes at the demo provider's /__demo page, imports again
// and is told only about those changes. The steps follow each other: each one starts where
// the one before left carol.
import { mkdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import ICAL from 'ical.js'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Person } from '../../demo/person.ts'
import { DEMO_CONTACT_COUNTS } from '../../demo/seed.ts'
import { startStack, type TestStack } from '../integration/support/stack.ts'
import { launchChromium, SCREENSHOTS } from './support/chromium.ts'

/**
 * The demo provider's time per page of 1,000 contacts: long enough that each of carol's
 * three pages is its own step of the bar, short enough to keep the file quick (the demo
 * itself takes about 1 s, as Google does).
 */
const PAGE_LATENCY_MS = 400
const BOOK_SIZE = DEMO_CONTACT_COUNTS.carol

/** What the progress page said, each time it changed (support/progress-recorder.js). */
interface ProgressSample {
  /** Which document said it: one value per page load. */
  document: number
  state: string | undefined
  value: number | null
  max: number
  status: string
  heading: string
  title: string
  at: number
}

let stack: TestStack
let browser: Browser
let context: BrowserContext
let page: Page
const samples: ProgressSample[] = []

beforeAll(async () => {
  browser = await launchChromium()
  // No worker yet: it is started once carol watches her progress page (see below).
  stack = await startStack({ contacts: { pageLatencyMs: PAGE_LATENCY_MS } })
  await mkdir(SCREENSHOTS, { recursive: true })
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  context.setDefaultTimeout(10_000)
  // The bar is watched from inside the page, at every change (support/progress-recorder.js).
  // The recorder is the test's, added through the browser's debugging protocol: the page's
  // CSP stays as the app sends it.
  await context.exposeBinding('__recordProgress', (_source, sample: ProgressSample) => {
    samples.push(sample)
  })
  await context.addInitScript({
    path: fileURLToPath(new URL('./support/progress-recorder.js', import.meta.url)),
  })
  page = await context.newPage()
}, 60_000)

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await stack?.close()
})

const carolsPeople = (): readonly Person[] => stack.demo.contactsServer.directory.people('carol')
/** The first of carol's demo contacts has every field there is. */
const zoe = (): Person => {
  const person = carolsPeople().find((p) => p.names?.[0]?.displayName === 'Zoë Ångström')
  if (!person) throw new Error('the demo seed no longer has Zoë Ångström')
  return person
}
const mainText = async () => (await page.locator('main').textContent()) ?? ''
const shot = (name: string) => page.screenshot({ path: new URL(name, SCREENSHOTS).pathname })

/** The run's JSON, as the progress page answers it to scripts (same session). */
async function runJson(runUrl: string) {
  const response = await page.request.get(runUrl, { headers: { accept: 'application/json' } })
  expect(response.status()).toBe(200)
  return (await response.json()) as {
    state: string
    kind: string
    counts: Record<string, number>
    pagesDone: number
    total: number | null
  }
}

/** The five counts of the summary, as shown. */
async function shownCounts(): Promise<Record<string, string>> {
  const counts: Record<string, string> = {}
  for (const key of ['created', 'updated', 'deleted', 'unchanged', 'skipped']) {
    counts[key] = ((await page.locator(`[data-count="${key}"]`).textContent()) ?? '').trim()
  }
  return counts
}

async function search(query: string) {
  const box = page.getByLabel('Search names, emails, phones and organisations')
  await box.fill(query)
  await page.getByRole('button', { name: 'Search' }).click()
  await page.waitForURL(
    (url) => url.pathname === '/contacts' && url.searchParams.get('q') === query,
  )
}

/** Waits, without a fixed sleep, until `check` holds (or fails after `timeoutMs`). */
async function until(check: () => boolean, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

let firstRunUrl: string

describe('carol imports her contacts in a real browser', () => {
  it('when carol signs in for the first time, then her import starts by itself and its bar moves, page by page and without a reload, to a summary of 2,987 new contacts', async () => {
    await page.goto(`${stack.appUrl}/resource`)
    await page.waitForURL((url) => url.href.startsWith(`${stack.demo.issuer}/`))
    await page.getByLabel('Username').fill('carol')
    await page.getByLabel('Password').fill('carol-demo')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.waitForURL(`${stack.appUrl}/resource`)

    // Nothing clicked yet: the sign-in queued her import, and the book says so.
    expect(await mainText()).toContain('No contacts yet — importing from Demo Provider.')
    const events = page.waitForResponse((r) => /\/imports\/[0-9a-f-]{36}\/events$/.test(r.url()))
    await page.getByRole('link', { name: 'Follow its progress' }).first().click()
    await page.waitForURL(/\/imports\/[0-9a-f-]{36}$/)
    firstRunUrl = page.url()
    const stream = await events
    expect(stream.status()).toBe(200)
    expect(stream.headers()['content-type']).toBe('text/event-stream; charset=utf-8')

    // Before the worker takes the run: an indeterminate bar, named, with its status line.
    const bar = page.getByRole('progressbar', { name: 'Import progress' })
    expect(await bar.getAttribute('value')).toBeNull()
    expect(await bar.getAttribute('aria-describedby')).toBe('import-status')
    const status = page.locator('#import-status')
    expect(await status.getAttribute('role')).toBe('status')
    expect(await status.getAttribute('aria-live')).toBe('polite')
    expect(await status.textContent()).toBe('Waiting to start the import from Demo Provider…')
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
      'Import waiting to start',
    )

    // The page is open and its event stream subscribed: now a worker comes up and takes the
    // queued run (in `npm start` one runs already; starting it here makes every page of the
    // run happen while carol watches, however fast or slow this machine is).
    await stack.apps[0]?.imports.startWorker()

    const moving = (s: ProgressSample) =>
      s.state === 'active' && s.value !== null && s.value > 0 && s.value < s.max
    await until(() => samples.some(moving), 'the bar to move')
    await shot('import-progress.png')

    // The script reloads the page once the run has ended; the summary is then on it.
    await page
      .getByRole('heading', { level: 1, name: 'Import complete' })
      .waitFor({ timeout: 30_000 })

    const watched = samples.filter((s) => s.document === samples[0]?.document)
    const steps = [...new Set(watched.filter(moving).map((s) => s.value))]
    // At least two distinct steps below the end, shown by the one document carol opened:
    // the bar moved live, not by reloading.
    expect(steps.length, JSON.stringify(watched)).toBeGreaterThanOrEqual(2)
    expect(steps).toEqual([...steps].sort((a, b) => (a ?? 0) - (b ?? 0)))
    expect(watched.filter(moving).every((s) => s.max === BOOK_SIZE)).toBe(true)
    expect(watched.map((s) => s.status)).toContain(
      `${steps[0]?.toLocaleString('en-US')} of 2,987 contacts imported…`,
    )
    // The rest of the page follows the run too, not only the bar.
    for (const sample of watched.filter(moving)) {
      expect(sample.heading).toBe('Importing your contacts')
      expect(sample.title).toBe('Importing your contacts · Contacts Importer')
    }
    // The page carol opened ended by the script's reload into the summary, not before.
    const last = watched.at(-1)
    expect(last?.state).toBe('completed')
    expect(samples.at(-1)?.document).not.toBe(samples[0]?.document)

    expect(await shownCounts()).toEqual({
      created: '2,987',
      updated: '0',
      deleted: '0',
      unchanged: '0',
      skipped: '0',
    })
    expect(await page.locator('#import-status').textContent()).toBe(
      'Import complete: 2,987 new, 0 updated, 0 deleted, 0 unchanged, 0 skipped.',
    )
    expect(await bar.getAttribute('value')).toBe('1')
    expect(await bar.getAttribute('max')).toBe('1')
    const run = await runJson(firstRunUrl)
    expect(run).toMatchObject({ state: 'completed', kind: 'full', pagesDone: 3, total: BOOK_SIZE })
    expect(run.counts).toEqual({
      created: BOOK_SIZE,
      updated: 0,
      deleted: 0,
      unchanged: 0,
      skipped: 0,
    })
    await shot('import-summary-full.png')
  })

  it('when carol searches her book by a name, an email and a phone number written another way, then she finds each, and the contact shows every field and its source', async () => {
    await page.getByRole('link', { name: 'See your contacts' }).click()
    await page.waitForURL(`${stack.appUrl}/contacts`)
    expect(await mainText()).toContain(`${BOOK_SIZE} contacts`)
    expect(await page.locator('table.contacts tbody tr').count()).toBe(50)

    // Typed without the accents.
    await search('zoe angstrom')
    expect(await mainText()).toContain('1 match for “zoe angstrom”')
    expect(await page.getByRole('link', { name: 'Zoë Ångström' }).count()).toBe(1)

    // José shares an address or a number with another of carol's contacts: one card, shown
    // under its lead's name, whose page holds José.
    await search('jose@mueller.example')
    expect(await mainText()).toContain('1 match for “jose@mueller.example”')
    await page.locator('table.contacts tbody tr a').first().click()
    await page.waitForURL(/\/contacts\/[0-9a-f-]{36}$/)
    expect(await mainText()).toContain('José Müller')
    expect(await mainText()).toContain('jose@mueller.example')
    await page.goBack()

    // Stored as "+46 8 555 010 23"; a Swede writes it with the trunk prefix.
    expect(zoe().phoneNumbers?.[0]?.value).toBe('+46 8 555 010 23')
    await search('08-555 010 23')
    expect(await mainText()).toContain('1 match for “08-555 010 23”')

    await page.getByRole('link', { name: 'Zoë Ångström' }).click()
    await page.getByRole('heading', { level: 1, name: 'Zoë Ångström' }).waitFor()
    const sections = await page.locator('main section.field h2').allTextContents()
    expect(sections).toEqual(
      expect.arrayContaining(['Name', 'Emails', 'Phones', 'Organisations', 'Labels', 'Source']),
    )
    const text = await mainText()
    expect(text).toContain('zoe.angstrom@example.com')
    expect(text).toContain('+46 8 555 010 23')
    expect(text).toContain('Ångström Optik AB')
    expect(text).toContain('Imported from Demo Provider')
    expect(
      await page.getByRole('link', { name: 'zoe.angstrom@example.com' }).getAttribute('href'),
    ).toBe('mailto:zoe.angstrom@example.com')
    await shot('contact-zoe.png')
  })

  it('when carol downloads the vCard, then ical.js reads one card per contact of her book but for the person she entered twice (same email), and a contact’s name, emails and phones are the provider’s', async () => {
    await page.getByRole('link', { name: '← All contacts' }).click()
    await page.waitForURL(`${stack.appUrl}/contacts`)
    // Every generated person has addresses and numbers of their own; José Müller is in the
    // seed twice with the same email, and those two are one card.
    const shownCards = Number(/([\d,]+) cards? from/.exec(await mainText())?.[1]?.replace(/,/g, ''))
    expect(shownCards).toBe(BOOK_SIZE - 1)
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'vCard (.vcf)' }).click(),
    ])
    expect(download.suggestedFilename()).toBe('contacts.vcf')
    const text = await readFile(await download.path(), 'utf8')

    const parsed = ICAL.parse(text) as unknown[]
    const cards = (parsed[0] === 'vcard' ? [parsed] : parsed).map(
      (jcal) => new ICAL.Component(jcal as unknown[]),
    )
    expect(cards).toHaveLength(shownCards)
    const known = zoe()
    const card = cards.find((c) => c.getFirstPropertyValue('fn') === 'Zoë Ångström')
    if (!card) throw new Error('no card for Zoë Ångström')
    const values = (name: string) => card.getAllProperties(name).map((p) => p.getFirstValue())
    expect(values('email')).toEqual(known.emailAddresses?.map((e) => e.value))
    expect(values('tel')).toEqual(known.phoneNumbers?.map((p) => `tel:${p.canonicalForm}`))
    expect(card.getFirstPropertyValue('n')).toEqual(['Ångström', 'Zoë', '', '', ''])
  })

  it('when carol makes a few changes at the demo provider and clicks "Import now", then the incremental import reports exactly those changes, and her book follows', async () => {
    await page.goto(`${stack.demo.contactsUrl}/__demo`)
    await page
      .getByRole('row', { name: /carol/ })
      .getByRole('button', { name: 'Make a few changes' })
      .click()
    await page.getByRole('heading', { level: 1, name: "Changed carol's contacts" }).waitFor()
    const listed = async (heading: string) =>
      page
        .locator(`h2:text-is("${heading}") + ul li`)
        .allTextContents()
        .then((items) => items.map((item) => item.replace(/\s*\(people\/[^)]+\)\s*$/, '').trim()))
    const added = await listed('Added (2)')
    expect(added).toHaveLength(2)
    expect(await listed('Edited (3)')).toHaveLength(3)
    expect(await listed('Deleted (1)')).toHaveLength(1)

    await page.goto(`${stack.appUrl}/contacts`)
    await page
      .getByRole('region', { name: /Demo Provider/ })
      .getByRole('button', { name: 'Import now' })
      .click()
    await page.waitForURL((url) => url.pathname.startsWith('/imports/') && url.href !== firstRunUrl)
    const runUrl = page.url()
    // Over in a moment (5 records): the page is the summary already, or reloads into it.
    await page
      .getByRole('heading', { level: 1, name: 'Import complete' })
      .waitFor({ timeout: 20_000 })
    expect(await mainText()).toContain('From Demo Provider, changes since the last import.')
    expect(await shownCounts()).toEqual({
      created: '2',
      updated: '3',
      deleted: '1',
      unchanged: '0',
      skipped: '0',
    })
    const run = await runJson(runUrl)
    expect(run).toMatchObject({ state: 'completed', kind: 'incremental' })
    expect(run.counts).toEqual({ created: 2, updated: 3, deleted: 1, unchanged: 0, skipped: 0 })
    await shot('import-summary-incremental.png')

    await page.getByRole('link', { name: 'See your contacts' }).click()
    await page.waitForURL(`${stack.appUrl}/contacts`)
    expect(await mainText()).toContain(`${BOOK_SIZE + 1} contacts`)
    expect(
      await page
        .getByRole('region', { name: /Demo Provider/ })
        .locator('p.import')
        .textContent(),
    ).toMatch(/: 2 created, 3 updated, 1 deleted\./)
    for (const name of added) {
      await search(name)
      expect(await page.getByRole('link', { name }).count()).toBe(1)
    }
  })
})
