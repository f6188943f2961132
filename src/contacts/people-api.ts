// Google People API v1 `people.connections.list` (contacts-apis.md §3.1-3.2, §3.6): one
// page per call, mapped onto our Contact model. HTTP failures become AppErrors here (the
// adapter rules of contacts-apis.md §10); a rejected access token becomes
// AccessTokenRejectedError so the caller can refresh once and retry once.
import * as client from 'openid-client'
import { AppError, ErrorCode, reconnectNeeded } from '../errors.ts'
import type { Contact, ContactEmail, ContactPhone } from './contact.ts'

/** `metadata` is always requested: it is where deletions show up in sync responses. */
export const PERSON_FIELDS = 'names,emailAddresses,phoneNumbers,organizations,metadata'
export const PAGE_SIZE = 1000
/** A full page of 1000 people is a few MB; a body far beyond that is not a People page. */
const MAX_PAGE_BYTES = 32 * 1024 * 1024

/** The body as text, refusing to hold more than `limit` bytes of it in memory. */
async function readCapped(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0)
  if (declared > limit) throw new Error(`body of ${declared} bytes exceeds ${limit}`)
  const reader = response.body?.getReader()
  if (!reader) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel()
      throw new Error(`body exceeds ${limit} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export class AccessTokenRejectedError extends Error {
  override name = 'AccessTokenRejectedError'
}

export interface ContactsPage {
  contacts: Contact[]
  nextPageToken: string | undefined
}

interface FieldMetadata {
  primary?: boolean
}
interface Person {
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

function unavailable(cause: unknown): AppError {
  return new AppError(
    ErrorCode.CONTACTS_UNAVAILABLE,
    'Your contacts provider is not answering right now. Nothing was lost; please try again in a moment.',
    { status: 502, retryable: true, cause },
  )
}

function forbidden(providerId: string, cause: unknown): AppError {
  return reconnectNeeded(providerId, {
    code: ErrorCode.CONTACTS_FORBIDDEN,
    message:
      'Your provider says this app may not read your contacts. Reconnect and allow access to your contacts.',
    cause,
  })
}

function badResponse(cause: unknown): AppError {
  return new AppError(
    ErrorCode.CONTACTS_BAD_RESPONSE,
    'Your contacts provider sent an answer we could not read. Please try again later.',
    { status: 502, cause },
  )
}

export interface PeopleApi {
  listPage(accessToken: string, pageToken?: string): Promise<ContactsPage>
}

export function createPeopleApi(deps: {
  providerId: string
  baseUrl: URL
  fetchResource: (accessToken: string, url: URL) => Promise<Response>
}): PeopleApi {
  const endpoint = new URL(
    'v1/people/me/connections',
    deps.baseUrl.href.endsWith('/') ? deps.baseUrl : `${deps.baseUrl.href}/`,
  )

  return {
    async listPage(accessToken, pageToken) {
      const url = new URL(endpoint)
      url.searchParams.set('personFields', PERSON_FIELDS)
      url.searchParams.set('pageSize', String(PAGE_SIZE))
      if (pageToken) url.searchParams.set('pageToken', pageToken)

      let response: Response
      try {
        response = await deps.fetchResource(accessToken, url)
      } catch (err) {
        // RFC 6750 §3: the resource server explains a refusal in WWW-Authenticate.
        if (err instanceof client.WWWAuthenticateChallengeError) {
          const error = err.cause.find((c) => c.scheme === 'bearer')?.parameters.error
          if (err.status === 401 || error === 'invalid_token') throw new AccessTokenRejectedError()
          if (err.status === 403 || error === 'insufficient_scope')
            throw forbidden(deps.providerId, err)
          if (err.status >= 500 || err.status === 429) throw unavailable(err)
          throw badResponse(err)
        }
        throw unavailable(err)
      }

      if (response.status === 401) throw new AccessTokenRejectedError()
      if (response.status === 403)
        throw forbidden(deps.providerId, new Error('403 from the contacts API'))
      if (response.status === 429 || response.status >= 500) {
        throw unavailable(new Error(`${response.status} from the contacts API`))
      }
      if (!response.ok) throw badResponse(new Error(`${response.status} from the contacts API`))

      let body: { connections?: Person[]; nextPageToken?: unknown }
      try {
        body = JSON.parse(await readCapped(response, MAX_PAGE_BYTES)) as typeof body
      } catch (err) {
        throw badResponse(err)
      }
      if (typeof body !== 'object' || body === null)
        throw badResponse(new Error('not a JSON object'))
      return {
        // proto3 JSON leaves empty lists out: no `connections` means none.
        contacts: list(body.connections).flatMap((person) => toContact(person) ?? []),
        nextPageToken: str(body.nextPageToken),
      }
    },
  }
}
