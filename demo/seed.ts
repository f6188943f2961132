// Deterministic demo contacts for the demo RS: the same people, resourceNames and order on every
// run and machine, so demo screenshots, page tokens and test expectations stay stable. A seeded
// PRNG (mulberry32) replaces Math.random. The data deliberately includes what trips importers:
// non-Latin and accented names, contacts without a name, several emails with a primary that is
// not the first item, phone numbers without an E.164 form, and a duplicate person. Some people
// also have the rest of a Person (addresses, birthdays with and without a year, URLs, notes…),
// drawn from a PRNG of their own so that adding fields never reshuffles the people above.
import { Buffer } from 'node:buffer'
import { DEMO_CONTACT_GROUPS } from './contact-groups.ts'
import type {
  Address,
  EmailAddress,
  FieldMetadata,
  Name,
  PeopleBySubject,
  Person,
  PhoneNumber,
  Source,
} from './person.ts'

export { DEMO_CONTACT_GROUPS } from './contact-groups.ts'
export type { PeopleBySubject, Person } from './person.ts'

/** Users of the demo directory and their contact counts (bob has none). */
export const DEMO_CONTACT_COUNTS = { alice: 250, bob: 0, carol: 2987 } as const

type Rng = () => number
type NamePart = string | readonly [native: string, latin: string]

interface Locale {
  callingCode: string
  given: readonly NamePart[]
  family: readonly NamePart[]
  familyFirst?: boolean
  separator?: '' | ' '
}

interface DraftName {
  given?: string
  family?: string
  display: string
  lastFirst: string
}

interface Draft {
  name?: DraftName
  emails: ReadonlyArray<{ value: string; type: string }>
  phones: ReadonlyArray<{ value: string; canonicalForm?: string; type: string }>
  organization?: { name: string; title?: string }
  /** Index of the primary email; random when absent. */
  primaryEmail?: number
}

const LOCALES: readonly Locale[] = [
  {
    callingCode: '1',
    given: ['Ada', 'Alan', 'Grace', 'Dennis', 'Barbara', 'Donald', 'Katherine', 'Radia', 'Vint'],
    family: [
      'Lovelace',
      'Turing',
      'Hopper',
      'Ritchie',
      'Liskov',
      'Knuth',
      'Berners-Lee',
      "O'Brien",
    ],
  },
  {
    callingCode: '44',
    given: ['Siobhán', 'Niamh', 'Oliver', 'Amelia', 'Rhys'],
    family: ['Ó Súilleabháin', 'Evans', "O'Neill", 'Smith-Jones'],
  },
  {
    callingCode: '49',
    given: ['Jürgen', 'Jörg', 'Käthe', 'Günther', 'Uwe'],
    family: ['Müller', 'Schröder', 'Weiß', 'Groß', 'Bäcker'],
  },
  {
    callingCode: '33',
    given: ['Zoë', 'Chloé', 'Inès', 'François', 'Loïc'],
    family: ['Lefèvre', 'Ménard', 'Girard', 'Dubois', 'Benoît'],
  },
  {
    callingCode: '34',
    given: ['José', 'Ñandú', 'Begoña', 'Iñigo', 'María'],
    family: ['Peña', 'García Márquez', 'Muñoz', 'Ibáñez', 'Núñez'],
  },
  {
    callingCode: '48',
    given: ['Łukasz', 'Małgorzata', 'Paweł', 'Zofia', 'Wojciech'],
    family: ['Żółć', 'Wiśniewska', 'Kowalczyk', 'Dąbrowski', 'Szczęsny'],
  },
  {
    callingCode: '45',
    given: ['Søren', 'Øystein', 'Åsa', 'Björn', 'Märta'],
    family: ['Kierkegård', 'Ångström', 'Løvlie', 'Sjöberg', 'Ærbø'],
  },
  {
    callingCode: '90',
    given: ['Ayşe', 'Çağla', 'Gökhan', 'İlker', 'Şule'],
    family: ['Öztürk', 'Yılmaz', 'Çelik', 'Şahin', 'Doğan'],
  },
  {
    callingCode: '84',
    familyFirst: true,
    given: ['Thị Minh', 'Văn An', 'Thu Hà'],
    family: ['Nguyễn', 'Trần', 'Lê', 'Phạm'],
  },
  {
    callingCode: '86',
    familyFirst: true,
    separator: '',
    given: [
      ['秀英', 'xiuying'],
      ['伟', 'wei'],
      ['芳', 'fang'],
      ['娜', 'na'],
      ['敏', 'min'],
    ],
    family: [
      ['王', 'wang'],
      ['李', 'li'],
      ['张', 'zhang'],
      ['刘', 'liu'],
      ['陈', 'chen'],
    ],
  },
  {
    callingCode: '81',
    familyFirst: true,
    separator: '',
    given: [
      ['太郎', 'taro'],
      ['花子', 'hanako'],
      ['陽翔', 'haruto'],
    ],
    family: [
      ['山田', 'yamada'],
      ['佐藤', 'sato'],
      ['鈴木', 'suzuki'],
    ],
  },
  {
    callingCode: '7',
    given: [
      ['Дмитрий', 'dmitry'],
      ['Анна', 'anna'],
      ['Ольга', 'olga'],
    ],
    family: [
      ['Иванова', 'ivanova'],
      ['Смирнов', 'smirnov'],
      ['Кузнецов', 'kuznetsov'],
    ],
  },
  {
    callingCode: '30',
    given: [
      ['Αλέξανδρος', 'alexandros'],
      ['Ελένη', 'eleni'],
    ],
    family: [
      ['Παπαδόπουλος', 'papadopoulos'],
      ['Οικονόμου', 'oikonomou'],
    ],
  },
  {
    callingCode: '20',
    given: [
      ['ليلى', 'layla'],
      ['عمر', 'omar'],
    ],
    family: [
      ['حداد', 'haddad'],
      ['منصور', 'mansour'],
    ],
  },
]

