// Reads a person's contacts page by page, for any ContactSource. It holds one page at a
// time: each page is yielded, and the next one is only requested when the consumer asks,
// so a page view or an import never keeps a whole address book in memory.
//   - A 401 for a token we believed valid (revoked early, clock skew, key rotation at the
//     provider) triggers one refresh and one retry of that page; a second refusal ends
//     with CONTACTS_UNAUTHORIZED. Each page gets its own retry: a token may also expire
//     during a long listing.
//   - A cursor is followed only once (a provider repeating itself would loop forever),
//     a URL cursor only within the configured contacts URL (next-link.ts, RFC 9700
//     §4.9.1), and at most `maxPages` pages are read.
//   - An import resumes at the cursor it saved (`start`), reads incrementally with its
//     `options` (the same on every page, as People binds page tokens to the query), and
//     may wrap each page's read in its own retries (`retry`: backoff on 429 and 5xx).
import type { ContactSource, ContactsPage, ListOptions, PageCursor } from './contact-source.ts'
import { isFollowableNextLink } from './next-link.ts'
import {
  AccessTokenRejectedError,
  contactsBadResponse,
  contactsUnauthorized,
} from './source-errors.ts'

/**
 * At 1000 per page, 30 pages hold 30,000 contacts, more than Google allows in one account
 * (25,000). The cap bounds the provider calls one listing can cause.
 */
export const MAX_PAGES = 30

export interface ReadPagesDeps {
  source: ContactSource
  /**
   * A usable access token for this connection. `rejected` is a token the contacts API just
   * refused: the getter must not return it again (AccessTokens.get's `rejected`).
   */
  accessToken(options?: { rejected?: string }): Promise<string>
  /** The provider's configured contacts URL: the only place a URL cursor may lead. */
  contactsUrl: URL
  maxPages?: number
  /** Where to start: a cursor saved by an earlier, interrupted read. */
  start?: PageCursor | undefined
  /** Pages read before `start` (they count towards `maxPages`). */
  pagesBefore?: number
  /** Sent with every page: an incremental read's sync token. */
  options?: ListOptions
  /** Runs each page's read (refresh-and-retry included), e.g. again after a 429. */
  retry?: <T>(read: () => Promise<T>) => Promise<T>
  /** Called as each page's request is sent, its access token in hand (and on each retry). */
  onRequest?: () => void
}

export async function* readPages(deps: ReadPagesDeps): AsyncGenerator<ContactsPage, void> {
  const { source, contactsUrl } = deps
  const maxPages = deps.maxPages ?? source.maxPages ?? MAX_PAGES
  const followed = new Set<string>()
  const retry = deps.retry ?? ((read) => read())
  let cursor = deps.start
  for (let pages = deps.pagesBefore ?? 0; ; pages++) {
    if (cursor) {
      if (pages >= maxPages) {
        throw contactsBadResponse(
          source.provider,
          new Error(`more than ${maxPages} pages`),
          'Your address book is larger than this app can read at once; the rest is not shown.',
        )
      }
      checkCursor(source.provider, cursor, contactsUrl, followed)
    }
    const at = cursor
    const page = await retry(() => readPage(deps, at))
    yield page
    if (!page.next) return
    cursor = page.next
  }
}

function checkCursor(
  provider: string,
  cursor: PageCursor,
  contactsUrl: URL,
  followed: Set<string>,
): void {
  if ('url' in cursor && !isFollowableNextLink(cursor.url, contactsUrl)) {
    // The link itself stays out of the error: it may carry anything.
    throw contactsBadResponse(
      provider,
      new Error('the next-page link leaves the configured contacts URL'),
    )
  }
  const key = 'url' in cursor ? `url:${cursor.url}` : `token:${cursor.token}`
  if (followed.has(key)) {
    throw contactsBadResponse(
      provider,
      new Error('the same next-page cursor came twice'),
      'Your contacts provider sent the same page twice. Please try again later.',
    )
  }
  followed.add(key)
}

/** One page, with one refresh-and-retry when the token is refused. */
function readPage(deps: ReadPagesDeps, cursor: PageCursor | undefined) {
  return withAccessToken(deps, (token) => {
    deps.onRequest?.()
    return deps.source.listPage(token, cursor, deps.options)
  })
}

/**
 * One call to the contacts API with the connection's access token: refreshed once and
 * tried once more when the API refuses it; refused again, CONTACTS_UNAUTHORIZED.
 */
export async function withAccessToken<T>(
  deps: Pick<ReadPagesDeps, 'source' | 'accessToken'>,
  call: (accessToken: string) => Promise<T>,
): Promise<T> {
  const first = await deps.accessToken()
  try {
    return await call(first)
  } catch (err) {
    if (!(err instanceof AccessTokenRejectedError)) throw err
  }
  const second = await deps.accessToken({ rejected: first })
  try {
    return await call(second)
  } catch (err) {
    if (err instanceof AccessTokenRejectedError)
      throw contactsUnauthorized(deps.source.provider, err)
    throw err
  }
}
