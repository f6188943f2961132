// Reads a person's contacts from the provider the way an import does (imports/run-import.ts):
// readPages over the provider's ContactSource, with the connection's access token from the
// vault (refreshed when due, single flight across instances, one retry on a refused token),
// page after page, on one app instance, without a browser and without the import's retries.
// No page of the app reads the provider, so the token lifecycle is tested through this.
import type { ContactsPage } from '../../../src/contacts/contact-source.ts'
import { readPages } from '../../../src/contacts/read-pages.ts'
import { AppError } from '../../../src/errors.ts'
import type { ProviderClient } from '../../../src/oidc/provider-client.ts'
import type { Connection } from '../../../src/people/people-store.ts'
import type { Services } from '../../../src/services.ts'
import type { Browser } from './browser.ts'
import { storedConnection } from './session.ts'
import type { TestStack } from './stack.ts'

export type ReadOutcome =
  | { ok: true; contacts: number }
  | { ok: false; code: string; status: number; message: string; error: unknown }

/** The connection's pages, as the import engine reads them (without its backoff). */
export function connectionPages(
  app: { services: Services; providers: ReadonlyMap<string, ProviderClient> },
  connection: Connection,
): AsyncGenerator<ContactsPage, void> {
  const source = app.services.contactSources.get(connection.provider)
  const provider = app.providers.get(connection.provider)
  if (!source || !provider) throw new Error(`no provider ${connection.provider}`)
  return readPages({
    source,
    contactsUrl: provider.settings.contactsUrl,
    accessToken: (options) => app.services.connections.accessToken(connection, options),
  })
}

export async function readConnection(
  stack: TestStack,
  connection: Connection,
  instance = 0,
): Promise<ReadOutcome> {
  const app = stack.apps[instance]
  if (!app) throw new Error(`no app instance ${instance}`)
  let contacts = 0
  try {
    for await (const page of connectionPages(app, connection)) contacts += page.contacts.length
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
