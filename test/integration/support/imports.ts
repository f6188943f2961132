// Helpers for the import tests: start an import the way a person does (the form on the
// progress page, with its CSRF token), wait for a run to end, and read what it left in
// PostgreSQL, as an operator would.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Name } from '../../../demo/person.ts'
import type { ImportRun } from '../../../src/imports/imports-store.ts'
import { type Browser, formValue } from './browser.ts'
import { storedSession } from './session.ts'
import type { TestStack } from './stack.ts'

/** The CSRF token of the browser's session, as a page form carries it. */
export async function csrfOf(stack: TestStack, browser: Browser): Promise<string> {
  const page = await browser.request(`${stack.appUrl}/`)
  const token = formValue(page.body, '_csrf')
  if (!token) throw new Error('no CSRF token on the start page (not signed in?)')
  return token
}

/** POST /import as the person's form does; the run id of the 303's Location. */
export async function startImport(
  stack: TestStack,
  browser: Browser,
  options: { connection?: string; appUrl?: string } = {},
): Promise<string> {
  const form: Record<string, string> = { _csrf: await csrfOf(stack, browser) }
  if (options.connection) form.connection = options.connection
  const hop = await browser.request(`${options.appUrl ?? stack.appUrl}/import`, { form })
  if (hop.status !== 303 || !hop.location) {
    throw new Error(`POST /import answered ${hop.status}: ${hop.body.slice(0, 300)}`)
  }
  const id = /\/imports\/([0-9a-f-]{36})$/.exec(hop.location)?.[1]
  if (!id) throw new Error(`unexpected Location ${hop.location}`)
  return id
}

/** The person's runs, newest first (from PostgreSQL). */
export async function runsOf(stack: TestStack, personId: string): Promise<ImportRun[]> {
  const { rows } = await stack.database.db.query<{ id: string }>(
    'SELECT id FROM imports WHERE person_id = $1 ORDER BY created_at DESC, id',
    [personId],
  )
  const store = importsStore(stack)
  const runs = await Promise.all(rows.map((r) => store.get(personId, r.id)))
  return runs.filter((r): r is ImportRun => r !== undefined)
}

function importsStore(stack: TestStack) {
  const app = stack.apps[0]
  if (!app) throw new Error('no app instance')
  return app.services.importsStore
}

/** Polls the run until it has finished (completed or failed), or fails the test. */
export async function waitForRun(
  stack: TestStack,
  personId: string,
  runId: string,
  timeoutMs = 20_000,
): Promise<ImportRun> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const run = await importsStore(stack).get(personId, runId)
    if (run && (run.state === 'completed' || run.state === 'failed')) return run
    if (Date.now() > until)
      throw new Error(`run ${runId} still ${run?.state} after ${timeoutMs} ms`)
    await sleep(25)
  }
}

/** Waits until `check` holds, polling. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}

/** The person id of a signed-in browser. */
export async function personOf(stack: TestStack, browser: Browser): Promise<string> {
  const { personId } = await storedSession(stack, browser)
  if (!personId) throw new Error('not signed in')
  return personId
}

export interface BookRow {
  externalId: string
  etag: string | null
  displayName: string
  data: unknown
}

/** A connection's contacts in PostgreSQL, by external id. */
export async function bookOf(stack: TestStack, connectionId: string): Promise<BookRow[]> {
  const { rows } = await stack.database.db.query<BookRow>(
    `SELECT external_id AS "externalId", etag, display_name AS "displayName", data
     FROM contacts WHERE connection_id = $1 ORDER BY external_id`,
    [connectionId],
  )
  return rows
}

/** A People name as the directory stores it: every display form the same. */
export function demoName(name: string): Name {
  return {
    metadata: { primary: true, source: { type: 'CONTACT' as const, id: '0' } },
    displayName: name,
    displayNameLastFirst: name,
    unstructuredName: name,
  }
}