const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example']
const EMAIL_TYPES = ['home', 'work', 'other', 'home', 'work', 'school']
// Twenty area codes × 10,000 lines: unique numbers for books of up to 100,000 contacts.
const US_AREAS = [
  '202',
  '206',
  '212',
  '213',
  '303',
  '305',
  '312',
  '404',
  '415',
  '503',
  '512',
  '602',
  '617',
  '702',
  '713',
  '718',
  '802',
  '808',
  '907',
  '919',
]
const PHONE_TYPES = ['mobile', 'mobile', 'home', 'work', 'main', 'workMobile', 'homeFax', 'other']
const FORMATTED_TYPES: Readonly<Record<string, string>> = {
  home: 'Home',
  work: 'Work',
  other: 'Other',
  mobile: 'Mobile',
  main: 'Main',
  workMobile: 'Work Mobile',
  homeFax: 'Home Fax',
}
const COMPANIES = [
  'Analytical Engines Ltd',
  'Müller & Söhne GmbH',
  'Café Olé SARL',
  'Ærø Shipping ApS',
  '示例科技有限公司',
  'Initech',
  'Globex',
]
const TITLES = ['Engineer', 'Analyst', 'CTO', 'Buyer', 'Designer', 'Directora']

function western(given: string, family: string): DraftName {
  return { given, family, display: `${given} ${family}`, lastFirst: `${family}, ${given}` }
}

function familyFirst(family: string, given: string, separator = ''): DraftName {
  const display = `${family}${separator}${given}`
  return { given, family, display, lastFirst: separator ? `${family}, ${given}` : display }
}

