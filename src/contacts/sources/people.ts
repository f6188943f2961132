// Google People API v1 (contacts-apis.md §3): `people.connections.list`, one page per call,
// full or incremental (syncToken), mapped onto our Contact model; and `contactGroups.list`
// for the names of the labels. The parts live in sources/people/.
import type { CountryCode } from 'libphonenumber-js/max'
import type { ContactSource, PageCursor } from '../contact-source.ts'
import { syncTokenExpired } from '../source-errors.ts'
import { isExpiredSyncToken } from './people/expired-sync-token.ts'
import { fetchJson } from './people/fetch-json.ts'
import { listGroups } from './people/list-groups.ts'
import { toContactsPage } from './people/to-page.ts'

export type { Person, PersonMappingOptions } from './people/to-contact.ts'
export { toContact } from './people/to-contact.ts'
export { SKIP_REASONS } from './people/to-page.ts'

/**
 * Every Person field the Contact model keeps (contacts-apis.md §3.2, §9.1). `metadata` is
 * always requested: it is where deletions show up in sync responses (§3.2).
 */
export const PERSON_FIELDS = [
  'names',
  'nicknames',
  'emailAddresses',
  'phoneNumbers',
  'addresses',
  'organizations',
  'birthdays',
  'urls',
  'biographies',
  'relations',
  'events',
  'photos',
  'memberships',
  'metadata',
].join(',')
export const PAGE_SIZE = 1000
/** A full page of 1000 people is a few MB; a body far beyond that is not a People page. */
const MAX_PAGE_BYTES = 32 * 1024 * 1024

export function createPeopleSource(deps: {
  provider: string
  baseUrl: URL
  fetchResource: (accessToken: string, url: URL) => Promise<Response>
  /** For phone numbers without a country code (PersonMappingOptions). */
  defaultRegion?: CountryCode | undefined
}): ContactSource {
  const { provider } = deps
  const base = deps.baseUrl.href.endsWith('/') ? deps.baseUrl : new URL(`${deps.baseUrl.href}/`)
  const connections = new URL('v1/people/me/connections', base)
  const contactGroups = new URL('v1/contactGroups', base)
  const mapping = { defaultRegion: deps.defaultRegion }

  function pageUrl(cursor: PageCursor | undefined, syncToken: string | undefined): URL {
    // People pages are addressed by token only; a URL here is a bug, not the provider's.
    if (cursor && !('token' in cursor)) {
      throw new TypeError('the People API pages by token, not by URL')
    }
    // People binds page and sync tokens to the query that produced them: every other
    // parameter must be identical on every page, full or incremental (contacts-apis.md
    // §3.1, §3.3), or the call is refused.
    const url = new URL(connections)
    url.searchParams.set('personFields', PERSON_FIELDS)
    url.searchParams.set('pageSize', String(PAGE_SIZE))
    // The last page then carries a nextSyncToken, for the next incremental import (§3.3).
    url.searchParams.set('requestSyncToken', 'true')
    if (syncToken) url.searchParams.set('syncToken', syncToken)
    if (cursor) url.searchParams.set('pageToken', cursor.token)
    return url
  }

  return {
    provider,

    async listPage(accessToken, cursor, options = {}) {
      const { syncToken } = options
      const body = await fetchJson(deps, accessToken, pageUrl(cursor, syncToken), {
        maxBytes: MAX_PAGE_BYTES,
        // Only a read that sent a sync token can be told that it expired.
        ...(syncToken && {
          refusalStatuses: [400, 410],
          refusal: (status: number, error: unknown) =>
            isExpiredSyncToken(status, error)
              ? syncTokenExpired(provider, new Error(`${status}: the sync token expired`))
              : undefined,
        }),
      })
      return toContactsPage(body, mapping)
    },

    listGroups(accessToken) {
      return listGroups(deps, contactGroups, accessToken)
    },
  }
}
