// A delta answer (contacts-apis.md §4.3) onto the records of a ContactsPage. Items come in
// three kinds: contacts in full, contacts with only their changed properties (fetched again
// whole), and `@removed` entries. Graph may repeat an item within an answer (replays): the
// last one stands. A removal is not always a deletion: a contact that moved to another of
// the mailbox's folders is "removed" from the folder it left and shows up in the other's
// round with the same immutable id — so each removal is looked up, and one that still lives
// in a contact folder is dropped (the other folder's round brings it).
import { type Contact, hasUsableField } from '../../contact.ts'
import type { SkippedRecord } from '../../contact-source.ts'
import { type Item, isObject, str } from './json.ts'
import { type GraphMappingOptions, isComplete, toContact } from './to-contact.ts'

export const SKIP_REASONS = {
  notAContact: 'The provider sent an entry that is not a contact.',
  noId: 'The provider sent this contact without an id, so it cannot be kept.',
  nothingToKeep: 'This contact has no name, email, phone number or any other detail to keep.',
} as const

export interface DeltaRecords {
  contacts: Contact[]
  deleted: string[]
  skipped: SkippedRecord[]
}

export interface DeltaLookups {
  /** The contact as it is now (all selected fields), or undefined when it no longer exists. */
  fetchContact(id: string): Promise<Item | undefined>
  /** Whether a folder id is one of the mailbox's contact folders. */
  isContactFolder(id: string): boolean
  /** Runs the lookups, a few at a time (the mailbox's limit). */
  map<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]>
}

export async function toDeltaRecords(
  value: unknown,
  lookups: DeltaLookups,
  options: GraphMappingOptions,
): Promise<DeltaRecords> {
  const records: DeltaRecords = { contacts: [], deleted: [], skipped: [] }
  const entries: unknown[] = Array.isArray(value) ? value : []
  // Replays: the last entry for an id is its state at the end of the answer.
  const latest = new Map<string, Item>()
  for (const entry of entries) {
    if (!isObject(entry)) {
      records.skipped.push({ externalId: undefined, reason: SKIP_REASONS.notAContact })
      continue
    }
    const id = str(entry.id)
    if (!id) {
      records.skipped.push({ externalId: undefined, reason: SKIP_REASONS.noId })
      continue
    }
    latest.delete(id)
    latest.set(id, entry)
  }

  type Looked = { item: Item } | { removed: string } | undefined
  const looked = await lookups.map([...latest.values()], async (entry): Promise<Looked> => {
    const id = entry.id as string
    if (isObject(entry['@removed'])) {
      const now = await lookups.fetchContact(id)
      const moved = now && lookups.isContactFolder(str(now.parentFolderId) ?? '')
      return moved ? undefined : { removed: id }
    }
    if (isComplete(entry)) return { item: entry }
    // Only the changed properties: the whole contact, as it is now (§4.3, adapter rule).
    const now = await lookups.fetchContact(id)
    return now ? { item: now } : { removed: id }
  })

  for (const found of looked) {
    if (!found) continue
    if ('removed' in found) {
      records.deleted.push(found.removed)
      continue
    }
    const contact = toContact(found.item, options)
    if (!contact) records.skipped.push({ externalId: undefined, reason: SKIP_REASONS.noId })
    else if (!hasUsableField(contact))
      records.skipped.push({ externalId: contact.externalId, reason: SKIP_REASONS.nothingToKeep })
    else records.contacts.push(contact)
  }
  return records
}