// Hand-written people first, so the cases importers must handle exist whatever the PRNG draws.
const CURATED: readonly Draft[] = [
  {
    name: western('Zoë', 'Ångström'),
    emails: [{ value: 'zoe.angstrom@example.com', type: 'work' }],
    phones: [{ value: '+46 8 555 010 23', canonicalForm: '+46855501023', type: 'mobile' }],
    organization: { name: 'Ångström Optik AB', title: 'Optiker' },
  },
  {
    name: western('José', 'Müller'),
    emails: [
      { value: 'jose.muller@example.org', type: 'home' },
      { value: 'jose@mueller.example', type: 'work' },
      { value: 'jmuller@example.net', type: 'other' },
    ],
    phones: [],
    primaryEmail: 1,
  },
  {
    name: familyFirst('王', '秀英'),
    emails: [{ value: 'wang.xiuying@example.com', type: 'home' }],
    phones: [{ value: '+86 10 5555 0101', canonicalForm: '+861055550101', type: 'work' }],
  },
  {
    name: western('Łukasz', 'Żółć'),
    emails: [],
    phones: [{ value: '+48 22 555 01 23', canonicalForm: '+48225550123', type: 'mobile' }],
  },
  {
    name: western('Ñandú', 'Peña'),
    emails: [{ value: 'nandu.pena@example.org', type: 'home' }],
    phones: [],
  },
  {
    name: western('Søren', 'Kierkegård'),
    emails: [{ value: 'soren@example.net', type: 'other' }],
    phones: [{ value: '20 55 01 23', canonicalForm: '+4520550123', type: 'home' }],
  },
  // Phone only, then email only: nothing to display but the number or the address.
  {
    emails: [],
    phones: [{ value: '+44 20 7946 0018', canonicalForm: '+442079460018', type: 'mobile' }],
  },
  { emails: [{ value: 'no-reply@example.net', type: 'other' }], phones: [] },
  {
    emails: [
      { value: 'front-desk@example.com', type: 'work' },
      { value: 'bookings@example.com', type: 'work' },
    ],
    phones: [],
  },
  { name: western('Siobhán', 'Ó Súilleabháin'), emails: [], phones: [] },
  // The same person as above, entered twice: material for de-duplication.
  {
    name: western('José', 'Müller'),
    emails: [{ value: 'jose.muller@example.org', type: 'home' }],
    phones: [{ value: '+49 30 5550123', canonicalForm: '+49305550123', type: 'mobile' }],
  },
  {
    name: western('Дмитрий', 'Иванов'),
    emails: [],
    phones: [{ value: '+7 495 555-01-23', canonicalForm: '+74955550123', type: 'work' }],
  },
  {
    name: western('ليلى', 'حداد'),
    emails: [{ value: 'layla.haddad@example.com', type: 'home' }],
    phones: [],
  },
  {
    name: familyFirst('Nguyễn', 'Thị Minh', ' '),
    emails: [{ value: 'minh@example.org', type: 'home' }],
    phones: [],
  },
  // Google leaves canonicalForm out when it cannot place the number.
  {
    name: western('Αλέξανδρος', 'Παπαδόπουλος'),
    emails: [],
    phones: [{ value: '555 0142', type: 'work' }],
  },
]

function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

function mulberry32(seed: number): Rng {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function int(rng: Rng, below: number): number {
  return Math.floor(rng() * below)
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[int(rng, items.length)]
  if (item === undefined) throw new RangeError('pick() needs a non-empty list')
  return item
}

function digits(rng: Rng, count: number): string {
  return Array.from({ length: count }, () => String(int(rng, 10))).join('')
}

function base64Bytes(rng: Rng, count: number): string {
  return Buffer.from(Array.from({ length: count }, () => int(rng, 256))).toString('base64')
}

function latin(part: NamePart): string {
  if (typeof part !== 'string') return part[1]
  return part
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[łŁ]/g, 'l')
    .replace(/[øØ]/g, 'o')
    .replace(/[æÆ]/g, 'ae')
    .replace(/ß/g, 'ss')
    .replace(/ı/g, 'i')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
}

const native = (part: NamePart) => (typeof part === 'string' ? part : part[0])

