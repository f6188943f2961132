// The address book as an Outlook CSV: the header set Outlook for Windows writes when it
// exports contacts to "Comma Separated Values" and reads back on import (Microsoft
// documents the import, not the columns; this is the set its own export writes, the one
// other address books also read). Outlook has fixed slots — one address per kind (business,
// home, other), three emails, named phones — so what does not fit a slot is written into
// Notes, one "Label: value" line each, and never dropped. Cells are defused and quoted as
// for Google's CSV (google-csv.ts).
import { stringify } from 'csv-stringify/sync'
import type { StoredContact } from '../address-book/contacts-store.ts'
import type { Contact, ContactAddress, ContactDate } from '../contacts/contact.ts'
import { CSV_OPTIONS, defuse } from './google-csv.ts'

const ADDRESS = (kind: string) => [
  `${kind} Street`,
  `${kind} Street 2`,
  `${kind} Street 3`,
  `${kind} City`,
  `${kind} State`,
  `${kind} Postal Code`,
  `${kind} Country/Region`,
]

export const OUTLOOK_COLUMNS: readonly string[] = [
  'Title',
  'First Name',
  'Middle Name',
  'Last Name',
  'Suffix',
  'Company',
  'Department',
  'Job Title',
  ...ADDRESS('Business'),
  ...ADDRESS('Home'),
  ...ADDRESS('Other'),
  "Assistant's Phone",
  'Business Fax',
  'Business Phone',
  'Business Phone 2',
  'Callback',
  'Car Phone',
  'Company Main Phone',
  'Home Fax',
  'Home Phone',
  'Home Phone 2',
  'ISDN',
  'Mobile Phone',
  'Other Fax',
  'Other Phone',
  'Pager',
  'Primary Phone',
  'Radio Phone',
  'TTY/TDD Phone',
  'Telex',
  'Account',
  'Anniversary',
  "Assistant's Name",
  'Billing Information',
  'Birthday',
  'Business Address PO Box',
  'Categories',
  'Children',
  'Directory Server',
  'E-mail Address',
  'E-mail Type',
  'E-mail Display Name',
  'E-mail 2 Address',
  'E-mail 2 Type',
  'E-mail 2 Display Name',
  'E-mail 3 Address',
  'E-mail 3 Type',
  'E-mail 3 Display Name',
  'Gender',
  'Government ID Number',
  'Hobby',
  'Home Address PO Box',
  'Initials',
  'Internet Free Busy',
  'Keywords',
  'Language',
  'Location',
  "Manager's Name",
  'Mileage',
  'Notes',
  'Office Location',
  'Organizational ID Number',
  'Other Address PO Box',
  'Priority',
  'Private',
  'Profession',
  'Referred By',
  'Sensitivity',
  'Spouse',
  'User 1',
  'User 2',
  'User 3',
  'User 4',
  'Web Page',
]

/** Provider phone types (Google's, Graph's as mapped) to Outlook's slots, in order of use. */
const PHONE_SLOTS: Record<string, string[]> = {
  work: ['Business Phone', 'Business Phone 2'],
  business: ['Business Phone', 'Business Phone 2'],
  home: ['Home Phone', 'Home Phone 2'],
  mobile: ['Mobile Phone'],
  workMobile: ['Mobile Phone'],
  main: ['Company Main Phone', 'Primary Phone'],
  workFax: ['Business Fax'],
  homeFax: ['Home Fax'],
  otherFax: ['Other Fax'],
  pager: ['Pager'],
  workPager: ['Pager'],
}
const RELATION_SLOTS: Record<string, string> = {
  spouse: 'Spouse',
  partner: 'Spouse',
  domesticPartner: 'Spouse',
  manager: "Manager's Name",
  assistant: "Assistant's Name",
  referredBy: 'Referred By',
}

/** Outlook's own date form (m/d/yyyy); a date without a year has none, so it goes to Notes. */
const dateText = (d: ContactDate) => `${d.month}/${d.day}/${d.year}`
const isoish = (d: ContactDate) =>
  d.year === undefined ? `--${d.month}-${d.day}` : `${d.year}-${d.month}-${d.day}`

function addressLines(a: ContactAddress): string[] {
  if (a.street) return a.street.split(/\r\n|\r|\n/)
  return a.formatted ? a.formatted.split(/\r\n|\r|\n/).slice(0, 1) : []
}

