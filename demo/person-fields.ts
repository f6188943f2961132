// The personFields mask of people.connections.list: parsing with Google's messages, and the
// projection that returns only what was asked for (contacts-apis.md §3.1, §7.3).
import type { Person } from './person.ts'

// G1 (discovery revision 20230706), connections.list personFields.
export const PERSON_FIELD_PATHS: ReadonlySet<string> = new Set([
  'addresses',
  'ageRanges',
  'biographies',
  'birthdays',
  'calendarUrls',
  'clientData',
  'coverPhotos',
  'emailAddresses',
  'events',
  'externalIds',
  'genders',
  'imClients',
  'interests',
  'locales',
  'locations',
  'memberships',
  'metadata',
  'miscKeywords',
  'names',
  'nicknames',
  'occupations',
  'organizations',
  'phoneNumbers',
  'photos',
  'relations',
  'sipAddresses',
  'skills',
  'urls',
  'userDefined',
])

export const PERSON_FIELDS_REQUIRED =
  'personFields mask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people.connections/list.'

export type PersonFieldsResult =
  | { ok: true; fields: ReadonlySet<string> }
  | { ok: false; message: string }

export function parsePersonFields(mask: string | undefined): PersonFieldsResult {
  if (mask === undefined || mask.trim() === '')
    return { ok: false, message: PERSON_FIELDS_REQUIRED }
  const paths = mask.split(',').map((path) => path.trim())
  const unknown = paths.find((path) => !PERSON_FIELD_PATHS.has(path))
  if (unknown !== undefined) {
    return { ok: false, message: `Invalid personFields mask path: ${JSON.stringify(unknown)}.` }
  }
  return { ok: true, fields: new Set(paths) }
}

// connections.list returns at most this many emails and phones per person (§3.2).
const LIST_CAPPED = new Set(['emailAddresses', 'phoneNumbers'])
const LIST_CAP = 100

/** resourceName and etag always; other fields only when requested and non-empty (proto3 JSON). */
export function projectPerson(
  person: Person,
  fields: ReadonlySet<string>,
  previousResourceNames: readonly string[] = [],
): Partial<Person> {
  const projected: Record<string, unknown> = {
    resourceName: person.resourceName,
    etag: person.etag,
  }
  for (const [field, value] of Object.entries(person)) {
    if (!fields.has(field) || value === undefined) continue
    if (Array.isArray(value) && value.length === 0) continue
    projected[field] =
      Array.isArray(value) && LIST_CAPPED.has(field) ? value.slice(0, LIST_CAP) : value
  }
  // Only sync responses name the resourceNames a person had before (§3.2).
  if (fields.has('metadata') && previousResourceNames.length > 0) {
    projected.metadata = { ...person.metadata, previousResourceNames: [...previousResourceNames] }
  }
  return projected as Partial<Person>
}

/**
 * A person deleted since the sync token. The flag is inside `metadata`, so a client that did
 * not ask for metadata cannot tell a deletion from an update: the real pitfall (§3.2, §7.3).
 */
export function projectTombstone(person: Person, fields: ReadonlySet<string>): Partial<Person> {
  const sources = person.metadata?.sources ?? []
  return {
    resourceName: person.resourceName,
    etag: person.etag,
    ...(fields.has('metadata') && {
      metadata: {
        ...(sources.length > 0 ? { sources } : {}),
        deleted: true,
      } as Person['metadata'],
    }),
  }
}