// `serial` is unique per generated number of a book (contact index and slot): real people
// rarely share a number, and numbers drawn from a small pool would merge thousands of
// strangers into one card.
function randomPhone(rng: Rng, locale: Locale, serial: number): Draft['phones'][number] {
  const type = pick(rng, PHONE_TYPES)
  if (locale.callingCode === '1') {
    // 555 numbers, as in fiction; the area code and the line come from the serial (the
    // draws are kept so that the people after this one stay who they were).
    pick(rng, US_AREAS)
    digits(rng, 2)
    const area = US_AREAS[serial % US_AREAS.length]
    const line = String(Math.floor(serial / US_AREAS.length) % 10000).padStart(4, '0')
    const canonicalForm = `+1${area}555${line}`
    const value = rng() < 0.5 ? `(${area}) 555-${line}` : `+1 ${area}-555-${line}`
    return { value, canonicalForm, type }
  }
  // Three drawn digits then the serial: nine national digits, unique within the book.
  const national = `${digits(rng, 3).replace(/^0/, '5')}${String(serial % 1_000_000).padStart(6, '0')}`
  digits(rng, 6)
  const grouped = national.replace(/(\d{2,3})(\d{3})(\d{3,4})/, '$1 $2 $3')
  const roll = rng()
  if (roll < 0.05) return { value: national.slice(-7), type }
  const value = roll < 0.65 ? `+${locale.callingCode} ${grouped}` : `0${grouped}`
  return { value, canonicalForm: `+${locale.callingCode}${national}`, type }
}

// `index` makes each generated address and number unique in the book, as people's are: the
// names repeat (a few dozen per locale), the addresses and numbers do not.
function randomDraft(rng: Rng, index: number): Draft {
  const locale = pick(rng, LOCALES)
  const given = pick(rng, locale.given)
  const family = pick(rng, locale.family)
  const name = locale.familyFirst
    ? familyFirst(native(family), native(given), locale.separator ?? ' ')
    : western(native(given), native(family))
  const local = [`${latin(given)}.${latin(family)}`, `${latin(given).charAt(0)}${latin(family)}`]
  const email = (n: number) => ({
    value: `${n === 0 ? `${pick(rng, local)}${index}` : `${latin(given)}${n + 1}.${index}`}@${pick(rng, EMAIL_DOMAINS)}`,
    type: pick(rng, EMAIL_TYPES),
  })
  const emailCount = (count: number) => Array.from({ length: count }, (_, n) => email(n))
  const phone = (slot: number) => randomPhone(rng, locale, index * 2 + slot)
  const organization =
    rng() < 0.25
      ? { name: pick(rng, COMPANIES), ...(rng() < 0.8 ? { title: pick(rng, TITLES) } : {}) }
      : undefined

  const kind = rng()
  if (kind < 0.45) return { name, emails: emailCount(1), phones: [phone(0)], organization }
  if (kind < 0.6) return { name, emails: emailCount(1), phones: [], organization }
  if (kind < 0.74) return { name, emails: [], phones: [phone(0)] }
  if (kind < 0.82) {
    const phones = [phone(0), phone(1)]
    return { name, emails: emailCount(2 + int(rng, 3)), phones, organization }
  }
  if (kind < 0.87) return { emails: [], phones: [phone(0)] }
  if (kind < 0.92) return { emails: emailCount(1), phones: [] }
  if (kind < 0.96) return { name, emails: [], phones: [] }
  return {
    name,
    emails: emailCount(1),
    phones: [phone(0), phone(1)],
  }
}

function primaryIndex(rng: Rng, length: number, preferred?: number): number {
  return preferred !== undefined && preferred < length ? preferred : int(rng, length)
}

