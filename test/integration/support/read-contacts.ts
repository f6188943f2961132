// Reads a person's contacts from the provider the way an import does — services.contactPages:
// an access token from the vault (refreshed when due, single flight across instances, one
// retry on a refused token), page after page — on one app instance, without a browser.
// No page of the app reads the provider any more, so the token lifecycle is tested here.
import { AppError } from '../../../src/errors.ts'
import type { Connection } from '../../../src/people/people-store.ts'
import type { Browser } from './browser.ts'
import { storedConnection } from './session.ts'
import type { TestStack } from './stack.ts'

export type ReadOutcome =
  | { ok: true; contacts: number }
  | { ok: false; code: string; status: number; message: string; error: unknown }

export async function readConnection(
  stack: TestStack,
  connection: Connection,
  instance = 0,
): Promise<ReadOutcome> {
  const app = stack.apps[instance]
  if (!app) throw new Error(`no app instance ${instance}`)
  let contacts = 0
  try {
    for await (const page of app.services.contactPages(connection)) contacts += page.contacts.length
    return { ok: true, contacts }
  } catch (error) {
    if (!(error instanceof AppError)) throw error
    return { ok: false, code: error.code, status: error.status, message: error.message, error }
  }
}

/** Reads the contacts of the connection this browser signed in with last. */
export async function readContacts(
  stack: TestStack,
  browser: Browser,
  instance = 0,
): Promise<ReadOutcome> {
  return readConnection(stack, await storedConnection(stack, browser), instance)
}
