// A Graph contact (contacts-apis.md §4.1, §4.2) onto our Contact (§9.2): every field the
// model keeps, the contact itself as `raw`. Graph has no types on emails and no primary
// flags: the first email is treated as the primary one (§9.2); phones come in three
// buckets (mobile, business, home); addresses in three slots, `{}` when empty.
import type { CountryCode } from 'libphonenumber-js/max'
import type {
  Contact,
  ContactAddress,
  ContactBirthday,
  ContactPhone,
  ContactRelation,
} from '../../contact.ts'
import { toE164 } from '../../phone-number.ts'
import { type Item, isObject, list, str, strings } from './json.ts'
import { photoPath } from './photo.ts'

/** Every contact property the mapping reads: the `$select` of every request (§4.1). */
export const SELECTED_FIELDS = [
  'parentFolderId',
  'changeKey',
  'createdDateTime',
  'lastModifiedDateTime',
  'displayName',
  'givenName',
  'middleName',
  'surname',
  'title',
  'generation',
  'initials',
  'fileAs',
  'nickName',
  'yomiGivenName',
  'yomiSurname',
  'yomiCompanyName',
  'emailAddresses',
  'mobilePhone',
  'businessPhones',
  'homePhones',
  'homeAddress',
  'businessAddress',
  'otherAddress',
  'companyName',
  'jobTitle',
  'department',
  'officeLocation',
  'profession',
  'birthday',
  'businessHomePage',
  'imAddresses',
  'personalNotes',
  'spouseName',
  'children',
  'manager',
  'assistantName',
  'categories',
] as const

export interface GraphMappingOptions {
  /** The region assumed for phone numbers without a country code (ISO 3166-1 alpha-2). */
  defaultRegion?: CountryCode | undefined
}

const SLOTS = [
  ['homeAddress', 'home'],
  ['businessAddress', 'work'],
  ['otherAddress', 'other'],
] as const

function toAddress(v: unknown, type: string): ContactAddress[] {
  if (!isObject(v)) return []
  const address = {
    formatted: undefined,
    street: str(v.street),
    city: str(v.city),
    region: str(v.state),
    postalCode: str(v.postalCode),
    country: str(v.countryOrRegion),
    countryCode: undefined,
  }
  // An empty slot comes back as {} or with every part empty (§4.2).
  if (Object.values(address).every((part) => part === undefined)) return []
  return [{ ...address, type, primary: false }]
}

/** The UTC date part of a DateTimeOffset (§4.2: often T11:59:00Z); years below 1 are none. */
function toBirthday(v: unknown): ContactBirthday[] {
  const text = str(v)
  const match = text ? /^(\d{4})-(\d{2})-(\d{2})T/.exec(text) : null
  if (!match) return []
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number]
  if (month < 1 || month > 12 || day < 1 || day > 31) return []
  return [
    { date: year >= 1 ? { year, month, day } : { month, day }, text: undefined, primary: true },
  ]
}

/** Whether a delta item carries every selected property: Graph may send only changed ones. */
export function isComplete(item: Item): boolean {
  return SELECTED_FIELDS.every((name) => Object.hasOwn(item, name))
}

/** A Graph contact onto our Contact; undefined without an id. */
export function toContact(item: Item, options: GraphMappingOptions = {}): Contact | undefined {
  const externalId = str(item.id)
  if (!externalId) return undefined
  const phone = (value: string, type: string, primary: boolean): ContactPhone => ({
    value,
    e164: toE164(value, options.defaultRegion),
    type,
    primary,
  })
  const mobile = str(item.mobilePhone)
  const phones = [
    ...(mobile ? [phone(mobile, 'mobile', false)] : []),
    ...strings(item.businessPhones).map((p) => phone(p, 'work', false)),
    ...strings(item.homePhones).map((p) => phone(p, 'home', false)),
  ]
  const organization = {
    name: str(item.companyName),
    title: str(item.jobTitle),
    department: str(item.department),
  }
  const relations: ContactRelation[] = [
    ...(str(item.spouseName) ? [{ person: str(item.spouseName) as string, type: 'spouse' }] : []),
    ...strings(item.children).map((person) => ({ person, type: 'child' })),
    ...(str(item.manager) ? [{ person: str(item.manager) as string, type: 'manager' }] : []),
    ...(str(item.assistantName)
      ? [{ person: str(item.assistantName) as string, type: 'assistant' }]
      : []),
  ]
  const homePage = str(item.businessHomePage)
  const notes = str(item.personalNotes)
  const nickname = str(item.nickName)

  return {
    externalId,
    etag: str(item['@odata.etag']),
    name: {
      display: str(item.displayName),
      given: str(item.givenName),
      middle: str(item.middleName),
      family: str(item.surname),
      prefix: str(item.title),
      suffix: str(item.generation),
      phoneticGiven: str(item.yomiGivenName),
      phoneticFamily: str(item.yomiSurname),
    },
    nicknames: nickname ? [nickname] : [],
    emails: list(item.emailAddresses).flatMap((e, n) => {
      const address = str(e.address)
      return address
        ? [{ address, displayName: str(e.name), type: undefined, primary: n === 0 }]
        : []
    }),
    phones,
    addresses: SLOTS.flatMap(([slot, type]) => toAddress(item[slot], type)),
    organizations: Object.values(organization).some((v) => v !== undefined)
      ? [{ ...organization, type: 'work', primary: true }]
      : [],
    birthdays: toBirthday(item.birthday),
    urls: homePage ? [{ value: homePage, type: 'work', primary: true }] : [],
    notes: notes ? [{ value: notes, contentType: 'text/plain' }] : [],
    relations,
    events: [],
    // Graph serves a photo at /me/contacts/{id}/photo/$value, behind the token, and says
    // nothing about it in the listing: finding out which contacts have one would cost a
    // request per contact. So every contact may have one, fetched when someone opens it
    // (photo.ts); most have none, which that request's 404 says.
    photos: [{ fetchPath: photoPath(externalId) }],
    labels: strings(item.categories),
    raw: item,
  }
}