function buildPerson(rng: Rng, id: string, draft: Draft, updateTime: string): Person {
  const source: Source = { type: 'CONTACT', id: BigInt(id).toString(16) }
  const metadata = (primary: boolean): FieldMetadata =>
    primary
      ? { primary: true, sourcePrimary: true, source: { ...source } }
      : { source: { ...source } }
  const person: Person = {
    resourceName: `people/c${id}`,
    etag: `%${base64Bytes(rng, 12)}`,
    metadata: {
      sources: [{ ...source, etag: `#${base64Bytes(rng, 8)}`, updateTime }],
      objectType: 'PERSON',
    },
  }
  if (draft.name) {
    const { display, lastFirst, given, family } = draft.name
    const name: Name = {
      metadata: metadata(true),
      displayName: display,
      displayNameLastFirst: lastFirst,
      unstructuredName: display,
      ...(family ? { familyName: family } : {}),
      ...(given ? { givenName: given } : {}),
    }
    person.names = [name]
  }
  if (draft.emails.length > 0) {
    const primary = primaryIndex(rng, draft.emails.length, draft.primaryEmail)
    person.emailAddresses = draft.emails.map(
      ({ value, type }, n): EmailAddress => ({
        metadata: metadata(n === primary),
        value,
        type,
        formattedType: FORMATTED_TYPES[type] ?? type,
      }),
    )
  }
  if (draft.phones.length > 0) {
    const primary = primaryIndex(rng, draft.phones.length)
    person.phoneNumbers = draft.phones.map(
      ({ value, canonicalForm, type }, n): PhoneNumber => ({
        metadata: metadata(n === primary),
        value,
        ...(canonicalForm ? { canonicalForm } : {}),
        type,
        formattedType: FORMATTED_TYPES[type] ?? type,
      }),
    )
  }
  if (draft.organization) {
    const { name, title } = draft.organization
    person.organizations = [
      {
        metadata: metadata(true),
        name,
        ...(title ? { title } : {}),
        type: 'work',
        formattedType: 'Work',
        current: true,
      },
    ]
  }
  return person
}

const ADDRESSES: ReadonlyArray<Omit<Address, 'metadata' | 'type' | 'formattedType'>> = [
  {
    formattedValue: '1600 Amphitheatre Pkwy\nMountain View, CA 94043\nUSA',
    streetAddress: '1600 Amphitheatre Pkwy',
    city: 'Mountain View',
    region: 'CA',
    postalCode: '94043',
    country: 'USA',
    countryCode: 'US',
  },
  {
    formattedValue: 'Unter den Linden 77\n10117 Berlin\nDeutschland',
    streetAddress: 'Unter den Linden 77',
    city: 'Berlin',
    postalCode: '10117',
    country: 'Deutschland',
    countryCode: 'DE',
  },
  {
    formattedValue: '221B Baker Street\nLondon NW1 6XE\nUK',
    streetAddress: '221B Baker Street',
    city: 'London',
    postalCode: 'NW1 6XE',
    country: 'UK',
    countryCode: 'GB',
  },
  {
    formattedValue: "12 rue de l'Église\n75015 Paris\nFrance",
    streetAddress: "12 rue de l'Église",
    city: 'Paris',
    postalCode: '75015',
    country: 'France',
    countryCode: 'FR',
  },
  // Typed by hand into one line: only the formatted value, as people often leave it.
  { formattedValue: 'Calle Mayor 5, 28013 Madrid' },
]
const ADDRESS_TYPES = ['home', 'work', 'other']
const DEPARTMENTS = ['Research', 'Sales', 'Engineering', 'Finanzen']
const NICKNAMES = ['Bear', 'Doc', 'Sunny', 'Ace', 'Mimi', 'Kiki']
const RELATIONS = ['spouse', 'child', 'mother', 'father', 'sister', 'manager', 'assistant']
const RELATED = ['Sam Taylor', 'Mia', 'Jonas Weber', 'Lucía', 'Kim']
// Drawn last from each person's PRNG, so the list can change without reshuffling the rest.
const GROUPS = ['contactGroups/starred', ...DEMO_CONTACT_GROUPS.map((group) => group.resourceName)]
const NOTES = [
  'Met at the 2024 conference in Lisbon.',
  'Prefers calls after 6 pm. Allergic to peanuts.',
  'Referred by Ada; ask about the analytical engine.',
]

