// The demo People API's data: each subject's contacts, changeable while the server runs, with
// a change sequence (contacts-apis.md §7.1, §7.3). Every mutation takes the next `seq` and
// gives the person a new etag; a deleted person stays as a tombstone for `tombstoneTtlMs`, so
// incremental reads can report the deletion. Readers see the data as of a `seq`
// (readFull/readChanges), which is how page tokens keep a listing consistent while the data
// changes under it.
import { createHash } from 'node:crypto'
import type { ContactGroupSeed } from './contact-groups.ts'
import type { PeopleBySubject, Person, PersonMetadata } from './person.ts'

/** A person to add: the directory assigns a resourceName and the etag when none is given. */
export type NewPerson = Omit<Person, 'resourceName' | 'etag'> & {
  resourceName?: string
  etag?: string
}

/**
 * Fields to replace (a field given as undefined is removed), or a function returning the
 * changed person. resourceName and etag are the directory's: use relink() to rename.
 */
export type PersonChange =
  | Partial<Omit<Person, 'resourceName' | 'etag'>>
  | ((person: Person) => Omit<Person, 'resourceName' | 'etag'>)

/** A person as a reader sees it at some seq. */
export interface ServedPerson {
  person: Person
  /** Deleted as of the reader's seq: serve a tombstone. */
  deleted: boolean
  /** The names this person had, renamed after the reader's `since` (relinks). */
  previousResourceNames: string[]
}

export interface ReadResult {
  items: ServedPerson[]
  /** The key to continue after, when there is more. */
  next: number | undefined
}

export interface ContactDirectory {
  /** The change sequence: the seq of the latest mutation, of any subject. */
  readonly seq: number
  /** Subjects with a book, in the order they were first seeded. */
  subjects(): string[]
  /** The subject's live people, in book order (oldest added first); copies. */
  people(sub: string): Person[]
  get(sub: string, resourceName: string): Person | undefined
  /**
   * A fresh book for the subject (seeding): the people are kept as given, and never changed
   * (a change stores a new version); old people and tombstones are dropped without trace,
   * as if the account had been reset.
   */
  replace(sub: string, people: readonly Person[]): void
  add(sub: string, person: NewPerson): Person
  update(sub: string, resourceName: string, change: PersonChange): Person
  /** Deletes the person; incremental reads report a tombstone. Returns the last version. */
  delete(sub: string, resourceName: string): Person
  /**
   * Gives the person a new resourceName (Google does when a contact is linked to a profile);
   * incremental reads list the old one in metadata.previousResourceNames.
   */
  relink(sub: string, resourceName: string, newResourceName?: string): Person
  /** The subject's user groups (the system groups are added by the groups route). */
  groups(sub: string): readonly ContactGroupSeed[]
  setGroups(sub: string, groups: readonly ContactGroupSeed[]): void
  /** The number of the subject's live people who are members of `group`. */
  memberCount(sub: string, group: string): number
  /** Everyone live as of `asOfSeq`, in book order, after position key `after`. */
  readFull(sub: string, view: { asOfSeq: number; after: number; limit: number }): ReadResult
  /** How many people were live as of `asOfSeq`. */
  countFull(sub: string, asOfSeq: number): number
  /** Everyone changed after `since` up to `asOfSeq`, in change order, after key `after`. */
  readChanges(
    sub: string,
    view: { since: number; asOfSeq: number; after: number; limit: number },
  ): ReadResult
}

export interface ContactDirectoryOptions {
  people?: PeopleBySubject
  /** The user groups of every subject, unless setGroups() says otherwise. */
  groups?: readonly ContactGroupSeed[]
  /** Tombstones are kept at least this long (the sync tokens' lifetime). */
  tombstoneTtlMs: number
  now: () => number
}

interface Entry {
  /** The seq at which the person was added: its place in the book, never changed. */
  readonly addedSeq: number
  /** The current version; for a tombstone, the last one before the deletion. */
  person: Person
  /** The seq of every change (add, update, relink, delete), ascending. */
  changes: number[]
  deletedSeq?: number
  deletedAt?: number
  relinks: Array<{ from: string; seq: number }>
}

interface Book {
  entries: Entry[]
  byName: Map<string, Entry>
}

const clone = <T>(value: T): T => structuredClone(value)

