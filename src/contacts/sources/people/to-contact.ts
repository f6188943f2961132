// People's Person (contacts-apis.md §3.2) onto our Contact (§9.1): every field the model
// keeps, each list primary first, the Person itself as `raw`.
import type { CountryCode } from 'libphonenumber-js/max'
import type {
  Contact,
  ContactBirthday,
  ContactDate,
  ContactEvent,
  ContactPhoto,
  ContactRelation,
} from '../../contact.ts'
import { toE164 } from '../../phone-number.ts'
import { type Item, isObject, list, str } from './json.ts'

/**
 * A Person as received: untrusted JSON, so every field is read defensively. A field of the
 * wrong type is read as absent, never as a failure of the page.
 */
export type Person = Readonly<Record<string, unknown>>

export interface PersonMappingOptions {
  /**
   * The region assumed for phone numbers written without a country code, when the provider
   * gave no canonical form (ISO 3166-1 alpha-2). Without it such numbers get no E.164.
   */
  defaultRegion?: CountryCode | undefined
}

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
