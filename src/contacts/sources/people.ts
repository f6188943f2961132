// Google People API v1 `people.connections.list` (contacts-apis.md §3.1-3.2, §3.6): one
// page per call, mapped onto our Contact model. Failures are translated by the shared rules
// of source-errors.ts.
import type { CountryCode } from 'libphonenumber-js/max'
import { parsePhoneNumberFromString } from 'libphonenumber-js/max'
import type {
  Contact,
  ContactBirthday,
  ContactDate,
  ContactEvent,
  ContactPhoto,
  ContactRelation,
} from '../contact.ts'
import type { ContactSource, PageCursor } from '../contact-source.ts'
import { readCapped } from '../read-capped.ts'
import { contactsBadResponse, fetchFailure, statusFailure } from '../source-errors.ts'

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

/**
 * A Person as received: untrusted JSON, so every field is read defensively. A field of the
 * wrong type is read as absent, never as a failure of the page.
 */
export type Person = Readonly<Record<string, unknown>>
type Item = Readonly<Record<string, unknown>>

export interface PersonMappingOptions {
  /**
   * The region assumed for phone numbers written without a country code, when the provider
   * gave no canonical form (ISO 3166-1 alpha-2). Without it such numbers get no E.164.
   */
  defaultRegion?: CountryCode | undefined
}

const isObject = (v: unknown): v is Item => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined)
/** The objects of a JSON array; anything else (null, a string) is skipped, not a crash. */
const list = (v: unknown): Item[] => (Array.isArray(v) ? v.filter(isObject) : [])
const isPrimary = (item: Item) => isObject(item.metadata) && item.metadata.primary === true
/** The items of a field, its primary one first (People gives them in no guaranteed order). */
const field = (person: Person, name: string): Item[] =>
  list(person[name]).sort((a, b) => Number(isPrimary(b)) - Number(isPrimary(a)))

const part = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined)

/** A google.type.Date; 0 or absent means unset. Month and day are needed, the year is not. */
function toDate(v: unknown): ContactDate | undefined {
  if (!isObject(v)) return undefined
  const year = part(v.year)
  const month = part(v.month)
  const day = part(v.day)
  if (month === undefined || day === undefined || month > 12 || day > 31) return undefined
  return year === undefined ? { month, day } : { year, month, day }
}

/** E.164 for what the person typed, when it is a valid number; otherwise none. */
function toE164(value: string, defaultRegion: CountryCode | undefined): string | undefined {
  try {
    const parsed = parsePhoneNumberFromString(value, defaultRegion)
    return parsed?.isValid() ? parsed.number : undefined
  } catch {
    return undefined // the library throws on some inputs instead of returning undefined
  }
}

