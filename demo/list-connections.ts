// GET /v1/people/:id/connections, the People API v1 connections.list (contacts-apis.md §3.1,
// §7.3): personFields required, pageSize 1–1000 (absent or 0 means 100), signed page tokens bound
// to the parameters of the first call, totals on every page, empty values left out (proto3 JSON).
// requestSyncToken=true puts an opaque nextSyncToken on the last page, as Google does; incremental
// sync is not implemented yet, so a syncToken is refused.
import type { Request, RequestHandler, Response } from 'express'
import { readGrant } from './bearer-auth.ts'
import { googleErrors, sendGoogleError } from './google-errors.ts'
import type { PageTokens } from './page-token.ts'
import { hashParams } from './page-token.ts'
import type { ContactDirectory, Person } from './person.ts'
import { parsePersonFields, projectPerson } from './person-fields.ts'

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

export interface ListConnectionsOptions {
  directory: ContactDirectory
  pageTokens: PageTokens
}

interface ListRequest {
  fields: ReadonlySet<string>
  pageSize: number
  pageToken?: string
  paramsHash: string
  requestSyncToken: boolean
  /** All demo data is CONTACT-sourced; a sources list without CONTACT selects nobody. */
  includesContacts: boolean
}

type Parsed = { ok: true; request: ListRequest } | { ok: false; message?: string }

// Proto3: an empty value is the default value. A repeated singular parameter is an error.
function singular(query: URLSearchParams, name: string): string | undefined | null {
  const values = query.getAll(name)
  if (values.length > 1) return null
  return values[0] === '' ? undefined : values[0]
}

function parseListRequest(query: URLSearchParams, sub: string): Parsed {
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

  let pageSize = DEFAULT_PAGE_SIZE
  if (pageSizeParam) {
    if (!/^\d{1,9}$/.test(pageSizeParam)) return { ok: false }
    pageSize = Number(pageSizeParam) || DEFAULT_PAGE_SIZE
    if (pageSize > MAX_PAGE_SIZE) return { ok: false }
  }

  if (sortOrder && !SORT_ORDERS.has(sortOrder)) return { ok: false }
  const sources = query.getAll('sources')
  if (!sources.every((source) => READ_SOURCE_TYPES.has(source))) return { ok: false }
  const selected = sources.filter((source) => source !== 'READ_SOURCE_TYPE_UNSPECIFIED')
  // We never issue sync tokens, so any syncToken is foreign.
  if (syncToken) return { ok: false }

  return {
    ok: true,
    request: {
      fields: fields.fields,
      pageSize,
      ...(pageToken ? { pageToken } : {}),
      // Everything but pageSize must match while paging; the sub keeps tokens per user.
      paramsHash: hashParams([
        sub,
        personFields,
        sortOrder ?? '',
        sources,
        requestSyncToken === 'true',
      ]),
      requestSyncToken: requestSyncToken === 'true',
      includesContacts: selected.length === 0 || selected.includes('READ_SOURCE_TYPE_CONTACT'),
    },
  }
}

export function createListConnections(options: ListConnectionsOptions): RequestHandler {
  const { directory, pageTokens } = options

  return function listConnections(req: Request, res: Response) {
    const grant = readGrant(res)
    if (!grant) throw new Error('listConnections must be mounted after bearerAuth')
    // Only people/me is a valid resourceName here (contacts-apis.md §3.1).
    if (req.params.id !== 'me') return sendGoogleError(res, googleErrors.invalidArgument())

    const parsed = parseListRequest(
      new URL(req.originalUrl, 'http://rs.invalid').searchParams,
      grant.sub,
    )
    if (!parsed.ok) return sendGoogleError(res, googleErrors.invalidArgument(parsed.message))
    const { fields, pageSize, pageToken, paramsHash, requestSyncToken, includesContacts } =
      parsed.request

    let offset = 0
    if (pageToken !== undefined) {
      const cursor = pageTokens.read(pageToken)
      if (!cursor || cursor.paramsHash !== paramsHash) {
        return sendGoogleError(res, googleErrors.invalidArgument())
      }
      offset = cursor.offset
    }

    const people: readonly Person[] = includesContacts ? (directory.get(grant.sub) ?? []) : []
    const page = people.slice(offset, offset + pageSize)
    const next = offset + pageSize
    res.json({
      ...(page.length > 0
        ? { connections: page.map((person) => projectPerson(person, fields)) }
        : {}),
      ...(next < people.length
        ? { nextPageToken: pageTokens.issue({ offset: next, paramsHash }) }
        : requestSyncToken
          ? // Opaque for now: bound to the query and the book as read, nothing more.
            { nextSyncToken: hashParams(['sync', paramsHash, people.length]) }
          : {}),
      ...(people.length > 0 ? { totalPeople: people.length, totalItems: people.length } : {}),
    })
  }
}