/** The rest of a Person, for some people: what a real address book also holds. */
function addExtras(person: Person, index: number): void {
  const rng = mulberry32(fnv1a(`contacts-demo-extras:${person.resourceName}`))
  const source: Source = { type: 'CONTACT', id: person.metadata?.sources[0]?.id ?? '0' }
  const primary = (): FieldMetadata => ({
    primary: true,
    sourcePrimary: true,
    source: { ...source },
  })
  const secondary = (): FieldMetadata => ({ source: { ...source } })
  // The first person has every field, so the demo always shows them.
  const has = (chance: number) => index === 0 || rng() < chance

  if (has(0.1)) person.nicknames = [{ metadata: primary(), value: pick(rng, NICKNAMES) }]
  if (has(0.2)) {
    const count = index === 0 ? 2 : 1 + int(rng, 2)
    person.addresses = Array.from({ length: count }, (_, n): Address => {
      const type = ADDRESS_TYPES[n] ?? 'other'
      return {
        // The primary is the last one: People gives no order.
        metadata: n === count - 1 ? primary() : secondary(),
        ...pick(rng, ADDRESSES),
        type,
        formattedType: FORMATTED_TYPES[type] ?? type,
      }
    })
  }
  const organization = person.organizations?.[0]
  if (organization && has(0.5)) organization.department = pick(rng, DEPARTMENTS)
  if (has(0.3)) {
    const month = 1 + int(rng, 12)
    const day = 1 + int(rng, 28)
    // Many people know a birthday but not the year it was in.
    const withYear = index === 0 || rng() < 0.6
    person.birthdays = [
      {
        metadata: primary(),
        date: withYear ? { year: 1950 + int(rng, 55), month, day } : { month, day },
      },
    ]
  }
  if (has(0.1)) {
    const host = person.emailAddresses?.[0]?.value.split('@')[1] ?? 'example.com'
    person.urls = [
      {
        metadata: primary(),
        value: `https://www.${host}/`,
        type: 'homePage',
        formattedType: 'Home Page',
      },
    ]
  }
  if (has(0.05)) {
    person.biographies = [
      { metadata: primary(), value: pick(rng, NOTES), contentType: 'TEXT_PLAIN' },
    ]
  }
  if (has(0.05)) {
    const type = pick(rng, RELATIONS)
    person.relations = [
      { metadata: primary(), person: pick(rng, RELATED), type, formattedType: type },
    ]
  }
  if (has(0.05)) {
    person.events = [
      {
        metadata: primary(),
        date: { year: 1990 + int(rng, 30), month: 1 + int(rng, 12), day: 1 + int(rng, 28) },
        type: 'anniversary',
        formattedType: 'Anniversary',
      },
    ]
  }
  // Google gives every contact a photo: a generated letter tile unless someone chose one.
  const chosen = has(0.2)
  person.photos = [
    {
      metadata: primary(),
      url: `https://lh3.googleusercontent.com/contacts/demo-${index}${chosen ? '' : '-tile'}`,
      ...(chosen ? {} : { default: true as const }),
    },
  ]
  const groups = ['contactGroups/myContacts', ...GROUPS.filter(() => has(0.1))]
  person.memberships = groups.map((group) => ({
    metadata: { source: { ...source } },
    contactGroupMembership: {
      contactGroupId: group.slice('contactGroups/'.length),
      contactGroupResourceName: group,
    },
  }))
}

/** `count` realistic people for `user`, the same on every call (benchmarks use it for big books). */
export function createPeople(user: string, count: number): Person[] {
  const rng = mulberry32(fnv1a(`contacts-demo:${user}`))
  const prefix = String(fnv1a(user))
  // Oldest first: the seed order is Google's default LAST_MODIFIED_ASCENDING.
  const spanMs = 3 * 365 * 24 * 3600 * 1000
  let time = Date.UTC(2023, 0, 1)
  return Array.from({ length: count }, (_, index) => {
    const draft = CURATED[index] ?? randomDraft(rng, index)
    time += 1 + int(rng, (2 * spanMs) / count)
    // The fixed per-user prefix plus a six-digit index keeps resourceNames unique and stable.
    const id = `${prefix}${String(index).padStart(6, '0')}`
    const person = buildPerson(rng, id, draft, new Date(time).toISOString())
    addExtras(person, index)
    return person
  })
}

/** The demo users' contacts, fresh and equal on every call; a server copies them. */
export function createDemoDirectory(): PeopleBySubject {
  return new Map(
    Object.entries(DEMO_CONTACT_COUNTS).map(([user, count]) => [user, createPeople(user, count)]),
  )
}
