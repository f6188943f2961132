// The address book as a Google Contacts CSV (the current header set, contacts-apis.md §6.3),
// the file Google Contacts and most other address books import. Several values in one cell
// are joined with " ::: ", and "* " before a label marks the primary entry, as Google's own
// export does; emails, phones and websites that share a label share a column group.
//
// The number of numbered column groups cannot follow the data: the export is streamed, so
// the header is written before the widest contact is read. Fixed maxima are used instead
// (GROUPS below); a contact with more label groups than that puts the rest into its last
// group's cells, joined the same way, so no value is ever dropped.
import { stringify } from 'csv-stringify/sync'
import type { StoredContact } from '../address-book/contacts-store.ts'
import {
  type Contact,
  type ContactDate,
  type ContactPhotoUrl,
  isPhotoOnDemand,
} from '../contacts/contact.ts'

export const CSV_MEDIA_TYPE = 'text/csv; charset=utf-8'

export const GROUPS = { email: 5, phone: 5, address: 3, website: 3, event: 2, relation: 2 }

const JOIN = ' ::: '

const ADDRESS_FIELDS = [
  'Formatted',
  'Street',
  'City',
  'PO Box',
  'Region',
  'Postal Code',
  'Country',
  'Extended Address',
] as const

const numbered = (name: string, count: number, fields: readonly string[]) =>
  Array.from({ length: count }, (_, i) => fields.map((f) => `${name} ${i + 1} - ${f}`)).flat()

export const CSV_COLUMNS: readonly string[] = [
  'First Name',
  'Middle Name',
  'Last Name',
  'Phonetic First Name',
  'Phonetic Middle Name',
  'Phonetic Last Name',
  'Name Prefix',
  'Name Suffix',
  'Nickname',
  'File As',
  'Organization Name',
  'Organization Title',
  'Organization Department',
  'Birthday',
  'Notes',
  'Photo',
  'Labels',
  ...numbered('E-mail', GROUPS.email, ['Label', 'Value']),
  ...numbered('Phone', GROUPS.phone, ['Label', 'Value']),
  ...numbered('Address', GROUPS.address, ['Label', ...ADDRESS_FIELDS]),
  ...numbered('Website', GROUPS.website, ['Label', 'Value']),
  ...numbered('Event', GROUPS.event, ['Label', 'Value']),
  ...numbered('Relation', GROUPS.relation, ['Label', 'Value']),
]

/** Google's own words for its types; a custom label is kept as the person typed it. */
const LABELS: Record<string, string> = {
  home: 'Home',
  work: 'Work',
  other: 'Other',
  mobile: 'Mobile',
  main: 'Main',
  homeFax: 'Home Fax',
  workFax: 'Work Fax',
  otherFax: 'Other Fax',
  pager: 'Pager',
  workMobile: 'Mobile',
  workPager: 'Work Pager',
  googleVoice: 'Google Voice',
  homePage: 'Home Page',
  blog: 'Blog',
  profile: 'Profile',
  ftp: 'FTP',
  anniversary: 'Anniversary',
}
const labelOf = (type: string | undefined) => (type ? (LABELS[type] ?? type) : '')

/** One column group: its label and its cells (one cell per field). */
interface Group {
  label: string
  cells: string[]
}

/**
 * Items sharing a label become one group, values joined; the primary item's group is
 * marked "* ". Groups beyond `max` are merged into the last one.
 */
function byLabel(
  items: ReadonlyArray<{ type: string | undefined; value: string; primary: boolean }>,
): Group[] {
  const groups = new Map<string, { values: string[]; primary: boolean }>()
  for (const item of items) {
    const label = labelOf(item.type)
    const group = groups.get(label) ?? { values: [], primary: false }
    group.values.push(item.value)
    group.primary ||= item.primary
    groups.set(label, group)
  }
  return [...groups].map(([label, g]) => ({
    label: g.primary ? `* ${label}` : label,
    cells: [g.values.join(JOIN)],
  }))
}

/**
 * The cells of `max` column groups: the overflow joins the last group, cell by cell, and
 * missing groups are empty.
 */
