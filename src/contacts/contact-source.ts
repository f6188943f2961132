// One interface for every contacts API shape (oauth2-proxy's Provider interface; the factory
// that picks the adapter is create-contact-source.ts). An adapter reads one page and maps it onto our Contact model; paging, the refresh-and-retry
// and the page bounds are read-pages.ts's, so every adapter gets them the same way. Each
// adapter passes the same contract suite (test/contract/).
import type { Contact } from './contact.ts'

/**
 * Where the next page starts. Google People hands out an opaque `nextPageToken`; Microsoft
 * Graph an absolute `@odata.nextLink` URL to be followed exactly as given — and only
 * within the configured contacts URL (read-pages.ts checks it before any request).
 */
export type PageCursor = { readonly token: string } | { readonly url: string }

export interface ContactsPage {
  contacts: Contact[]
  /** Undefined on the last page. */
  next: PageCursor | undefined
  /**
   * The provider's cursor for a later incremental import (Google `nextSyncToken`), given on
   * the last page only. Kept for the sync that is yet to be built.
   */
  syncToken?: string
}

export interface ContactSource {
  /** The configured provider id, named by the errors this source throws. */
  readonly provider: string
  /**
   * One page of the person's contacts: the first without a cursor, later ones with the
   * previous page's `next`. Throws AccessTokenRejectedError when the token is refused,
   * otherwise the AppErrors of source-errors.ts. Read through readPages(), which guards
   * the cursors; a source does not check that a URL cursor is safe to follow.
   */
  listPage(accessToken: string, cursor?: PageCursor): Promise<ContactsPage>
}
