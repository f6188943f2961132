// contactGroups.list (contacts-apis.md §7.1): every page of the person's groups, as
// resourceName → the name Google shows (formattedName: "My Contacts" for the system group
// myContacts, the user's own name for theirs), so that labels are stored by name.
import { contactsBadResponse } from '../../source-errors.ts'
import { fetchJson, type PeopleFetch } from './fetch-json.ts'
import { list, str } from './json.ts'

export const GROUPS_PAGE_SIZE = 1000
/** 10,000 groups: far beyond what anyone keeps; bounds the calls a listing can cause. */
export const MAX_GROUP_PAGES = 10
const MAX_GROUPS_PAGE_BYTES = 4 * 1024 * 1024

export async function listGroups(
  deps: PeopleFetch,
  endpoint: URL,
  accessToken: string,
): Promise<Map<string, string>> {
  const groups = new Map<string, string>()
  const seen = new Set<string>()
  let pageToken: string | undefined
  for (let pages = 0; pages < MAX_GROUP_PAGES; pages += 1) {
    const url = new URL(endpoint)
    // Identical on every page, as People requires of paged calls.
    url.searchParams.set('pageSize', String(GROUPS_PAGE_SIZE))
    url.searchParams.set('groupFields', 'name,groupType')
    if (pageToken) url.searchParams.set('pageToken', pageToken)
    const body = await fetchJson(deps, accessToken, url, { maxBytes: MAX_GROUPS_PAGE_BYTES })

    for (const group of list(body.contactGroups)) {
      const id = str(group.resourceName)
      const name = str(group.formattedName) ?? str(group.name)
      if (id && name) groups.set(id, name)
    }
    pageToken = str(body.nextPageToken)
    if (!pageToken) return groups
    if (seen.has(pageToken)) {
      throw contactsBadResponse(deps.provider, new Error('the same group page token came twice'))
    }
    seen.add(pageToken)
  }
  throw contactsBadResponse(deps.provider, new Error(`more than ${MAX_GROUP_PAGES} group pages`))
}
