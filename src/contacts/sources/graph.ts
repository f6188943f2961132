// Microsoft Graph v1.0 contacts (contacts-apis.md §4), one page per call:
//   - every contact folder of the mailbox is read (§4.1): the default one, found through
//     the `parentFolderId` of a contact in it, and every folder `/me/contactFolders` and
//     its `childFolders` list;
//   - each folder through its delta round (`/me/contactFolders/{id}/contacts/delta`, the
//     documented form, §4.3): a full read is each folder's initial round, which brings every
//     contact and ends in a deltaLink, so one pass gives both the book and the cursor of the
//     next incremental read (a listing through `/me/contacts?$top=…` gives no deltaLink, and
//     a delta round over everything would then be needed anyway);
//   - links are followed as given, `$select` set only on a round's first request (the
//     links carry it), the page size asked with `Prefer: odata.maxpagesize`, immutable ids
//     always (fetch-json.ts);
//   - a deltaLink Graph no longer knows (410, SyncStateNotFound, resyncRequired), a folder
//     that is gone, or a sync token that is not ours → SYNC_TOKEN_EXPIRED: one full read.
// Categories are names already, so there are no groups to look up.
import type { CountryCode } from 'libphonenumber-js/max'
import type { ContactSource, ContactsPage } from '../contact-source.ts'
import { isFollowableNextLink } from '../next-link.ts'
import { contactsBadResponse, syncTokenExpired } from '../source-errors.ts'
import { fetchGraph, fetchJson, type GraphFetch } from './graph/fetch-json.ts'
import { findDefaultFolder, listFolders } from './graph/folders.ts'
import { str } from './graph/json.ts'
import {
  createMailboxLimiter,
  MAX_CONCURRENT_PER_MAILBOX,
  mapLimited,
  settled,
} from './graph/limiter.ts'
import { fetchPhoto } from './graph/photo.ts'
import {
  decodeRoundState,
  decodeSyncState,
  encodeRoundState,
  encodeSyncState,
  type RoundState,
} from './graph/round-state.ts'
import { SELECTED_FIELDS } from './graph/to-contact.ts'
import { toDeltaRecords } from './graph/to-page.ts'

export { toContact } from './graph/to-contact.ts'
export { SKIP_REASONS } from './graph/to-page.ts'

/** Contacts asked per delta page; about 200 is the most Graph sends (§4.3, §8.4). */
export const PAGE_SIZE = 200
/**
 * Pages one read may take: 25,000 contacts at 200 a page, and a page per folder more. Graph
 * bounds its own pages, so the bound of the reader of pages is set by its page size.
 */
export const MAX_PAGES = 400
const MAX_PAGE_BYTES = 32 * 1024 * 1024
const SELECT = SELECTED_FIELDS.join(',')
/** Graph's codes for a delta token it no longer knows (§4.3: both spellings seen). */
const EXPIRED_CODES = new Set(['syncstatenotfound', 'resyncrequired'])