/** People's Person (contacts-apis.md §3.2) onto our Contact (§9.1); undefined without an id. */
export function toContact(person: Person, options: PersonMappingOptions = {}): Contact | undefined {
  const externalId = str(person.resourceName)
  if (!externalId) return undefined
  const name = field(person, 'names')[0]

  return {
    externalId,
    etag: str(person.etag),
    name: {
      display: str(name?.displayName),
      given: str(name?.givenName),
      middle: str(name?.middleName),
      family: str(name?.familyName),
      prefix: str(name?.honorificPrefix),
      suffix: str(name?.honorificSuffix),
      phoneticGiven: str(name?.phoneticGivenName),
      phoneticFamily: str(name?.phoneticFamilyName),
    },
    nicknames: field(person, 'nicknames').flatMap((n) => str(n.value) ?? []),
    emails: field(person, 'emailAddresses').flatMap((e) => {
      const address = str(e.value)
      return address ? [{ address, type: str(e.type), primary: isPrimary(e) }] : []
    }),
    phones: field(person, 'phoneNumbers').flatMap((p) => {
      const value = str(p.value)
      if (!value) return []
      const e164 = str(p.canonicalForm) ?? toE164(value, options.defaultRegion)
      return [{ value, e164, type: str(p.type), primary: isPrimary(p) }]
    }),
    addresses: field(person, 'addresses').flatMap((a) => {
      const address = {
        formatted: str(a.formattedValue),
        street: str(a.streetAddress),
        city: str(a.city),
        region: str(a.region),
        postalCode: str(a.postalCode),
        country: str(a.country),
        countryCode: str(a.countryCode),
      }
      if (Object.values(address).every((v) => v === undefined)) return []
      return [{ ...address, type: str(a.type), primary: isPrimary(a) }]
    }),
    organizations: field(person, 'organizations').flatMap((o) => {
      const organization = {
        name: str(o.name),
        title: str(o.title),
        department: str(o.department),
      }
      if (Object.values(organization).every((v) => v === undefined)) return []
      return [{ ...organization, type: str(o.type), primary: isPrimary(o) }]
    }),
    birthdays: field(person, 'birthdays').flatMap((b): ContactBirthday[] => {
      const date = toDate(b.date)
      const text = str(b.text)
      return date || text ? [{ date, text, primary: isPrimary(b) }] : []
    }),
    urls: field(person, 'urls').flatMap((u) => {
      const value = str(u.value)
      return value ? [{ value, type: str(u.type), primary: isPrimary(u) }] : []
    }),
    notes: field(person, 'biographies').flatMap((b) => {
      const value = str(b.value)
      if (!value) return []
      return [{ value, contentType: b.contentType === 'TEXT_HTML' ? 'text/html' : 'text/plain' }]
    }),
    relations: field(person, 'relations').flatMap((r): ContactRelation[] => {
      const related = str(r.person)
      return related ? [{ person: related, type: str(r.type) }] : []
    }),
    events: field(person, 'events').flatMap((e): ContactEvent[] => {
      const date = toDate(e.date)
      return date ? [{ date, type: str(e.type) }] : []
    }),
    photos: field(person, 'photos').flatMap((p): ContactPhoto[] => {
      const url = str(p.url)
      return url ? [{ url, isDefault: p.default === true, primary: isPrimary(p) }] : []
    }),
    labels: list(person.memberships).flatMap((m) => {
      const group = isObject(m.contactGroupMembership) ? m.contactGroupMembership : undefined
      return str(group?.contactGroupResourceName) ?? []
    }),
    raw: person,
  }
}

export function createPeopleSource(deps: {
  provider: string
  baseUrl: URL
  fetchResource: (accessToken: string, url: URL) => Promise<Response>
  /** For phone numbers without a country code (PersonMappingOptions). */
  defaultRegion?: CountryCode | undefined
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
    // People binds a pageToken to the query that produced it: every other parameter must be
    // identical on every page, or the page is refused (contacts-apis.md §3.1, §3.3).
    const url = new URL(endpoint)
    url.searchParams.set('personFields', PERSON_FIELDS)
    url.searchParams.set('pageSize', String(PAGE_SIZE))
    // The last page then carries a nextSyncToken, for the later incremental import (§3.3).
    url.searchParams.set('requestSyncToken', 'true')
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

      let body: { connections?: unknown; nextPageToken?: unknown; nextSyncToken?: unknown }
      try {
        body = JSON.parse(await readCapped(response, MAX_PAGE_BYTES)) as typeof body
      } catch (err) {
        throw contactsBadResponse(provider, err)
      }
      if (typeof body !== 'object' || body === null) {
        throw contactsBadResponse(provider, new Error('not a JSON object'))
      }
      const token = str(body.nextPageToken)
      const syncToken = token ? undefined : str(body.nextSyncToken)
      const mapping = { defaultRegion: deps.defaultRegion }
      return {
        // proto3 JSON leaves empty lists out: no `connections` means none.
        contacts: list(body.connections).flatMap((person) => toContact(person, mapping) ?? []),
        deleted: [],
        relinked: [],
        skipped: [],
        next: token ? { token } : undefined,
        ...(syncToken && { syncToken }),
      }
    },

    async listGroups() {
      return new Map()
    },
  }
}
