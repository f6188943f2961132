// "Make a few changes" for the demo control page: what a person would do in their address
// book between two imports — add two contacts, edit three, delete one — so a newcomer sees an
// incremental import report exactly those changes. The choice of contacts is drawn from the
// change sequence, so each press touches other people, and a test can replay it.
import type { ContactDirectory } from './contact-directory.ts'
import type { FieldMetadata, Person } from './person.ts'

export interface DemoChange {
  resourceName: string
  /** What a person would call the contact. */
  label: string
}

export interface DemoChanges {
  added: DemoChange[]
  edited: DemoChange[]
  deleted: DemoChange[]
}

const NEW_PEOPLE = [
  ['Noor', 'Haddad'],
  ['Mateo', 'Rossi'],
  ['Aiyana', 'Redcloud'],
  ['Kenji', 'Watanabe'],
  ['Freya', 'Lindqvist'],
  ['Tomás', 'Ó Briain'],
] as const

const source = { type: 'CONTACT' as const, id: '0' }
const primary: FieldMetadata = { primary: true, sourcePrimary: true, source }

export function labelOf(person: Person): string {
  return (
    person.names?.[0]?.displayName ||
    person.emailAddresses?.[0]?.value ||
    person.phoneNumbers?.[0]?.value ||
    person.resourceName
  )
}

function newPerson(n: number, at: Date): Omit<Person, 'resourceName' | 'etag'> {
  const [given, family] = NEW_PEOPLE[n % NEW_PEOPLE.length] ?? NEW_PEOPLE[0]
  const local = `${given}.${family}`
    .normalize('NFD')
    .replace(/[^A-Za-z.]/g, '')
    .toLowerCase()
  return {
    names: [
      {
        metadata: primary,
        displayName: `${given} ${family}`,
        displayNameLastFirst: `${family}, ${given}`,
        unstructuredName: `${given} ${family}`,
        givenName: given,
        familyName: family,
      },
    ],
    emailAddresses: [
      { metadata: primary, value: `${local}@example.org`, type: 'home', formattedType: 'Home' },
    ],
    biographies: [
      {
        metadata: primary,
        value: `Added at the demo provider on ${at.toISOString()}.`,
        contentType: 'TEXT_PLAIN',
      },
    ],
    memberships: [
      {
        metadata: { source },
        contactGroupMembership: {
          contactGroupId: 'myContacts',
          contactGroupResourceName: 'contactGroups/myContacts',
        },
      },
    ],
  }
}

/** `count` distinct neighbouring indexes below `length`, starting at a place drawn from `seed`. */
function spread(seed: number, length: number, count: number): number[] {
  if (length === 0) return []
  const start = (seed * 7919) % length
  return Array.from({ length: Math.min(count, length) }, (_, k) => (start + k) % length)
}

/** Adds 2 contacts, edits 3 and deletes 1 of the subject's (fewer when the book is small). */
export function makeDemoChanges(
  directory: ContactDirectory,
  sub: string,
  at: Date = new Date(),
): DemoChanges {
  const before = directory.people(sub)
  const [deleteAt, ...editAt] = spread(directory.seq, before.length, 4)
  const changes: DemoChanges = { added: [], edited: [], deleted: [] }

  for (const index of editAt) {
    const person = before[index]
    if (!person) continue
    const edited = directory.update(sub, person.resourceName, {
      biographies: [
        {
          metadata: primary,
          value: `Edited at the demo provider on ${at.toISOString()}.`,
          contentType: 'TEXT_PLAIN',
        },
      ],
    })
    changes.edited.push({ resourceName: edited.resourceName, label: labelOf(edited) })
  }
  const doomed = deleteAt === undefined ? undefined : before[deleteAt]
  if (doomed) {
    directory.delete(sub, doomed.resourceName)
    changes.deleted.push({ resourceName: doomed.resourceName, label: labelOf(doomed) })
  }
  for (let n = 0; n < 2; n += 1) {
    const added = directory.add(sub, newPerson(directory.seq + n, at))
    changes.added.push({ resourceName: added.resourceName, label: labelOf(added) })
  }
  return changes
}
