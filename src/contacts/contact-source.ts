// One interface for every contacts API shape (oauth2-proxy's Provider interface; the factory
// that picks the adapter is create-contact-source.ts). An adapter reads one page and maps it onto our Contact model; paging, the refresh-and-retry
// and the page bounds are read-pages.ts's, so every adapter gets them the same way. Each
// adapter passes the same contract suite (test/contract/).
import type { Contact } from './contact.ts'
import type { PhotoBytes } from './photo-bytes.ts'

/**
 * Where the next page starts. Google People hands out an opaque `nextPageToken`; Microsoft
 * Graph an absolute `@odata.nextLink` URL to be followed exactly as given — and only
 * within the configured contacts URL (read-pages.ts checks it before any request).
 */
export type PageCursor =
  | { readonly token: string }
  | {
      readonly url: string
      /**
       * What the adapter carries from page to page beside the link, opaque to everyone else
       * (Graph: the folders still to read and the deltaLinks of those done). Saved with the
       * cursor, so a resumed read goes on where it stopped.
       */
      readonly state?: string
    }

/** A record of the page that cannot be stored, and why, in words a person understands. */
export interface SkippedRecord {
  /** The provider's id, when the record had one. */
  externalId: string | undefined
  reason: string
}

export interface ContactsPage {
  /** Records to create or update. */
  contacts: Contact[]
  /** External ids the provider reports as deleted (incremental reads: tombstones). */
  deleted: string[]
  /**
   * Records that moved to a new external id (Google `metadata.previousResourceNames`):
   * the stored record is re-keyed, not duplicated. The new record is also in `contacts`.
   */
  relinked: Array<{ from: string; to: string }>
  /** Records on this page that cannot be stored. */
  skipped: SkippedRecord[]
  /** Undefined on the last page. */
  next: PageCursor | undefined
  /**
   * The provider's cursor for the next incremental read (Google `nextSyncToken`), given on
   * the last page only.
   */
  syncToken?: string
  /** The provider's count of the whole set being read (People `totalItems`), if it says. */
  total?: number
}

export interface ListOptions {
  /**
   * Read only what changed since this cursor (a previous `syncToken`). A cursor the
   * provider no longer accepts throws SYNC_TOKEN_EXPIRED (source-errors.ts): the caller
   * then reads everything again.
   */
  syncToken?: string
}

export interface ContactSource {
  /** The configured provider id, named by the errors this source throws. */
  readonly provider: string
  /**
   * Pages one read may take (read-pages.ts' MAX_PAGES by default): a provider that bounds
   * its own page size (Graph: about 200) needs more pages for the same book.
   */
  readonly maxPages?: number
  /**
   * One page of the person's contacts: the first without a cursor, later ones with the
   * previous page's `next`. Throws AccessTokenRejectedError when the token is refused,
   * otherwise the AppErrors of source-errors.ts. Read through readPages(), which guards
   * the cursors; a source does not check that a URL cursor is safe to follow.
   */
  listPage(accessToken: string, cursor?: PageCursor, options?: ListOptions): Promise<ContactsPage>
  /**
   * The person's contact groups, id → name (Google `contactGroups.list`), so that labels
   * are stored by name. Same errors as listPage.
   */
  listGroups(accessToken: string): Promise<Map<string, string>>
  /**
   * The bytes of a photo this source serves on demand (a ContactPhotoOnDemand's
   * `fetchPath`); undefined when the provider holds none. Only sources whose contacts carry
   * such photos have it (Graph). A path the source would not have made is a NOT_FOUND
   * before any request; otherwise the errors of listPage (read it through withAccessToken),
   * and CONTACTS_BAD_RESPONSE for anything but a JPEG, PNG, GIF or WebP within the size
   * cap (photo-bytes.ts).
   */
  fetchPhoto?(accessToken: string, fetchPath: string): Promise<PhotoBytes | undefined>
}