export function createGraphSource(deps: {
  provider: string
  baseUrl: URL
  fetchResource: GraphFetch['fetchResource']
  defaultRegion?: CountryCode | undefined
}): ContactSource {
  const { provider, baseUrl } = deps
  const base = baseUrl.href.endsWith('/') ? baseUrl : new URL(`${baseUrl.href}/`)
  const api = new URL('v1.0/', base)
  const http: GraphFetch = {
    provider,
    fetchResource: deps.fetchResource,
    limit: createMailboxLimiter(),
  }
  const isFollowable = (link: string) => isFollowableNextLink(link, baseUrl)
  const endpoints = { api, isFollowable }
  const mapping = { defaultRegion: deps.defaultRegion }

  const initialRound = (folder: string) => {
    const url = new URL(`me/contactFolders/${encodeURIComponent(folder)}/contacts/delta`, api)
    url.searchParams.set('$select', SELECT)
    return url.href
  }

  /** The folders of this read, each from its deltaLink or from the start. */
  async function plan(accessToken: string, syncToken: string | undefined) {
    const known = syncToken === undefined ? undefined : decodeSyncState(syncToken)
    if (syncToken !== undefined && !known) {
      throw syncTokenExpired(provider, new Error('a sync token this adapter did not make'))
    }
    // Both settle before a failure is thrown: no request of this read outlives it.
    const [defaultFolder, others] = await settled<[string | null, string[]]>([
      known?.defaultFolder
        ? Promise.resolve(known.defaultFolder)
        : findDefaultFolder(http, endpoints, accessToken),
      listFolders(http, endpoints, accessToken),
    ])
    const folders = [...(defaultFolder ? [defaultFolder] : []), ...others]
    const links = known?.links ?? {}
    // A folder deleted since: its contacts went with it, and no round will say which.
    if (Object.keys(links).some((folder) => !folders.includes(folder))) {
      throw syncTokenExpired(provider, new Error('a tracked folder is gone'))
    }
    return {
      defaultFolder,
      folders,
      todo: folders.map((folder) => ({ folder, from: links[folder] ?? '' })),
    }
  }

  async function readDeltaPage(
    accessToken: string,
    url: string,
    state: RoundState,
  ): Promise<ContactsPage> {
    const body = await fetchJson(http, accessToken, new URL(url), {
      maxBytes: MAX_PAGE_BYTES,
      prefer: `odata.maxpagesize=${PAGE_SIZE}`,
      refusal: (status, code) =>
        status === 410 || EXPIRED_CODES.has(code?.toLowerCase() ?? '')
          ? syncTokenExpired(
              provider,
              new Error(`${status} ${code ?? ''}: the delta token expired`),
            )
          : undefined,
    })
    const folders = new Set(state.folders)
    const records = await toDeltaRecords(
      body.value,
      {
        isContactFolder: (id) => folders.has(id),
        map: (items, work) => mapLimited(items, MAX_CONCURRENT_PER_MAILBOX, work),
        fetchContact: (id) => {
          const contact = new URL(`me/contacts/${encodeURIComponent(id)}`, api)
          contact.searchParams.set('$select', SELECT)
          return fetchGraph(http, accessToken, contact, {
            maxBytes: 1024 * 1024,
            notFound: 'undefined',
          })
        },
      },
      mapping,
    )
    const page: ContactsPage = { ...records, relinked: [], next: undefined }

    const nextLink = str(body['@odata.nextLink'])
    if (nextLink) {
      page.next = { url: nextLink, state: encodeRoundState(state) }
      return page
    }
    const deltaLink = str(body['@odata.deltaLink'])
    if (!deltaLink) {
      throw contactsBadResponse(provider, new Error('a delta page without nextLink or deltaLink'))
    }
    // The deltaLink is followed only in a later read: it is checked as a next link would be.
    if (!isFollowable(deltaLink)) {
      throw contactsBadResponse(provider, new Error('a deltaLink leaves the contacts URL'))
    }
    return continueAfter(state, deltaLink, page)
  }

  /** The folder's round ended: on to the next folder, or the read ends with the sync token. */
  function continueAfter(state: RoundState, deltaLink: string | undefined, page: ContactsPage) {
    const links = deltaLink ? { ...state.links, [state.current]: deltaLink } : state.links
    const [next, ...todo] = state.todo
    if (next) {
      const url = next.from || initialRound(next.folder)
      page.next = { url, state: encodeRoundState({ ...state, links, current: next.folder, todo }) }
    } else {
      page.syncToken = encodeSyncState({ defaultFolder: state.defaultFolder, links })
    }
    return page
  }

  return {
    provider,
    maxPages: MAX_PAGES,

    async listPage(accessToken, cursor, options = {}) {
      if (cursor) {
        const state = 'url' in cursor && cursor.state ? decodeRoundState(cursor.state) : undefined
        if (!state || !('url' in cursor)) {
          throw new TypeError('a Graph page cursor is a URL with the state of its read')
        }
        return readDeltaPage(accessToken, cursor.url, state)
      }
      const { defaultFolder, folders, todo } = await plan(accessToken, options.syncToken)
      const [first, ...rest] = todo
      const state: RoundState = {
        defaultFolder,
        links: {},
        folders,
        current: first?.folder ?? '',
        todo: rest,
      }
      if (!first) {
        const empty: ContactsPage = {
          contacts: [],
          deleted: [],
          relinked: [],
          skipped: [],
          next: undefined,
        }
        empty.syncToken = encodeSyncState({ defaultFolder, links: {} })
        return empty
      }
      const url = first.from || initialRound(first.folder)
      if (first.from && !isFollowable(url)) {
        throw syncTokenExpired(provider, new Error('a stored deltaLink leaves the contacts URL'))
      }
      return readDeltaPage(accessToken, url, state)
    },

    /** Graph's categories are names: the labels need no lookup (an empty map keeps them). */
    async listGroups() {
      return new Map<string, string>()
    },

    fetchPhoto: (accessToken, fetchPath) => fetchPhoto(http, api, accessToken, fetchPath),
  }
}
