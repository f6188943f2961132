// The app's own contact model (contacts-apis.md §9): every field the providers give that a
// person would miss after an import. Provider adapters map their payloads onto it, and keep
// the payload itself in `raw`, so that a later mapping can be redone without a new import.
// Lists hold the provider's primary item first; `primary` says whether it was marked so.

/** A calendar date; a birthday may come without its year. */
export interface ContactDate {
  year?: number
  month: number
  day: number
}

export interface ContactName {
  display: string | undefined
  given: string | undefined
  middle: string | undefined
  family: string | undefined
  /** Honorific prefix ("Dr."). */
  prefix: string | undefined
  /** Honorific suffix ("Jr."). */
  suffix: string | undefined
  phoneticGiven: string | undefined
  phoneticFamily: string | undefined
}

export interface ContactEmail {
  address: string
  /** The name the provider shows with the address (Graph `emailAddresses[].name`). */
  displayName?: string | undefined
  type: string | undefined
  primary: boolean
}

export interface ContactPhone {
  /** As the provider holds it, as typed by the person. */
  value: string
  /** E.164: the provider's canonical form, else computed; undefined when not a valid number. */
  e164: string | undefined
  type: string | undefined
  primary: boolean
}

export interface ContactAddress {
  formatted: string | undefined
  street: string | undefined
  city: string | undefined
  region: string | undefined
  postalCode: string | undefined
  country: string | undefined
  /** ISO 3166-1 alpha-2. */
  countryCode: string | undefined
  type: string | undefined
  primary: boolean
}

export interface ContactOrganization {
  name: string | undefined
  title: string | undefined
  department: string | undefined
  type: string | undefined
  primary: boolean
}

/** A date, a free text (Google's deprecated `text`), or both. */
export interface ContactBirthday {
  date: ContactDate | undefined
  text: string | undefined
  primary: boolean
}

export interface ContactUrl {
  value: string
  type: string | undefined
  primary: boolean
}

export interface ContactNote {
  value: string
  contentType: 'text/plain' | 'text/html'
}

export interface ContactRelation {
  /** The related person's name, as typed. */
  person: string
  type: string | undefined
}

export interface ContactEvent {
  date: ContactDate
  type: string | undefined
}

/** A photo at a URL the provider gives in the listing (Google); it is not fetched at import. */
export interface ContactPhotoUrl {
  url: string
  /** A placeholder the provider generated, not a photo someone chose. */
  isDefault: boolean
  primary: boolean
}

/**
 * A photo the provider may hold, served only behind the person's token and fetched on
 * demand, when someone opens it (Graph: the listing says nothing about photos, and asking
 * for each would cost a request per contact, contacts-apis.md §4.2). A path relative to the
 * provider's contacts API, never a URL and never anything token-like: the contact's own
 * source resolves it under its configured contacts URL, and refuses any other.
 */
export interface ContactPhotoOnDemand {
  /** e.g. Graph's `/me/contacts/{id}/photo/$value`, the id URL-encoded. */
  fetchPath: string
  // No `primary`: such a provider holds one photo per contact, and marks none as primary.
}

export type ContactPhoto = ContactPhotoUrl | ContactPhotoOnDemand

export const isPhotoOnDemand = (photo: ContactPhoto): photo is ContactPhotoOnDemand =>
  'fetchPath' in photo

export interface Contact {
  /** The provider's id: Google resourceName. */
  externalId: string
  etag: string | undefined
  name: ContactName
  nicknames: string[]
  emails: ContactEmail[]
  phones: ContactPhone[]
  addresses: ContactAddress[]
  organizations: ContactOrganization[]
  birthdays: ContactBirthday[]
  urls: ContactUrl[]
  notes: ContactNote[]
  relations: ContactRelation[]
  events: ContactEvent[]
  photos: ContactPhoto[]
  /** The provider's groups or labels: Google contact-group resource names. */
  labels: string[]
  /** The provider's own record, as received, so that nothing is lost in the mapping. */
  raw: unknown
}

/** A contact with nothing but its id: the base for adapters and tests. */
export function emptyContact(externalId: string, raw: unknown = undefined): Contact {
  return {
    externalId,
    etag: undefined,
    name: {
      display: undefined,
      given: undefined,
      middle: undefined,
      family: undefined,
      prefix: undefined,
      suffix: undefined,
      phoneticGiven: undefined,
      phoneticFamily: undefined,
    },
    nicknames: [],
    emails: [],
    phones: [],
    addresses: [],
    organizations: [],
    birthdays: [],
    urls: [],
    notes: [],
    relations: [],
    events: [],
    photos: [],
    labels: [],
    raw,
  }
}

/** What to show as the contact's name: its name, else its first email, else its first phone. */
export function displayName(contact: Contact): string {
  return (
    contact.name.display ||
    [contact.name.given, contact.name.family].filter(Boolean).join(' ') ||
    contact.emails[0]?.address ||
    contact.phones[0]?.value ||
    contact.externalId
  )
}

/**
 * Whether the contact holds anything a person could use. A photo (Google generates one for
 * everybody) and labels alone are not enough: such a record shows as a blank line.
 */
export function hasUsableField(contact: Contact): boolean {
  return (
    Object.values(contact.name).some((part) => part !== undefined) ||
    [
      contact.nicknames,
      contact.emails,
      contact.phones,
      contact.addresses,
      contact.organizations,
      contact.birthdays,
      contact.urls,
      contact.notes,
      contact.relations,
      contact.events,
    ].some((values) => values.length > 0)
  )
}
