// The address book in PostgreSQL (migration 0002): the contacts each connection brought in,
// keyed by (connection, external id) so that a re-import never duplicates a record. Writes
// take the caller's transaction (a page's rows commit together with the import's cursor,
// imports/write-page.ts); reads are always scoped to one person.
import type { CountryCode } from 'libphonenumber-js/max'
import type { PoolClient } from 'pg'
import type { Contact } from '../contacts/contact.ts'
import type { Database } from '../db/database.ts'
import { createCardReads } from './card-reads.ts'
import { createCardRules } from './card-rules.ts'
import { createContactReads } from './contact-reads.ts'
import { createContactWrites, type PreparedContacts } from './contact-writes.ts'

export type { PreparedContacts }

/** What a query needs: the pool, or one client inside a transaction. */
export type Queryable = Pick<PoolClient, 'query'>

/** How one page's records changed the book. */
export interface UpsertCounts {
  created: number
  updated: number
  /** Same etag (or, without etags, the same mapped data): not rewritten. */
  unchanged: number
}

/** One row of the list: enough for a line of /contacts. */
export interface ContactSummary {
  id: string
  connectionId: string
  displayName: string
  /** The primary (else first) email, phone and organisation name, when there is one. */
  email: string | undefined
  phone: string | undefined
  organization: string | undefined
}

/** One contact with every field, and where it came from. */
export interface StoredContact {
  id: string
  connectionId: string
  /** Configured provider id of its connection. */
  provider: string
  externalId: string
  etag: string | undefined
  displayName: string
  /** The Contact model as mapped at import, `raw` included. */
  contact: Contact
  createdAt: Date
  updatedAt: Date
}

export interface ContactListPage {
  contacts: ContactSummary[]
  /** Opaque keyset cursor of the next page; undefined on the last. */
  next: string | undefined
  /** How many contacts the whole list holds (with `q`, how many match), on every page. */
  count: number
}

/** One row of the merged list (migration 0005): a card, named by its lead contact's id. */
export interface CardSummary {
  /** The lead contact's id: /contacts/:id of any of the card's contacts shows the card. */
  id: string
  displayName: string
  /** The lead's (else the first member's) primary email, phone and organisation. */
  email: string | undefined
  phone: string | undefined
  organization: string | undefined
  /** The connections its contacts came from, the lead's first. */
  connectionIds: string[]
  /** How many contacts it merges. */
  contacts: number
}

export interface CardListPage {
  cards: CardSummary[]
  /** Opaque keyset cursor of the next page; undefined on the last. */
  next: string | undefined
  /** How many cards the book holds (with `q`, how many match), on every page. */
  count: number
}

/** Why a card's contacts are one: a key they share, or the person's own join. */
export type CardReason =
  | { kind: 'email' | 'phone'; value: string; contactIds: string[] }
  | { kind: 'joined'; contactIds: [string, string] }

export interface StoredCard {
  /** The lead contact's id. */
  id: string
  /** Every contact of the card, the lead first. */
  contacts: StoredContact[]
  /** Empty for a card of one contact (and in streamCards, which does not read them). */
  reasons: CardReason[]
  /** The card's contacts that the person took out of a card (split), by id. */
  takenOut: string[]
}

export interface ContactsStore {
  /** A page's rows computed ahead of its transaction, for upsert (contact-writes.ts). */
  prepare(contacts: Iterable<Contact>): Promise<PreparedContacts>
  /**
   * Creates or updates the records of one page in one statement, and marks them as seen by
   * `seenBy` (a full run's id, for sweep). Duplicate external ids within the page count once.
   */
  upsert(
    tx: Queryable,
    target: { personId: string; connectionId: string; seenBy: string | undefined },
    contacts: Contact[] | PreparedContacts,
  ): Promise<UpsertCounts>
  /** Moves records to their new external id (Google previousResourceNames). */
  relink(
    tx: Queryable,
    connectionId: string,
    pairs: ReadonlyArray<{ from: string; to: string }>,
  ): Promise<void>
  /** Deletes the connection's records with these external ids; returns how many were there. */
  remove(tx: Queryable, connectionId: string, externalIds: readonly string[]): Promise<number>
  /** Deletes the connection's records that the full run `seenBy` did not see; returns how many. */
  sweep(tx: Queryable, connectionId: string, seenBy: string): Promise<number>

  /**
   * One page of the person's book, sorted by name (accents and case ignored), keyset paged,
   * with the number of contacts (or of matches) in the same answer.
   * `q` searches names, emails, phones in any format and organisations. A malformed `after`
   * throws AppError BAD_REQUEST.
   */
  list(
    personId: string,
    options: { q?: string; after?: string; limit: number },
  ): Promise<ContactListPage>
  /** How many contacts the person has (matching `q` when given). */
  count(personId: string, q?: string): Promise<number>
  /** Per connection id: how many contacts it brought. */
  countByConnection(personId: string): Promise<Map<string, number>>
  /** One of the person's contacts; undefined when the id is not theirs (or not a uuid). */
  get(personId: string, id: string): Promise<StoredContact | undefined>
  /**
   * Every contact of the person in list order, in batches read through a cursor, so an
   * export never holds the whole book. Stop iterating to release the cursor.
   */
  stream(
    personId: string,
    batchSize?: number,
    options?: { connectionId?: string },
  ): AsyncGenerator<StoredContact[], void>
  /** Deletes every contact of the person (and their split and join rules); returns how many. */
  removeAll(tx: Queryable, personId: string): Promise<number>

  /**
   * One page of the person's cards, in the list's order (a card sorts as its lead), keyset
   * paged, with the number of cards (or of cards with a matching contact). `q` searches
   * every contact of a card. A malformed `after` throws AppError BAD_REQUEST.
   */
  listCards(
    personId: string,
    options: { q?: string; after?: string; limit: number },
  ): Promise<CardListPage>
  /** How many contacts and how many cards the person has. */
  counts(personId: string): Promise<{ contacts: number; cards: number }>
  /**
   * The card that holds one of the person's contacts (any of its contacts' ids; the card's
   * own `id` is its lead's); undefined when the id is not the person's (or not a uuid).
   */
  card(personId: string, contactId: string): Promise<StoredCard | undefined>
  /** Every card in list order, in batches, as stream() reads contacts. */
  streamCards(personId: string, batchSize?: number): AsyncGenerator<StoredCard[], void>
  /** Takes the contact out of its card, remembered across imports (card-rules.ts). */
  split(personId: string, contactId: string): Promise<boolean>
  /** Makes the cards of two contacts one, remembered across imports. */
  join(personId: string, contactId: string, otherId: string): Promise<boolean>
  /** Forgets a split: the contact is grouped by its keys again. */
  regroupAgain(personId: string, contactId: string): Promise<boolean>
}

/**
 * The address book in PostgreSQL. `defaultPhoneRegion` (config DEFAULT_PHONE_REGION) reads
 * a searched phone number written without its country code, as the import did.
 */
export function createContactsStore(deps: {
  db: Pick<Database, 'query' | 'pool'>
  defaultPhoneRegion: CountryCode | undefined
}): ContactsStore {
  const cards = createCardReads(deps)
  return {
    ...createContactWrites(),
    ...createContactReads(deps),
    ...cards,
    ...createCardRules(deps),
  }
}
