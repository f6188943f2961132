// A stored contact as Graph returns it (contacts-apis.md §4.1, §8.3): without `$select`
// every property, empty ones as null, [] or {} exactly as Graph sends them; with `$select`
// only `@odata.etag`, `id` and the properties asked for. The id is the immutable one only
// when the request asked for it.
import { legacyIdOf, type StoredContact } from './mailbox.ts'

const ADDRESSES = ['homeAddress', 'businessAddress', 'otherAddress']
const LISTS = [
  'categories',
  'imAddresses',
  'homePhones',
  'businessPhones',
  'children',
  'emailAddresses',
]
const SCALARS = [
  'birthday',
  'fileAs',
  'displayName',
  'givenName',
  'middleName',
  'surname',
  'initials',
  'nickName',
  'title',
  'generation',
  'yomiGivenName',
  'yomiSurname',
  'yomiCompanyName',
  'jobTitle',
  'companyName',
  'department',
  'officeLocation',
  'profession',
  'businessHomePage',
  'assistantName',
  'manager',
  'mobilePhone',
  'spouseName',
  'personalNotes',
]
export const CONTACT_PROPERTIES = [
  'createdDateTime',
  'lastModifiedDateTime',
  'changeKey',
  'parentFolderId',
  ...LISTS,
  ...ADDRESSES,
  ...SCALARS,
]

export interface ContactView {
  immutableIds: boolean
  /** Properties asked for with `$select`; undefined for all of them. */
  select: readonly string[] | undefined
}

function property(contact: StoredContact, name: string): unknown {
  switch (name) {
    case 'createdDateTime':
    case 'lastModifiedDateTime':
    case 'changeKey':
      return contact[name]
    case 'parentFolderId':
      return contact.folder
  }
  const value = contact.fields[name]
  if (value !== undefined && value !== null) return value
  if (LISTS.includes(name)) return []
  if (ADDRESSES.includes(name)) return {}
  return null
}

export const idOf = (contact: StoredContact, immutableIds: boolean) =>
  immutableIds ? contact.immutableId : legacyIdOf(contact)

export function contactJson(contact: StoredContact, view: ContactView, only?: readonly string[]) {
  const names = (only ?? view.select ?? CONTACT_PROPERTIES).filter((n) => n !== 'id')
  const json: Record<string, unknown> = {
    '@odata.etag': `W/"${contact.changeKey}"`,
    id: idOf(contact, view.immutableIds),
  }
  for (const name of names) json[name] = property(contact, name)
  return json
}

/** `$select` as a list of known properties; an unknown one is a 400 at Graph. */
export function parseSelect(value: unknown): string[] | undefined | 'invalid' {
  if (value === undefined) return undefined
  if (typeof value !== 'string') return 'invalid'
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)
  if (names.some((n) => n !== 'id' && !CONTACT_PROPERTIES.includes(n))) return 'invalid'
  return names
}