export function outlookRow(c: Contact): string[] {
  const cells = new Map<string, string>()
  const extra: string[] = []
  const put = (column: string, value: string | undefined) => {
    if (value) cells.set(column, value)
  }
  const free = (column: string) => !cells.has(column)

  put('Title', c.name.prefix)
  put('First Name', c.name.given ?? (c.name.family ? undefined : c.name.display))
  put('Middle Name', c.name.middle)
  put('Last Name', c.name.family)
  put('Suffix', c.name.suffix)
  const [org, ...orgs] = c.organizations
  put('Company', org?.name)
  put('Department', org?.department)
  put('Job Title', org?.title)
  for (const o of orgs) {
    extra.push(`Organisation: ${[o.name, o.title, o.department].filter(Boolean).join(', ')}`)
  }

  for (const a of c.addresses) {
    const kind = a.type === 'work' ? 'Business' : a.type === 'home' ? 'Home' : 'Other'
    const slot = free(`${kind} City`) && free(`${kind} Street`) ? kind : undefined
    if (!slot) {
      extra.push(
        `Address: ${a.formatted ?? [a.street, a.city, a.country].filter(Boolean).join(', ')}`,
      )
      continue
    }
    const [one, two, ...rest] = addressLines(a)
    put(`${slot} Street`, one)
    put(`${slot} Street 2`, two)
    put(`${slot} Street 3`, rest.join(' '))
    put(`${slot} City`, a.city)
    put(`${slot} State`, a.region)
    put(`${slot} Postal Code`, a.postalCode)
    put(`${slot} Country/Region`, a.country ?? a.countryCode)
  }

  for (const p of c.phones) {
    const slots = [...(PHONE_SLOTS[p.type ?? ''] ?? []), 'Other Phone']
    const slot = slots.find(free)
    if (slot) put(slot, p.value)
    else extra.push(`Phone${p.type ? ` (${p.type})` : ''}: ${p.value}`)
  }

  c.emails.forEach((e, i) => {
    if (i >= 3) {
      extra.push(`E-mail: ${e.address}`)
      return
    }
    const prefix = i === 0 ? 'E-mail' : `E-mail ${i + 1}`
    put(`${prefix} Address`, e.address)
    put(`${prefix} Type`, 'SMTP')
    put(`${prefix} Display Name`, e.address)
  })

  const birthday = c.birthdays.find((b) => b.date?.year !== undefined)
  if (birthday?.date) put('Birthday', dateText(birthday.date))
  for (const b of c.birthdays) {
    if (b !== birthday) extra.push(`Birthday: ${b.date ? isoish(b.date) : (b.text ?? '')}`)
  }
  const anniversary = c.events.find((e) => e.type === 'anniversary' && e.date.year !== undefined)
  if (anniversary) put('Anniversary', dateText(anniversary.date))
  for (const e of c.events) {
    if (e !== anniversary) extra.push(`${e.type ?? 'Event'}: ${isoish(e.date)}`)
  }

  const children: string[] = []
  for (const r of c.relations) {
    const slot = RELATION_SLOTS[r.type ?? '']
    if (r.type === 'child') children.push(r.person)
    else if (slot && free(slot)) put(slot, r.person)
    else extra.push(`${r.type ?? 'Relation'}: ${r.person}`)
  }
  put('Children', children.join(', '))

  const [url, ...urls] = c.urls
  put('Web Page', url?.value)
  for (const u of urls) extra.push(`Website: ${u.value}`)
  for (const n of c.nicknames) extra.push(`Nickname: ${n}`)
  // Outlook separates categories with ";".
  put('Categories', c.labels.join(';'))
  put('Notes', [...c.notes.map((n) => n.value), ...extra].join('\n'))
  put('Sensitivity', 'Normal')
  put('Priority', 'Normal')
  put('Private', 'False')
  return OUTLOOK_COLUMNS.map((column) => cells.get(column) ?? '')
}

/** The whole book as Outlook CSV, header first (after a BOM, for Excel), a batch at a time. */
export async function* outlookCsvChunks(
  batches: AsyncIterable<StoredContact[]>,
): AsyncGenerator<string, void> {
  yield stringify([OUTLOOK_COLUMNS], { ...CSV_OPTIONS, bom: true })
  for await (const batch of batches) {
    yield stringify(
      batch.map((stored) => outlookRow(stored.contact).map(defuse)),
      CSV_OPTIONS,
    )
  }
}
