// Contact groups (labels) of the demo People API, as contactGroups.list returns them
// (contacts-apis.md §3.2, §7.1). Every account has Google's system groups; the user groups
// below are the demo's own, and the seeded people are members of them.
import { createHash } from 'node:crypto'

export type GroupType = 'USER_CONTACT_GROUP' | 'SYSTEM_CONTACT_GROUP'

export interface ContactGroupSeed {
  /** `contactGroups/<id>` */
  resourceName: string
  /** The group's name as the user typed it; system groups have a fixed id-like name. */
  name: string
  /** What Google shows: the user's name for user groups, a translated one for system groups. */
  formattedName?: string
  groupType?: GroupType
}

/** A ContactGroup as served (proto3 JSON: a memberCount of 0 is left out). */
export interface ContactGroup {
  resourceName: string
  etag: string
  metadata?: { updateTime: string }
  groupType?: GroupType
  name?: string
  formattedName?: string
  memberCount?: number
}

/** Every Google account has these; they are listed whatever the user's own groups are. */
export const SYSTEM_CONTACT_GROUPS: readonly ContactGroupSeed[] = Object.freeze([
  {
    resourceName: 'contactGroups/myContacts',
    name: 'myContacts',
    formattedName: 'My Contacts',
    groupType: 'SYSTEM_CONTACT_GROUP',
  },
  {
    resourceName: 'contactGroups/starred',
    name: 'starred',
    formattedName: 'Starred',
    groupType: 'SYSTEM_CONTACT_GROUP',
  },
])

/** The demo users' own labels; user group ids are opaque hex at Google. */
export const DEMO_CONTACT_GROUPS: readonly ContactGroupSeed[] = Object.freeze([
  { resourceName: 'contactGroups/4b1c2f0e8a9d7e61', name: 'Family' },
  { resourceName: 'contactGroups/6d0e3a5b2c7f9140', name: 'Work' },
  { resourceName: 'contactGroups/1f8e7d6c5b4a3921', name: 'Book club' },
])

/** groupFields of contactGroups.list; when absent, Google returns these four. */
export const GROUP_FIELDS: ReadonlySet<string> = new Set([
  'clientData',
  'groupType',
  'memberCount',
  'metadata',
  'name',
])
const DEFAULT_GROUP_FIELDS: ReadonlySet<string> = new Set([
  'groupType',
  'memberCount',
  'metadata',
  'name',
])

/** The requested groupFields, or undefined when the mask names an unknown field. */
export function parseGroupFields(mask: string | undefined): ReadonlySet<string> | undefined {
  if (mask === undefined || mask.trim() === '') return DEFAULT_GROUP_FIELDS
  const fields = mask.split(',').map((field) => field.trim())
  return fields.every((field) => GROUP_FIELDS.has(field)) ? new Set(fields) : undefined
}

const UPDATED = '2025-01-01T00:00:00.000Z'

export function projectGroup(
  group: ContactGroupSeed,
  memberCount: number,
  fields: ReadonlySet<string>,
): ContactGroup {
  const etag = `%${createHash('sha256').update(`${group.resourceName}\n${group.name}`).digest('base64').slice(0, 16)}`
  return {
    resourceName: group.resourceName,
    etag,
    ...(fields.has('metadata') && { metadata: { updateTime: UPDATED } }),
    ...(fields.has('groupType') && { groupType: group.groupType ?? 'USER_CONTACT_GROUP' }),
    ...(fields.has('name') && {
      name: group.name,
      formattedName: group.formattedName ?? group.name,
    }),
    ...(fields.has('memberCount') && memberCount > 0 && { memberCount }),
  }
}
