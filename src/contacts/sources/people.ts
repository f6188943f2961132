// Google People API v1 `people.connections.list` (contacts-apis.md §3.1-3.2, §3.6): one
// page per call, mapped onto our Contact model. Failures are translated by the shared rules
// of source-errors.ts.
import type { Contact, ContactEmail, ContactPhone } from '../contact.ts'
import type { ContactSource, PageCursor } from '../contact-source.ts'
import { readCapped } from '../read-capped.ts'
import { contactsBadResponse, fetchFailure, statusFailure } from '../source-errors.ts'

/** `metadata` is always requested: it is where deletions show up in sync responses. */
export const PERSON_FIELDS = 'names,emailAddresses,phoneNumbers,organizations,metadata'
export const PAGE_SIZE = 1000
/** A full page of 1000 people is a few MB; a body far beyond that is not a People page. */
const MAX_PAGE_BYTES = 32 * 1024 * 1024

interface FieldMetadata {
  primary?: boolean
}
export interface Person {
  resourceName?: unknown
  etag?: unknown
  names?: Array<{
    displayName?: string
    givenName?: string
    familyName?: string
    metadata?: FieldMetadata
  }>
  emailAddresses?: Array<{ value?: string; type?: string; metadata?: FieldMetadata }>
  phoneNumbers?: Array<{
    value?: string
    canonicalForm?: string
    type?: string
    metadata?: FieldMetadata
  }>
  organizations?: Array<{ name?: string; metadata?: FieldMetadata }>
}

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined)
/** The objects of a JSON array; anything else (null, a string) is skipped, not a crash. */
const list = <T>(v: T[] | undefined): T[] =>
  Array.isArray(v) ? v.filter((item) => typeof item === 'object' && item !== null) : []
const primaryFirst = <T extends { metadata?: FieldMetadata }>(items: T[]) =>
  [...items].sort(
    (a, b) => Number(b.metadata?.primary === true) - Number(a.metadata?.primary === true),
  )

export function toContact(person: Person): Contact | undefined {
  const externalId = str(person.resourceName)
  if (!externalId) return undefined
  const name = primaryFirst(list(person.names))[0]
  const emails: ContactEmail[] = primaryFirst(list(person.emailAddresses)).flatMap((e) => {
    const address = str(e.value)
    return address ? [{ address, type: str(e.type), primary: e.metadata?.primary === true }] : []
  })
  const phones: ContactPhone[] = primaryFirst(list(person.phoneNumbers)).flatMap((p) => {
    const value = str(p.value)
    return value
      ? [
          {
            value,
            e164: str(p.canonicalForm),
            type: str(p.type),
            primary: p.metadata?.primary === true,
          },
        ]
      : []
  })
  return {
    externalId,
    etag: str(person.etag),
    name: {
      display: str(name?.displayName),
      given: str(name?.givenName),
      family: str(name?.familyName),
    },
    emails,
    phones,
    organization: str(primaryFirst(list(person.organizations))[0]?.name),
  }
}

export function createPeopleSource(deps: {
  provider: string
  baseUrl: URL
  fetchResource: (accessToken: string, url: URL) => Promise<Response>
}): ContactSource {
  const { provider } = deps
  const endpoint = new URL(
    'v1/people/me/connections',
    deps.baseUrl.href.endsWith('/') ? deps.baseUrl : `${deps.baseUrl.href}/`,
  )

  function pageUrl(cursor: PageCursor | undefined): URL {
    // People pages are addressed by token only; a URL here is a bug, not the provider's.
    if (cursor && !('token' in cursor)) {
      throw new TypeError('the People API pages by token, not by URL')
    }
    const url = new URL(endpoint)
    url.searchParams.set('personFields', PERSON_FIELDS)
    url.searchParams.set('pageSize', String(PAGE_SIZE))
    if (cursor) url.searchParams.set('pageToken', cursor.token)
    return url
  }

  return {
    provider,

    async listPage(accessToken, cursor) {
      const url = pageUrl(cursor)
      let response: Response
      try {
        response = await deps.fetchResource(accessToken, url)
      } catch (err) {
        throw fetchFailure(provider, err)
      }
      if (!response.ok) throw statusFailure(provider, response)

      let body: { connections?: Person[]; nextPageToken?: unknown }
      try {
        body = JSON.parse(await readCapped(response, MAX_PAGE_BYTES)) as typeof body
      } catch (err) {
        throw contactsBadResponse(provider, err)
      }
      if (typeof body !== 'object' || body === null) {
        throw contactsBadResponse(provider, new Error('not a JSON object'))
      }
      const token = str(body.nextPageToken)
      return {
        // proto3 JSON leaves empty lists out: no `connections` means none.
        contacts: list(body.connections).flatMap((person) => toContact(person) ?? []),
        next: token ? { token } : undefined,
      }
    },
  }
}