function columns(groups: Group[], max: number, width = 1): string[] {
  const kept = groups.slice(0, max)
  const last = kept[max - 1]
  if (last) {
    for (const extra of groups.slice(max)) {
      last.label = [last.label, extra.label].join(JOIN)
      last.cells = last.cells.map((cell, i) => [cell, extra.cells[i] ?? ''].join(JOIN))
    }
  }
  while (kept.length < max) kept.push({ label: '', cells: Array(width).fill('') })
  return kept.flatMap((g) => [g.label, ...g.cells])
}

/** Google's date forms: 1980-12-10, or --12-10 without a year. */
function dateText(date: ContactDate): string {
  const md = `${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`
  return date.year === undefined ? `--${md}` : `${String(date.year).padStart(4, '0')}-${md}`
}

const joined = (values: ReadonlyArray<string | undefined>) =>
  values.every((v) => !v) ? '' : values.map((v) => v ?? '').join(JOIN)

function rowOf(c: Contact): string[] {
  const birthday = c.birthdays.find((b) => b.date) ?? c.birthdays[0]
  // A photo fetched on demand has no URL anyone else could open: it is left out.
  const photo = c.photos.find((p): p is ContactPhotoUrl => !isPhotoOnDemand(p) && !p.isDefault)
  const addresses = c.addresses.map((a) => ({
    label: a.primary ? `* ${labelOf(a.type)}` : labelOf(a.type),
    cells: [
      a.formatted ?? '',
      a.street ?? '',
      a.city ?? '',
      '',
      a.region ?? '',
      a.postalCode ?? '',
      a.country ?? a.countryCode ?? '',
      '',
    ],
  }))
  const emails = byLabel(c.emails.map((e) => ({ ...e, value: e.address })))
  const phones = byLabel(c.phones)
  const websites = byLabel(c.urls)
  const events = c.events.map((e) => ({ label: labelOf(e.type), cells: [dateText(e.date)] }))
  const relations = c.relations.map((r) => ({ label: labelOf(r.type), cells: [r.person] }))
  return [
    c.name.given ?? '',
    c.name.middle ?? '',
    c.name.family ?? '',
    c.name.phoneticGiven ?? '',
    '',
    c.name.phoneticFamily ?? '',
    c.name.prefix ?? '',
    c.name.suffix ?? '',
    c.nicknames.join(JOIN),
    '',
    joined(c.organizations.map((o) => o.name)),
    joined(c.organizations.map((o) => o.title)),
    joined(c.organizations.map((o) => o.department)),
    birthday ? (birthday.date ? dateText(birthday.date) : (birthday.text ?? '')) : '',
    c.notes.map((n) => n.value).join(JOIN),
    photo?.url ?? '',
    c.labels.join(JOIN),
    ...columns(emails, GROUPS.email),
    ...columns(phones, GROUPS.phone),
    ...columns(addresses, GROUPS.address, ADDRESS_FIELDS.length),
    ...columns(websites, GROUPS.website),
    ...columns(events, GROUPS.event),
    ...columns(relations, GROUPS.relation),
  ]
}

/**
 * A cell a spreadsheet would run as a formula (CSV injection, OWASP) gets a leading `'`:
 * one that starts with `=`, `@`, a tab or a CR, or with `+` or `-` followed by anything but
 * a number — so "+49 30 1234567" stays a phone number.
 */
export function defuse(cell: string): string {
  if (/^[=@\t\r]/.test(cell) || /^[+-](?![\d\s().\-/]*$)/.test(cell)) return `'${cell}`
  return cell
}

export const CSV_OPTIONS = {
  record_delimiter: 'windows', // RFC 4180 §2: CRLF
  // With a record delimiter given, csv-stringify only quotes cells holding CRLF itself; a
  // lone LF or CR in a note must be quoted too, or a reader splits the record there.
  quote_record_delimiter: true,
} as const

/** The header line, after the UTF-8 byte order mark that Excel needs to read UTF-8. */
export function csvHead(): string {
  return stringify([CSV_COLUMNS], { ...CSV_OPTIONS, bom: true })
}

export function csvRows(batch: readonly StoredContact[]): string {
  return stringify(
    batch.map((stored) => rowOf(stored.contact).map(defuse)),
    CSV_OPTIONS,
  )
}

/** The whole book as CSV, header first, one batch of rows at a time. */
export async function* googleCsvChunks(
  batches: AsyncIterable<StoredContact[]>,
): AsyncGenerator<string, void> {
  yield csvHead()
  for await (const batch of batches) yield csvRows(batch)
}
