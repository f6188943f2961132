// The mailbox's contact folders (contacts-apis.md §4.1): `/me/contactFolders` lists the
// folders below the default one but never the default itself, whose id only shows as the
// `parentFolderId` of a contact in it (`/me/contacts?$top=1&$select=parentFolderId`). An
// empty default folder has no contact to show it: it is left out until it holds one (the
// next read asks again). Child folders are walked level by level, at most 4 requests at
// once (the mailbox's limit, §4.4).
import { contactsBadResponse } from '../../source-errors.ts'
import { fetchJson, type GraphFetch } from './fetch-json.ts'
import { list, str } from './json.ts'
import { MAX_CONCURRENT_PER_MAILBOX, mapLimited } from './limiter.ts'

/** Bounds the calls one listing of folders can cause. */
export const MAX_FOLDERS = 500
const MAX_FOLDER_PAGE_BYTES = 4 * 1024 * 1024

export interface GraphEndpoints {
  /** `…/v1.0/` */
  api: URL
  isFollowable(link: string): boolean
}

/** The id of the default contacts folder, or null while it is empty. */
export async function findDefaultFolder(
  deps: GraphFetch,
  endpoints: GraphEndpoints,
  accessToken: string,
): Promise<string | null> {
  const url = new URL('me/contacts', endpoints.api)
  url.searchParams.set('$top', '1')
  url.searchParams.set('$select', 'parentFolderId')
  const body = await fetchJson(deps, accessToken, url, { maxBytes: 64 * 1024 })
  const first = list(body.value)[0]
  return first ? (str(first.parentFolderId) ?? null) : null
}

/** Every page of one folder listing, its nextLinks followed as given (§4.1). */
async function listFolderIds(
  deps: GraphFetch,
  endpoints: GraphEndpoints,
  accessToken: string,
  start: URL,
): Promise<string[]> {
  const ids: string[] = []
  let url: URL | undefined = start
  for (let pages = 0; url; pages++) {
    if (pages >= 50) throw contactsBadResponse(deps.provider, new Error('too many folder pages'))
    const body = await fetchJson(deps, accessToken, url, { maxBytes: MAX_FOLDER_PAGE_BYTES })
    for (const folder of list(body.value)) {
      const id = str(folder.id)
      if (id) ids.push(id)
    }
    const next = str(body['@odata.nextLink'])
    if (next && !endpoints.isFollowable(next)) {
      throw contactsBadResponse(deps.provider, new Error('a folder link leaves the contacts URL'))
    }
    url = next ? new URL(next) : undefined
  }
  return ids
}

/** Every folder below the default one, at any depth, parents before their children. */
export async function listFolders(
  deps: GraphFetch,
  endpoints: GraphEndpoints,
  accessToken: string,
): Promise<string[]> {
  const top = new URL('me/contactFolders', endpoints.api)
  top.searchParams.set('$select', 'id')
  const found: string[] = []
  let level = await listFolderIds(deps, endpoints, accessToken, top)
  const seen = new Set<string>()
  while (level.length > 0) {
    const fresh = level.filter((id) => !seen.has(id))
    for (const id of fresh) seen.add(id)
    found.push(...fresh)
    if (found.length > MAX_FOLDERS) {
      throw contactsBadResponse(deps.provider, new Error(`more than ${MAX_FOLDERS} folders`))
    }
    const children = await mapLimited(fresh, MAX_CONCURRENT_PER_MAILBOX, (id) => {
      const url = new URL(`me/contactFolders/${encodeURIComponent(id)}/childFolders`, endpoints.api)
      url.searchParams.set('$select', 'id')
      return listFolderIds(deps, endpoints, accessToken, url)
    })
    level = children.flat()
  }
  return found
}
