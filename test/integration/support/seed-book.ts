// Fills a signed-in person's address book directly through the store, as an import would:
// the page tests need contacts, not the import engine that brings them.
import type { Contact } from '../../../src/contacts/contact.ts'
import { inTransaction } from './address-book.ts'
import type { Browser } from './browser.ts'
import { storedConnection } from './session.ts'
import type { TestStack } from './stack.ts'

export interface BookOwner {
  personId: string
  connectionId: string
}

/** Upserts `contacts` into the book of the person signed in on `browser`, 1,000 at a time. */
export async function seedBook(
  stack: TestStack,
  browser: Browser,
  contacts: Contact[],
): Promise<BookOwner> {
  const connection = await storedConnection(stack, browser)
  const owner = { personId: connection.personId, connectionId: connection.id }
  const store = stack.apps[0]?.services.contactsStore
  if (!store) throw new Error('no app instance')
  for (let i = 0; i < contacts.length; i += 1000) {
    await inTransaction(stack.database.db, (tx) =>
      store.upsert(tx, { ...owner, seenBy: undefined }, contacts.slice(i, i + 1000)),
    )
  }
  return owner
}
