// The query of people.connections.list, checked as Google checks it (contacts-apis.md §3.1,
// §7.3): personFields required, pageSize 1–1000 (absent or 0 means 100), the four sort orders,
// repeated `sources`, proto3 bools. It also says what the page and sync tokens are bound to.

import { parsePersonFields } from './person-fields.ts'
import { hashParams } from './signed-token.ts'

export const DEFAULT_PAGE_SIZE = 100
export const MAX_PAGE_SIZE = 1000

const SORT_ORDERS = new Set([
  'LAST_MODIFIED_ASCENDING',
  'LAST_MODIFIED_DESCENDING',
  'FIRST_NAME_ASCENDING',
  'LAST_NAME_ASCENDING',
])
const READ_SOURCE_TYPES = new Set([
  'READ_SOURCE_TYPE_UNSPECIFIED',
  'READ_SOURCE_TYPE_CONTACT',
  'READ_SOURCE_TYPE_PROFILE',
  'READ_SOURCE_TYPE_DOMAIN_CONTACT',
])

export interface ListRequest {
  fields: ReadonlySet<string>
  pageSize: number
  pageToken?: string
  syncToken?: string
  requestSyncToken: boolean
  /** All demo data is CONTACT-sourced; a sources list without CONTACT selects nobody. */
  includesContacts: boolean
  /** What a sync token is bound to: every parameter but pageSize, pageToken and syncToken. */
  syncParamsHash: string
  /** What a page token is bound to: the same, plus the syncToken being paged through. */
  pageParamsHash: string
}

export type ParsedListRequest = { ok: true; request: ListRequest } | { ok: false; message?: string }

// Proto3: an empty value is the default value. A repeated singular parameter is an error.
function singular(query: URLSearchParams, name: string): string | undefined | null {
  const values = query.getAll(name)
  if (values.length > 1) return null
  return values[0] === '' ? undefined : values[0]
}

/** pageSize as Google reads it, or undefined when it is refused. */
export function parsePageSize(value: string | undefined, fallback: number): number | undefined {
  if (!value) return fallback
  if (!/^\d{1,9}$/.test(value)) return undefined
  const size = Number(value) || fallback
  return size > MAX_PAGE_SIZE ? undefined : size
}

export function parseListRequest(query: URLSearchParams, sub: string): ParsedListRequest {
  const personFields = singular(query, 'personFields')
  const pageSizeParam = singular(query, 'pageSize')
  const pageToken = singular(query, 'pageToken')
  const sortOrder = singular(query, 'sortOrder')
  const syncToken = singular(query, 'syncToken')
  const requestSyncToken = singular(query, 'requestSyncToken')
  if (
    [personFields, pageSizeParam, pageToken, sortOrder, syncToken, requestSyncToken].includes(null)
  ) {
    return { ok: false }
  }
  // A proto3 bool in a query string: "true" or "false" (empty is the default, false).
  if (
    requestSyncToken !== undefined &&
    requestSyncToken !== 'true' &&
    requestSyncToken !== 'false'
  ) {
    return { ok: false }
  }

  const fields = parsePersonFields(personFields ?? undefined)
  if (!fields.ok) return { ok: false, message: fields.message }
  const pageSize = parsePageSize(pageSizeParam ?? undefined, DEFAULT_PAGE_SIZE)
  if (pageSize === undefined) return { ok: false }

  if (sortOrder && !SORT_ORDERS.has(sortOrder)) return { ok: false }
  const sources = query.getAll('sources')
  if (!sources.every((source) => READ_SOURCE_TYPES.has(source))) return { ok: false }
  const selected = sources.filter((source) => source !== 'READ_SOURCE_TYPE_UNSPECIFIED')

  // Everything but pageSize must match while paging and between syncs; the sub keeps
  // tokens per user.
  const syncParamsHash = hashParams([
    sub,
    personFields,
    sortOrder ?? '',
    sources,
    requestSyncToken === 'true',
  ])
  return {
    ok: true,
    request: {
      fields: fields.fields,
      pageSize,
      ...(pageToken ? { pageToken } : {}),
      ...(syncToken ? { syncToken } : {}),
      requestSyncToken: requestSyncToken === 'true',
      includesContacts: selected.length === 0 || selected.includes('READ_SOURCE_TYPE_CONTACT'),
      syncParamsHash,
      pageParamsHash: hashParams([syncParamsHash, syncToken ?? '']),
    },
  }
}