function etagFor(resourceName: string, seq: number, prefix: string): string {
  const digest = createHash('sha256').update(`${resourceName}\n${seq}`).digest('base64')
  return `${prefix}${digest.slice(0, 16)}`
}

export function createContactDirectory(options: ContactDirectoryOptions): ContactDirectory {
  const books = new Map<string, Book>()
  const groupsBySub = new Map<string, readonly ContactGroupSeed[]>()
  const defaultGroups = options.groups ?? []
  let seq = 0
  let nextId = 0

  function book(sub: string): Book {
    let found = books.get(sub)
    if (!found) {
      found = { entries: [], byName: new Map() }
      books.set(sub, found)
    }
    return found
  }

  function purgeTombstones(target: Book): void {
    const cutoff = options.now() - options.tombstoneTtlMs
    if (!target.entries.some((e) => e.deletedAt !== undefined && e.deletedAt < cutoff)) return
    target.entries = target.entries.filter((entry) => {
      const expired = entry.deletedAt !== undefined && entry.deletedAt < cutoff
      if (expired) target.byName.delete(entry.person.resourceName)
      return !expired
    })
  }

  function live(sub: string, resourceName: string): Entry {
    const entry = books.get(sub)?.byName.get(resourceName)
    if (!entry || entry.deletedSeq !== undefined) {
      throw new RangeError(`${sub} has no contact ${resourceName}`)
    }
    return entry
  }

  /** A new version: fresh etags and update time, as Google gives on every change. */
  function stamp(person: Omit<Person, 'etag'>, at: number): Person {
    const updateTime = new Date(options.now()).toISOString()
    const source = person.metadata?.sources[0]
    const metadata: PersonMetadata = {
      ...person.metadata,
      objectType: 'PERSON',
      sources: [
        {
          type: 'CONTACT',
          id: source?.id ?? (0x5e00000 + at).toString(16),
          etag: etagFor(person.resourceName, at, '#'),
          updateTime,
        },
        ...(person.metadata?.sources.slice(1) ?? []),
      ],
    }
    return { ...person, etag: etagFor(person.resourceName, at, '%'), metadata }
  }

  function freshName(target: Book): string {
    let name: string
    do {
      nextId += 1
      name = `people/c${9_000_000_000_000_000 + nextId}`
    } while (target.byName.has(name))
    return name
  }

  function lastChangeAtOrBefore(entry: Entry, asOfSeq: number): number | undefined {
    for (let n = entry.changes.length - 1; n >= 0; n -= 1) {
      const change = entry.changes[n]
      if (change !== undefined && change <= asOfSeq) return change
    }
    return undefined
  }

  const liveAsOf = (entry: Entry, asOfSeq: number) =>
    entry.addedSeq <= asOfSeq && (entry.deletedSeq === undefined || entry.deletedSeq > asOfSeq)

  function served(entry: Entry, deleted: boolean, since: number | undefined): ServedPerson {
    return {
      person: entry.person,
      deleted,
      previousResourceNames:
        since === undefined ? [] : entry.relinks.filter((r) => r.seq > since).map((r) => r.from),
    }
  }

  if (options.people) for (const [sub, people] of options.people) replace(sub, people)

  function replace(sub: string, people: readonly Person[]): void {
    const target: Book = { entries: [], byName: new Map() }
    for (const person of people) {
      if (target.byName.has(person.resourceName)) {
        throw new RangeError(`${person.resourceName} appears twice in the book of ${sub}`)
      }
      seq += 1
      // Not copied: a seed of thousands is shared by many servers in tests, and no version
      // stored here is ever changed in place.
      const entry: Entry = { addedSeq: seq, person, changes: [seq], relinks: [] }
      target.entries.push(entry)
      target.byName.set(person.resourceName, entry)
    }
    books.set(sub, target)
  }

  return {
    get seq() {
      return seq
    },
    subjects: () => [...books.keys()],
    people(sub) {
      const found = books.get(sub)
      if (!found) return []
      return found.entries.filter((e) => e.deletedSeq === undefined).map((e) => clone(e.person))
    },
    get(sub, resourceName) {
      const entry = books.get(sub)?.byName.get(resourceName)
      return entry && entry.deletedSeq === undefined ? clone(entry.person) : undefined
    },
    replace,
    add(sub, person) {
      const target = book(sub)
      purgeTombstones(target)
      const resourceName = person.resourceName ?? freshName(target)
      const existing = target.byName.get(resourceName)
      if (existing && existing.deletedSeq === undefined) {
        throw new RangeError(`${sub} already has a contact ${resourceName}`)
      }
      if (existing) target.entries = target.entries.filter((e) => e !== existing)
      seq += 1
      const { etag: _etag, ...rest } = clone(person)
      const entry: Entry = {
        addedSeq: seq,
        person: stamp({ ...rest, resourceName }, seq),
        changes: [seq],
        relinks: [],
      }
      target.entries.push(entry)
      target.byName.set(resourceName, entry)
      return clone(entry.person)
    },
    update(sub, resourceName, change) {
      const entry = live(sub, resourceName)
      const current = clone(entry.person)
      const { resourceName: _name, etag: _etag, ...fields } = current
      let next: Omit<Person, 'resourceName' | 'etag'>
      if (typeof change === 'function') {
        next = change(current)
      } else {
        const merged: Record<string, unknown> = { ...fields, ...clone(change) }
        for (const [key, value] of Object.entries(merged))
          if (value === undefined) delete merged[key]
        next = merged as Omit<Person, 'resourceName' | 'etag'>
      }
      seq += 1
      const { resourceName: _ignored, etag: _old, ...kept } = next as Person
      entry.person = stamp({ ...kept, resourceName }, seq)
      entry.changes.push(seq)
      return clone(entry.person)
    },
    delete(sub, resourceName) {
      const entry = live(sub, resourceName)
      seq += 1
      entry.changes.push(seq)
      entry.deletedSeq = seq
      entry.deletedAt = options.now()
      return clone(entry.person)
    },
    relink(sub, resourceName, newResourceName) {
      const entry = live(sub, resourceName)
      const target = book(sub)
      const to = newResourceName ?? freshName(target)
      if (target.byName.has(to)) throw new RangeError(`${sub} already has a contact ${to}`)
      seq += 1
      const { etag: _etag, ...rest } = entry.person
      entry.person = stamp({ ...rest, resourceName: to }, seq)
      entry.changes.push(seq)
      entry.relinks.push({ from: resourceName, seq })
      target.byName.delete(resourceName)
      target.byName.set(to, entry)
      return clone(entry.person)
    },
    groups: (sub) => groupsBySub.get(sub) ?? defaultGroups,
    setGroups(sub, groups) {
      groupsBySub.set(sub, clone(groups))
    },
    memberCount(sub, group) {
      const found = books.get(sub)
      if (!found) return 0
      return found.entries.filter(
        (e) =>
          e.deletedSeq === undefined &&
          e.person.memberships?.some(
            (m) => m.contactGroupMembership.contactGroupResourceName === group,
          ),
      ).length
    },
    readFull(sub, { asOfSeq, after, limit }) {
      const found = books.get(sub)
      if (!found) return { items: [], next: undefined }
      purgeTombstones(found)
      const visible = found.entries.filter((e) => e.addedSeq > after && liveAsOf(e, asOfSeq))
      const page = visible.slice(0, limit)
      return {
        items: page.map((entry) => served(entry, false, undefined)),
        next: visible.length > limit ? page.at(-1)?.addedSeq : undefined,
      }
    },
    countFull(sub, asOfSeq) {
      return books.get(sub)?.entries.filter((e) => liveAsOf(e, asOfSeq)).length ?? 0
    },
    readChanges(sub, { since, asOfSeq, after, limit }) {
      const found = books.get(sub)
      if (!found) return { items: [], next: undefined }
      purgeTombstones(found)
      const changed = found.entries
        .map((entry) => ({ entry, key: lastChangeAtOrBefore(entry, asOfSeq) }))
        .filter(
          (c): c is { entry: Entry; key: number } =>
            c.key !== undefined && c.key > since && c.key > after,
        )
        .sort((a, b) => a.key - b.key)
      const page = changed.slice(0, limit)
      return {
        items: page.map(({ entry }) =>
          served(entry, entry.deletedSeq !== undefined && entry.deletedSeq <= asOfSeq, since),
        ),
        next: changed.length > limit ? page.at(-1)?.key : undefined,
      }
    },
  }
}
