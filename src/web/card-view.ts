// One card as its page shows it: the merged contact (address-book/merge-card.ts) in the
// words and safe links of contact-view.ts, each value with a badge per source it came
// from, the card's contacts one by one (what can be taken out), and why they are one card.
import type { CardReason, StoredCard } from '../address-book/contacts-store.ts'
import { mergeCard } from '../address-book/merge-card.ts'
import { isPhotoOnDemand } from '../contacts/contact.ts'
import {
  type ContactView,
  contactPhotoHref,
  contactView,
  type Item,
  type PhotoLink,
} from './contact-view.ts'

/** A source as a badge: its provider's label, and the account when there is one. */
export interface SourceBadge {
  connectionId: string
  label: string
  account: string | undefined
}

/**
 * Badges in one order everywhere — by provider label, then account — rather than in the
 * order the card's contacts happen to come, so the same two sources read the same way on
 * every row and value.
 */
export function inBadgeOrder(badges: SourceBadge[]): SourceBadge[] {
  return badges.sort(
    (a, b) => a.label.localeCompare(b.label) || (a.account ?? '').localeCompare(b.account ?? ''),
  )
}

export type SourcedItem = Item & { sources: SourceBadge[] }

export interface CardView extends Omit<ContactView, keyof MergedLists> {
  emails: SourcedItem[]
  phones: SourcedItem[]
  addresses: SourcedItem[]
  organizations: SourcedItem[]
  birthdays: SourcedItem[]
  urls: SourcedItem[]
  relations: SourcedItem[]
  events: SourcedItem[]
  photos: SourcedItem[]
  notes: Array<{ text: string; html: boolean; sources: SourceBadge[] }>
  sources: SourceBadge[]
  members: Array<{
    id: string
    displayName: string
    source: SourceBadge
    importedAt: Date
    updatedAt: Date
    takenOut: boolean
  }>
  /** "same email a@b.test", "same phone +44…", "joined by you". */
  reasons: string[]
}

type MergedLists = Pick<
  ContactView,
  | 'emails'
  | 'phones'
  | 'addresses'
  | 'organizations'
  | 'birthdays'
  | 'urls'
  | 'relations'
  | 'events'
  | 'photos'
  | 'notes'
>

function reasonText(reason: CardReason, names: ReadonlyMap<string, string>): string {
  if (reason.kind === 'joined') {
    return `joined by you: ${reason.contactIds.map((id) => names.get(id) ?? id).join(' and ')}`
  }
  return `same ${reason.kind} ${reason.value}`
}

export function cardView(card: StoredCard, badge: (connectionId: string) => SourceBadge): CardView {
  const [lead] = card.contacts
  if (!lead) throw new Error('cardView: a card has at least one contact')
  const merged = mergeCard(card.contacts)
  // A photo fetched on demand is served through the contact that holds it, which need not
  // be the lead: found by its path, which names that contact.
  const holders = new Map<string, { id: string; connectionId: string }>()
  for (const member of card.contacts) {
    for (const photo of member.contact.photos) {
      if (isPhotoOnDemand(photo) && !holders.has(photo.fetchPath)) {
        holders.set(photo.fetchPath, { id: member.id, connectionId: member.connectionId })
      }
    }
  }
  const photoLink: PhotoLink = (photo) => {
    const holder = holders.get(photo.fetchPath) ?? lead
    return { href: contactPhotoHref(holder.id), provider: badge(holder.connectionId).label }
  }
  const view = contactView({ ...lead, contact: merged.contact }, photoLink)
  const badges = (ids: readonly string[]) => inBadgeOrder(ids.map(badge))
  const zip = (items: Item[], sources: string[][]): SourcedItem[] =>
    items.map((item, i) => ({ ...item, sources: badges(sources[i] ?? []) }))
  const names = new Map(card.contacts.map((c) => [c.id, c.displayName]))
  const earliest = Math.min(...card.contacts.map((c) => c.createdAt.getTime()))
  const latest = Math.max(...card.contacts.map((c) => c.updatedAt.getTime()))
  return {
    ...view,
    emails: zip(view.emails, merged.sources.emails),
    phones: zip(view.phones, merged.sources.phones),
    addresses: zip(view.addresses, merged.sources.addresses),
    organizations: zip(view.organizations, merged.sources.organizations),
    birthdays: zip(view.birthdays, merged.sources.birthdays),
    urls: zip(view.urls, merged.sources.urls),
    relations: zip(view.relations, merged.sources.relations),
    events: zip(view.events, merged.sources.events),
    photos: zip(view.photos, merged.sources.photos),
    notes: view.notes.map((note, i) => ({
      ...note,
      sources: badges(merged.sources.notes[i] ?? []),
    })),
    importedAt: new Date(earliest),
    updatedAt: new Date(latest),
    sources: badges([...new Set(card.contacts.map((c) => c.connectionId))]),
    members: card.contacts.map((c) => ({
      id: c.id,
      displayName: c.displayName,
      source: badge(c.connectionId),
      importedAt: c.createdAt,
      updatedAt: c.updatedAt,
      takenOut: card.takenOut.includes(c.id),
    })),
    reasons: card.reasons.map((r) => reasonText(r, names)),
  }
}
