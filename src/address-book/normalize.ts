// What the address book sorts and searches by. The list is ordered by a key compared
// byte-wise in PostgreSQL (COLLATE "C"), so the locale-awareness lives here, once, instead
// of in the server's collation, which differs between machines and can change under an
// index on an OS upgrade. Folding is the same for the stored text and for the query, so a
// search for "emile" finds "Émile" and the other way round.
import type { CountryCode } from 'libphonenumber-js/max'
import type { Contact } from '../contacts/contact.ts'
import { validPhoneNumber } from '../contacts/phone-number.ts'

/**
 * Letters that NFKD does not take apart into a base letter and a mark, spelled the way a
 * person without the key on their keyboard types them (ß → ss, ø → o, ł → l).
 */
const FOLDS: Readonly<Record<string, string>> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
  ħ: 'h',
  ŧ: 't',
}
const FOLDABLE = new RegExp(`[${Object.keys(FOLDS).join('')}]`, 'gu')

/** A btree entry must fit a third of a page; names longer than this sort by their start. */
const SORT_KEY_MAX_CHARS = 200
/** A longer query is cut here: nothing stored is usefully matched by more. */
const QUERY_MAX_CHARS = 200

/**
 * Lower case, accents and other marks removed, whitespace and control characters (NUL,
 * which PostgreSQL's text cannot hold, among them) collapsed to one space, trimmed.
 */
export function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(FOLDABLE, (letter) => FOLDS[letter] ?? letter)
    .replace(/[\s\p{Cc}]+/gu, ' ')
    .trim()
}

/** Cuts at a code point, never inside a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text
  return Array.from(text).slice(0, max).join('')
}

/** The list's order: "Émile" sorts with "emile", "ZOË" with "zoe". */
export function sortKey(displayName: string): string {
  return cut(fold(displayName), SORT_KEY_MAX_CHARS)
}

const digitsOf = (text: string) => text.replace(/\D+/g, '')

/**
 * Everything ?q= looks in, folded, one item a line: names, nicknames, emails, phones (as
 * typed, as digits only, and the E.164 digits, so that any way of writing a number finds
 * it), organisations with titles and departments. Lines keep a query from matching across
 * two fields (a query never holds a newline, see searchPatterns).
 */
export function searchText(contact: Contact, displayName: string): string {
  const { name } = contact
  const items: Array<string | undefined> = [
    displayName,
    name.display,
    name.prefix,
    name.given,
    name.middle,
    name.family,
    name.suffix,
    name.phoneticGiven,
    name.phoneticFamily,
    ...contact.nicknames,
    ...contact.emails.map((email) => email.address),
    ...contact.phones.flatMap((phone) => [
      phone.value,
      digitsOf(phone.value),
      phone.e164 && digitsOf(phone.e164),
    ]),
    ...contact.organizations.flatMap((org) => [org.name, org.title, org.department]),
  ]
  const lines = new Set<string>()
  for (const item of items) {
    const folded = item ? fold(item) : ''
    if (folded) lines.add(folded)
  }
  // A line inside another ("ada" in "ada lovelace") finds nothing the other does not:
  // leaving it out keeps the row and its trigram entries smaller.
  const all = [...lines]
  return all
    .filter(
      (line, i) =>
        !all.some((other, j) => j !== i && other.length > line.length && other.includes(line)),
    )
    .join('\n')
}

/** Only what people write in a phone number: digits, +, brackets, dashes, dots, spaces. */
const PHONE_LIKE = /^\+?[\d\s().\-/]+$/
/** Fewer digits than this is a house number or a year as much as a phone number. */
const MIN_PHONE_DIGITS = 3

/** Escapes LIKE's wildcards and its escape character, so the query is matched literally. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)

/**
 * The LIKE patterns (`%…%`, wildcards in the query escaped, folded as the search text is,
 * so case does not matter) a contact's search text must match one of; empty for a blank
 * query. A query that looks like a phone number also
 * matches the number written any other way: "+44 20 7946 0958", "020 7946 0958" and
 * "(020) 7946-0958" give the same digits once the region's country code (`defaultRegion`,
 * config DEFAULT_PHONE_REGION) or the trunk prefix is accounted for.
 */
export function searchPatterns(query: string, defaultRegion: CountryCode | undefined): string[] {
  const text = fold(cut(query, QUERY_MAX_CHARS))
  if (!text) return []
  const needles = new Set([text])
  const digits = digitsOf(text)
  if (PHONE_LIKE.test(text) && digits.length >= MIN_PHONE_DIGITS) {
    needles.add(digits)
    const parsed = validPhoneNumber(text, defaultRegion)
    if (parsed) {
      // The E.164 digits find numbers stored in international form; the national number
      // (which E.164 ends with) finds those stored as typed at home, without a country code.
      needles.add(digitsOf(parsed.number))
      needles.add(parsed.nationalNumber)
    } else if (/^0+\d{6,}$/.test(digits)) {
      // No region to read it with: a national trunk prefix (020 …) or an international
      // one (0044 …) still leaves digits that the stored forms contain.
      needles.add(digits.replace(/^0+/, ''))
    }
  }
  return [...needles].map((needle) => `%${likeLiteral(needle)}%`)
}
