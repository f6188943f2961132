// A connections.list answer (contacts-apis.md §3.1, §3.3) onto a ContactsPage. Incremental
// answers mix three kinds of records: changed people, tombstones (metadata.deleted) and
// people renamed since the token (metadata.previousResourceNames). Records that cannot be
// stored are listed as skipped, with the reason in words a person understands.
import { hasUsableField } from '../../contact.ts'
import type { ContactsPage, SkippedRecord } from '../../contact-source.ts'
import { count, type Item, isObject, str } from './json.ts'
import { type PersonMappingOptions, toContact } from './to-contact.ts'

export const SKIP_REASONS = {
  notAContact: 'The provider sent an entry that is not a contact.',
  noId: 'The provider sent this contact without an id, so it cannot be kept.',
  nothingToKeep: 'This contact has no name, email, phone number or any other detail to keep.',
} as const

export function toContactsPage(body: Item, options: PersonMappingOptions): ContactsPage {
  const page: ContactsPage = {
    contacts: [],
    deleted: [],
    relinked: [],
    skipped: [],
    next: undefined,
  }
  const skip = (externalId: string | undefined, reason: string) => {
    const record: SkippedRecord = { externalId, reason }
    page.skipped.push(record)
  }

  // proto3 JSON leaves empty lists out: no `connections` means none.
  const entries: unknown[] = Array.isArray(body.connections) ? body.connections : []
  for (const entry of entries) {
    if (!isObject(entry)) {
      skip(undefined, SKIP_REASONS.notAContact)
      continue
    }
    const externalId = str(entry.resourceName)
    const metadata = isObject(entry.metadata) ? entry.metadata : undefined
    // Only in sync answers, and only when metadata was asked for (§3.2).
    if (metadata?.deleted === true) {
      if (externalId) page.deleted.push(externalId)
      else skip(undefined, SKIP_REASONS.noId)
      continue
    }
    const contact = externalId ? toContact(entry, options) : undefined
    if (!contact) {
      skip(undefined, SKIP_REASONS.noId)
      continue
    }
    if (!hasUsableField(contact)) {
      skip(contact.externalId, SKIP_REASONS.nothingToKeep)
      continue
    }
    page.contacts.push(contact)
    for (const from of Array.isArray(metadata?.previousResourceNames)
      ? metadata.previousResourceNames
      : []) {
      if (typeof from === 'string' && from !== '' && from !== contact.externalId) {
        page.relinked.push({ from, to: contact.externalId })
      }
    }
  }

  const token = str(body.nextPageToken)
  if (token) page.next = { token }
  // Only the last page carries it (§3.1); one on an earlier page is not to be trusted.
  const syncToken = token ? undefined : str(body.nextSyncToken)
  if (syncToken) page.syncToken = syncToken
  // totalPeople is the deprecated alias of totalItems.
  const total = count(body.totalItems) ?? count(body.totalPeople)
  if (total !== undefined) page.total = total
  return page
}
