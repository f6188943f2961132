// The subset of the People API v1 Person JSON that the demo RS serves (contacts-apis.md §3.2).
// Proto3 JSON: absent means empty or false, so optional keys are left out rather than emptied.

export interface Source {
  type: 'CONTACT'
  id: string
}

export interface FieldMetadata {
  /** Exactly one item per non-empty field is primary; the others leave the key out. */
  primary?: true
  sourcePrimary?: true
  source: Source
}

export interface PersonMetadata {
  sources: Array<Source & { etag: string; updateTime: string }>
  objectType: 'PERSON'
  /** Only in sync responses, on a person deleted since the token (contacts-apis.md §3.2). */
  deleted?: true
  /** Only in sync responses, on a person whose resourceName changed since the token. */
  previousResourceNames?: string[]
}

export interface Name {
  metadata: FieldMetadata
  displayName: string
  displayNameLastFirst: string
  unstructuredName: string
  familyName?: string
  givenName?: string
  middleName?: string
  honorificPrefix?: string
  honorificSuffix?: string
  phoneticGivenName?: string
  phoneticFamilyName?: string
}

export interface Nickname {
  metadata: FieldMetadata
  value: string
  type?: 'DEFAULT' | 'ALTERNATE_NAME'
}

export interface EmailAddress {
  metadata: FieldMetadata
  value: string
  type: string
  formattedType: string
}

export interface PhoneNumber {
  metadata: FieldMetadata
  value: string
  /** E.164; Google leaves it out when it cannot parse the number. */
  canonicalForm?: string
  type: string
  formattedType: string
}

export interface Organization {
  metadata: FieldMetadata
  name: string
  title?: string
  department?: string
  type: 'work'
  formattedType: 'Work'
  current: true
}

export interface Address {
  metadata: FieldMetadata
  formattedValue: string
  type: string
  formattedType: string
  streetAddress?: string
  city?: string
  region?: string
  postalCode?: string
  country?: string
  countryCode?: string
}

/** google.type.Date: a birthday may leave the year out. */
export interface PeopleDate {
  year?: number
  month: number
  day: number
}

export interface Birthday {
  metadata: FieldMetadata
  date: PeopleDate
}

export interface Url {
  metadata: FieldMetadata
  value: string
  type: string
  formattedType: string
}

export interface Biography {
  metadata: FieldMetadata
  value: string
  contentType: 'TEXT_PLAIN' | 'TEXT_HTML'
}

export interface Relation {
  metadata: FieldMetadata
  person: string
  type: string
  formattedType: string
}

export interface Event {
  metadata: FieldMetadata
  date: PeopleDate
  type: string
  formattedType: string
}

export interface Photo {
  metadata: FieldMetadata
  url: string
  /** A generated placeholder; proto3 leaves a false value out. */
  default?: true
}

export interface Membership {
  metadata: { source: Source }
  contactGroupMembership: { contactGroupId: string; contactGroupResourceName: string }
}

export interface Person {
  /** `people/c<digits>` */
  resourceName: string
  etag: string
  metadata?: PersonMetadata
  names?: Name[]
  emailAddresses?: EmailAddress[]
  phoneNumbers?: PhoneNumber[]
  organizations?: Organization[]
  nicknames?: Nickname[]
  addresses?: Address[]
  birthdays?: Birthday[]
  urls?: Url[]
  biographies?: Biography[]
  relations?: Relation[]
  events?: Event[]
  photos?: Photo[]
  memberships?: Membership[]
}

/** Contacts per user, keyed by the access token's `sub`: what a server starts with. */
export type PeopleBySubject = ReadonlyMap<string, readonly Person[]>
