// One stored contact as a vCard 4.0 (RFC 6350), following the mapping of contacts-apis.md
// §9.3. Every field of the Contact model that vCard can hold is written; events other than
// the first anniversary, which vCard has no property for, go into X-EVENT so that nothing
// the person had is silently left out. Text rules (escaping, quoting, folding) are in
// vcard-text.ts; the lines end in CRLF.
import type { StoredContact } from '../address-book/contacts-store.ts'
import { type ContactDate, isPhotoOnDemand } from '../contacts/contact.ts'
import { contactUid } from './contact-uid.ts'
import { escapeText, foldLine, paramValue, structured, textList, uriValue } from './vcard-text.ts'

export const VCARD_MEDIA_TYPE = 'text/vcard; charset=utf-8'

/** Provider types (Google's) as vCard TYPE values; others are kept as they are. */
const TEL_TYPES: Record<string, string[]> = {
  mobile: ['cell'],
  home: ['home'],
  work: ['work'],
  homeFax: ['fax', 'home'],
  workFax: ['fax', 'work'],
  otherFax: ['fax'],
  pager: ['pager'],
  workMobile: ['cell', 'work'],
  workPager: ['pager', 'work'],
  main: ['voice'],
  googleVoice: ['voice'],
  other: [],
}
const RELATED_TYPES: Record<string, string> = {
  mother: 'parent',
  father: 'parent',
  brother: 'sibling',
  sister: 'sibling',
  relative: 'kin',
  domesticPartner: 'sweetheart',
  partner: 'sweetheart',
  manager: 'co-worker',
  assistant: 'co-worker',
  referredBy: 'contact',
}
/** Types that say nothing a vCard reader could use. */
const NO_TYPE = new Set(['other', 'custom'])

interface Params {
  type?: readonly string[]
  pref?: boolean
  [name: string]: string | boolean | readonly string[] | undefined
}

function paramsOf(params: Params): string {
  let out = ''
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === false) continue
    if (name === 'pref') out += ';PREF=1'
    else if (Array.isArray(value)) {
      if (value.length > 0) out += `;${name.toUpperCase()}=${value.map(paramValue).join(',')}`
    } else if (typeof value === 'string') out += `;${name.toUpperCase()}=${paramValue(value)}`
  }
  return out
}

function typesOf(type: string | undefined, table: Record<string, string[]> = {}): string[] {
  if (!type || NO_TYPE.has(type)) return []
  return table[type] ?? [type]
}

const pad = (n: number, width: number) => String(n).padStart(width, '0')

/** RFC 6350 §4.3.1 date: YYYYMMDD, or --MMDD when the year is unknown. */
function dateValue(date: ContactDate): string {
  const monthDay = `${pad(date.month, 2)}${pad(date.day, 2)}`
  return date.year === undefined ? `--${monthDay}` : `${pad(date.year, 4)}${monthDay}`
}

/** RFC 6350 §4.3.5 timestamp, UTC. */
function timestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`
}

const isWebUrl = (value: string) => /^https?:\/\//i.test(value)

export function vcardOf(stored: StoredContact): string {
  const c = stored.contact
  const lines: string[] = []
  const add = (name: string, params: Params, value: string) =>
    lines.push(`${name}${paramsOf(params)}:${value}`)

  add('BEGIN', {}, 'VCARD')
  add('VERSION', {}, '4.0')
  add('PRODID', {}, '-//Contacts Importer//EN')
  add('UID', {}, contactUid(stored))
  add('REV', {}, timestamp(stored.updatedAt))
  add('FN', {}, escapeText(stored.displayName))
  const n = c.name
  add('N', {}, structured([n.family, n.given, n.middle, n.prefix, n.suffix]))
  if (n.phoneticGiven) add('X-PHONETIC-FIRST-NAME', {}, escapeText(n.phoneticGiven))
  if (n.phoneticFamily) add('X-PHONETIC-LAST-NAME', {}, escapeText(n.phoneticFamily))
  if (c.nicknames.length > 0) add('NICKNAME', {}, textList(c.nicknames))

  for (const email of c.emails) {
    add('EMAIL', { type: typesOf(email.type), pref: email.primary }, escapeText(email.address))
  }
  for (const phone of c.phones) {
    add(
      'TEL',
      { value: 'uri', type: typesOf(phone.type, TEL_TYPES), pref: phone.primary },
      `tel:${uriValue(phone.e164 ?? phone.value)}`,
    )
  }
  for (const a of c.addresses) {
    add(
      'ADR',
      { type: typesOf(a.type), pref: a.primary, label: a.formatted },
      // pobox;ext;street;locality;region;code;country (§6.3.1); the model has no PO box or
      // extended address of its own.
      structured(['', '', a.street, a.city, a.region, a.postalCode, a.country ?? a.countryCode]),
    )
  }
  for (const org of c.organizations) {
    if (org.name || org.department) {
      add(
        'ORG',
        { type: typesOf(org.type), pref: org.primary },
        structured([org.name ?? '', ...(org.department ? [org.department] : [])]),
      )
    }
    if (org.title) add('TITLE', { pref: org.primary }, escapeText(org.title))
  }

  // BDAY and ANNIVERSARY may appear once (§6.2.5, §6.2.6).
  const birthday = c.birthdays.find((b) => b.date) ?? c.birthdays.find((b) => b.text)
  if (birthday?.date) add('BDAY', {}, dateValue(birthday.date))
  else if (birthday?.text) add('BDAY', { value: 'text' }, escapeText(birthday.text))
  const anniversary = c.events.find((e) => e.type === 'anniversary')
  if (anniversary) add('ANNIVERSARY', {}, dateValue(anniversary.date))
  for (const event of c.events) {
    if (event === anniversary) continue
    add('X-EVENT', { type: event.type ? [event.type] : [] }, dateValue(event.date))
  }

  for (const url of c.urls) {
    add('URL', { type: typesOf(url.type), pref: url.primary }, uriValue(url.value))
  }
  for (const note of c.notes) add('NOTE', {}, escapeText(note.value))
  for (const photo of c.photos) {
    // Placeholders the provider drew are not the person's photo; only web URLs are links.
    // A photo fetched on demand lives behind the person's token: no URL to write.
    if (isPhotoOnDemand(photo) || photo.isDefault || !isWebUrl(photo.url)) continue
    add('PHOTO', { pref: photo.primary }, uriValue(photo.url))
  }
  for (const relation of c.relations) {
    const type = relation.type ? (RELATED_TYPES[relation.type] ?? relation.type) : undefined
    add('RELATED', { type: type ? [type] : [], value: 'text' }, escapeText(relation.person))
  }
  if (c.labels.length > 0) add('CATEGORIES', {}, textList(c.labels))
  add('END', {}, 'VCARD')
  return lines.map(foldLine).join('')
}

/** The whole book, one card at a time, as it is read in batches. */
export async function* vcardChunks(
  batches: AsyncIterable<StoredContact[]>,
): AsyncGenerator<string, void> {
  for await (const batch of batches) yield batch.map(vcardOf).join('')
}
