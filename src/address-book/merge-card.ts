// The contacts of one card as one contact: every value once, in the lead's order first,
// with the connections it came from. Values are the same when they mean the same: emails
// trimmed and case-folded (as the grouping keys them, migration 0005), phones by their
// E.164 form, everything else by its folded text.
import { type Contact, isPhotoOnDemand } from '../contacts/contact.ts'
import { fold } from './normalize.ts'

/** One value of a merged list and the connections (ids) it came from. */
export interface Sourced<T> {
  item: T
  sources: string[]
}

export const emailKey = (address: string) => address.trim().toLowerCase()

function mergeList<T extends object>(
  members: ReadonlyArray<{ connectionId: string; items: readonly T[] }>,
  key: (item: T) => string,
): Array<Sourced<T>> {
  const merged = new Map<string, Sourced<T>>()
  let primarySeen = false
  for (const member of members) {
    for (const item of member.items) {
      const k = key(item)
      const found = merged.get(k)
      if (found) {
        if (!found.sources.includes(member.connectionId)) found.sources.push(member.connectionId)
        continue
      }
      // One primary per list: the first one met (the lead's, when it has one).
      const primary = 'primary' in item && item.primary === true && !primarySeen
      if (primary) primarySeen = true
      const copy = 'primary' in item ? { ...item, primary } : item
      merged.set(k, { item: copy, sources: [member.connectionId] })
    }
  }
  return [...merged.values()]
}

const text = (...parts: ReadonlyArray<string | undefined>) =>
  parts.map((p) => fold(p ?? '')).join('\u0000')
const dateKey = (d: { year?: number; month: number; day: number } | undefined) =>
  d ? `${d.year ?? ''}-${d.month}-${d.day}` : ''

export interface MergedCard {
  contact: Contact
  sources: {
    emails: string[][]
    phones: string[][]
    addresses: string[][]
    organizations: string[][]
    birthdays: string[][]
    urls: string[][]
    notes: string[][]
    relations: string[][]
    events: string[][]
    photos: string[][]
  }
}

/** `members` lead first. The name is the lead's, its missing parts filled from the others. */
export function mergeCard(
  members: ReadonlyArray<{ connectionId: string; contact: Contact }>,
): MergedCard {
  const [lead] = members
  if (!lead) throw new Error('mergeCard: a card has at least one contact')
  const of = <T extends object>(pick: (c: Contact) => readonly T[], key: (item: T) => string) =>
    mergeList(
      members.map((m) => ({ connectionId: m.connectionId, items: pick(m.contact) })),
      key,
    )
  const emails = of(
    (c) => c.emails.map((e) => ({ ...e, address: e.address.trim() })),
    (e) => emailKey(e.address),
  )
  const phones = of(
    (c) => c.phones,
    (p) => p.e164 ?? p.value.replace(/[^\d+]/g, ''),
  )
  const addresses = of(
    (c) => c.addresses,
    (a) => text(a.formatted, a.street, a.city, a.region, a.postalCode, a.country),
  )
  const organizations = of(
    (c) => c.organizations,
    (o) => text(o.name, o.title, o.department),
  )
  const birthdays = of(
    (c) => c.birthdays,
    (b) => `${dateKey(b.date)}\u0000${fold(b.text ?? '')}`,
  )
  const urls = of(
    (c) => c.urls,
    (u) => u.value.trim(),
  )
  const notes = of(
    (c) => c.notes,
    (n) => n.value.trim(),
  )
  const relations = of(
    (c) => c.relations,
    (r) => text(r.person, r.type),
  )
  const events = of(
    (c) => c.events,
    (e) => `${dateKey(e.date)}\u0000${e.type ?? ''}`,
  )
  const photos = of(
    (c) => c.photos,
    // A photo fetched on demand is its contact's own: its path names the contact.
    (p) => (isPhotoOnDemand(p) ? `fetch:${p.fetchPath}` : p.url),
  )
  const name = { ...lead.contact.name }
  for (const member of members.slice(1)) {
    for (const [part, value] of Object.entries(member.contact.name)) {
      const key = part as keyof typeof name
      if (name[key] === undefined && value !== undefined) name[key] = value
    }
  }
  const unique = (values: string[]) => [...new Set(values)]
  const items = <T>(list: Array<Sourced<T>>) => list.map((s) => s.item)
  const sources = <T>(list: Array<Sourced<T>>) => list.map((s) => s.sources)
  return {
    contact: {
      ...lead.contact,
      name,
      nicknames: unique(members.flatMap((m) => m.contact.nicknames)),
      emails: items(emails),
      phones: items(phones),
      addresses: items(addresses),
      organizations: items(organizations),
      birthdays: items(birthdays),
      urls: items(urls),
      notes: items(notes),
      relations: items(relations),
      events: items(events),
      photos: items(photos),
      labels: unique(members.flatMap((m) => m.contact.labels)),
    },
    sources: {
      emails: sources(emails),
      phones: sources(phones),
      addresses: sources(addresses),
      organizations: sources(organizations),
      birthdays: sources(birthdays),
      urls: sources(urls),
      notes: sources(notes),
      relations: sources(relations),
      events: sources(events),
      photos: sources(photos),
    },
  }
}
