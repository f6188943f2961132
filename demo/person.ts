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
}

export interface Name {
  metadata: FieldMetadata
  displayName: string
  displayNameLastFirst: string
  unstructuredName: string
  familyName?: string
  givenName?: string
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
  type: 'work'
  formattedType: 'Work'
  current: true
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
}

/** Contacts per user, keyed by the access token's `sub`. */
export type ContactDirectory = ReadonlyMap<string, readonly Person[]>
