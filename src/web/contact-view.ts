// One contact as its page shows it: every field of the Contact model, in words and
// formats a person reads, with links only where they are safe. A URL becomes a link only
// when it is http(s) (never `javascript:`, `data:` or anything else a click would run); a
// phone is a tel: link only by its E.164 form; an HTML note is shown as the text it is,
// never as markup. Photos are not shown: the page loads nothing from other sites (CSP
// img-src 'self', web/security-headers.ts), so a photo at a URL is a link the person may
// open. A photo fetched on demand (Graph) is a link to our own /contacts/:id/photo, not an
// <img>: most such contacts have none, and each of those would show a broken image.
import type { StoredContact } from '../address-book/contacts-store.ts'
import {
  type ContactDate,
  type ContactPhotoOnDemand,
  isPhotoOnDemand,
} from '../contacts/contact.ts'

export interface Item {
  text: string
  /** Set only for a link that is safe to follow (http(s), mailto:, tel:, our own photo route). */
  href: string | undefined
  /** The provider's type ("work", "mobile", a custom label). */
  type: string | undefined
  primary: boolean
  /** Further lines under the text (an organisation's title and department, E.164). */
  details: string[]
}

export interface ContactView {
  id: string
  displayName: string
  names: Array<{ label: string; value: string }>
  nicknames: string[]
  emails: Item[]
  phones: Item[]
  addresses: Item[]
  organizations: Item[]
  birthdays: Item[]
  urls: Item[]
  notes: Array<{ text: string; html: boolean }>
  relations: Item[]
  events: Item[]
  photos: Item[]
  labels: string[]
  importedAt: Date
  updatedAt: Date
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]

/** "10 December 1980", or "10 December" for a birthday without its year. */
export function dateText(date: ContactDate): string {
  const month = MONTHS[date.month - 1] ?? `month ${date.month}`
  return date.year === undefined ? `${date.day} ${month}` : `${date.day} ${month} ${date.year}`
}

/** The URL itself when it is http(s) and parses; anything else is shown, not linked. */
export function safeWebHref(value: string): string | undefined {
  if (!URL.canParse(value)) return undefined
  const url = new URL(value)
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined
}

const item = (text: string, fields: Partial<Item> = {}): Item => ({
  text,
  href: undefined,
  type: undefined,
  primary: false,
  details: [],
  ...fields,
})

const present = (values: ReadonlyArray<string | undefined>) =>
  values.filter((v): v is string => Boolean(v))

/** Where a contact's photo fetched on demand is served, through its connection. */
export const contactPhotoHref = (contactId: string) =>
  `/contacts/${encodeURIComponent(contactId)}/photo`

/** The link to a photo fetched on demand: which contact's route, and whose photo it is. */
export type PhotoLink = (photo: ContactPhotoOnDemand) => { href: string; provider: string }

export function contactView(stored: StoredContact, photoLink?: PhotoLink): ContactView {
  const c = stored.contact
  const linkOf: PhotoLink =
    photoLink ?? (() => ({ href: contactPhotoHref(stored.id), provider: 'the provider' }))
  const n = c.name
  const names = [
    ['Name', n.display],
    ['Prefix', n.prefix],
    ['Given name', n.given],
    ['Middle name', n.middle],
    ['Family name', n.family],
    ['Suffix', n.suffix],
    ['Phonetic given name', n.phoneticGiven],
    ['Phonetic family name', n.phoneticFamily],
  ].flatMap(([label, value]) => (value ? [{ label: label as string, value }] : []))

  return {
    id: stored.id,
    displayName: stored.displayName,
    names,
    nicknames: c.nicknames,
    emails: c.emails.map((e) =>
      item(e.address, {
        // A fixed scheme: whatever the address holds, the link can only write an email.
        href: `mailto:${encodeURIComponent(e.address).replace(/%40/g, '@')}`,
        type: e.type,
        primary: e.primary,
      }),
    ),
    phones: c.phones.map((p) =>
      item(p.value, {
        href: p.e164 && /^\+\d{1,15}$/.test(p.e164) ? `tel:${p.e164}` : undefined,
        type: p.type,
        primary: p.primary,
        details: p.e164 && p.e164 !== p.value ? [p.e164] : [],
      }),
    ),
    addresses: c.addresses.map((a) => {
      const lines = a.formatted
        ? a.formatted.split(/\r\n|\r|\n/)
        : present([a.street, present([a.postalCode, a.city]).join(' '), a.region, a.country])
      const [first = '', ...rest] = lines.length > 0 ? lines : [a.countryCode ?? '']
      return item(first, { type: a.type, primary: a.primary, details: rest })
    }),
    organizations: c.organizations.map((o) =>
      item(o.name ?? o.title ?? o.department ?? '', {
        type: o.type,
        primary: o.primary,
        details: present([
          o.name ? o.title : undefined,
          o.name || o.title ? o.department : undefined,
        ]),
      }),
    ),
    birthdays: c.birthdays.map((b) =>
      item(b.date ? dateText(b.date) : (b.text ?? ''), {
        primary: b.primary,
        details: b.date && b.text ? [b.text] : [],
      }),
    ),
    urls: c.urls.map((u) =>
      item(u.value, { href: safeWebHref(u.value), type: u.type, primary: u.primary }),
    ),
    notes: c.notes.map((note) => ({ text: note.value, html: note.contentType === 'text/html' })),
    relations: c.relations.map((r) => item(r.person, { type: r.type })),
    events: c.events.map((e) => item(dateText(e.date), { type: e.type })),
    photos: c.photos.map((p) => {
      if (isPhotoOnDemand(p)) {
        const link = linkOf(p)
        return item(`Photo at ${link.provider}`, {
          href: link.href,
          details: ['fetched when you open it; not every contact has one'],
        })
      }
      return item(p.isDefault ? 'Placeholder picture' : 'Photo', {
        href: safeWebHref(p.url),
        primary: p.primary,
        details: [p.url],
      })
    }),
    labels: c.labels,
    importedAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  }
}
