// The Google Contacts CSV export read back by csv-parse, with awkward data: the header set,
// the BOM, RFC 4180 quoting, Google's " ::: " and "* " conventions, and no value dropped.
import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { emptyContact } from '../../src/contacts/contact.ts'
import {
  CSV_COLUMNS,
  csvHead,
  csvRows,
  defuse,
  GROUPS,
  googleCsvChunks,
} from '../../src/exports/google-csv.ts'
import { awkwardContact, LONG_NOTE, storedContact } from '../fixtures/stored-contact.ts'

type Row = Record<string, string>
const read = (text: string): Row[] => parse(text, { bom: true, columns: true }) as Row[]

describe('Google CSV', () => {
  const text = csvHead() + csvRows([storedContact(awkwardContact())])
  const rows = read(text)
  const row = rows[0] as Row

  it('when the file is written, then it starts with the UTF-8 BOM and the header, and records end in CRLF', () => {
    expect(text.startsWith('\uFEFFFirst Name,Middle Name,Last Name,')).toBe(true)
    const header = parse(text, { bom: true, to_line: 1 })[0]
    expect(header).toEqual(CSV_COLUMNS)
    expect(text.endsWith('\r\n')).toBe(true)
    expect(CSV_COLUMNS).toContain(`E-mail ${GROUPS.email} - Value`)
    expect(CSV_COLUMNS).toContain('Address 1 - Extended Address')
    expect(CSV_COLUMNS).toContain('Relation 2 - Value')
  })

  it('when values hold quotes, commas, semicolons, backslashes, line breaks, non-ASCII and emoji, then csv-parse reads them back exactly', () => {
    expect(rows).toHaveLength(1)
    expect(row['First Name']).toBe('Zoë; "Zed"')
    expect(row['Middle Name']).toBe('Ana, María')
    expect(row['Last Name']).toBe("O'Brien\\Smith")
    expect(row['Phonetic First Name']).toBe('ゾーイ')
    expect(row['Phonetic Last Name']).toBe('オブライエン')
    expect(row['Name Prefix']).toBe('Dr.')
    expect(row['Name Suffix']).toBe('Jr.')
    expect(row.Notes).toBe(`${LONG_NOTE}\nsecond line, with "quotes"; and \\ backslash`)
    expect(row['Address 1 - Formatted']).toBe('Hauptstraße 1; Hof\n10115 Berlin, "DE"')
    expect(row['Relation 1 - Value']).toBe('Bob; "Bobby", Jr.')
  })

  it('when several values share a cell, then they are joined with " ::: " (nicknames, labels, emails of one label)', () => {
    expect(row.Nickname).toBe('Zed, the great ::: Z;Z')
    expect(row.Labels).toBe('Friends, close ::: Work 💼')
    expect(row['E-mail 1 - Label']).toBe('* Work')
    expect(row['E-mail 1 - Value']).toBe('zoe@example.com ::: z@example.net')
    expect(row['E-mail 2 - Label']).toBe('Home')
    expect(row['E-mail 2 - Value']).toBe('zoe+home@example.org')
    expect(row['E-mail 3 - Value']).toBe('')
  })

  it('when phones, the address, organisation, birthday, websites, events and relations are read back, then each is in its column with its label, the primary marked "* "', () => {
    expect(row['Phone 1 - Label']).toBe('* Mobile')
    expect(row['Phone 1 - Value']).toBe('030 1234567')
    expect(row['Phone 2 - Label']).toBe('Work Fax')
    expect(row['Phone 2 - Value']).toBe('(555) 010-99 ext. 7')
    expect(row['Address 1 - Label']).toBe('* Home')
    expect(row['Address 1 - Street']).toBe('Hauptstraße 1; Hof')
    expect(row['Address 1 - City']).toBe('Berlin')
    expect(row['Address 1 - Postal Code']).toBe('10115')
    expect(row['Address 1 - Country']).toBe('Germany')
    expect(row['Organization Name']).toBe('Acme; Inc, "Ltd"')
    expect(row['Organization Title']).toBe('Chief \\ Officer')
    expect(row['Organization Department']).toBe('R&D; Labs')
    expect(row.Birthday).toBe('--12-10')
    expect(row.Photo).toBe('https://photos.example.com/zoe.jpg')
    expect(row['Website 1 - Label']).toBe('* Home Page')
    expect(row['Website 1 - Value']).toBe('https://example.com/zoë?a=1,b=2;c')
    expect(row['Website 2 - Label']).toBe('Other')
    expect(row['Event 1 - Label']).toBe('Anniversary')
    expect(row['Event 1 - Value']).toBe('2010-06-05')
    expect(row['Event 2 - Label']).toBe('graduation')
    expect(row['Event 2 - Value']).toBe('--01-02')
    expect(row['Relation 2 - Label']).toBe('mother')
  })

  it('when a contact has nothing but its id, then its row has every column, all empty', () => {
    const [bare] = read(csvHead() + csvRows([storedContact(emptyContact('people/bare'))]))
    expect(Object.keys(bare ?? {})).toEqual(CSV_COLUMNS)
    expect(Object.values(bare ?? {}).every((v) => v === '')).toBe(true)
  })

  it('when a contact has more label groups than there are columns, then the rest share the last group, joined, and no value is lost', () => {
    const contact = emptyContact('people/many')
    contact.emails = Array.from({ length: 7 }, (_, i) => ({
      address: `e${i}@example.com`,
      type: `label ${i}`,
      primary: i === 0,
    }))
    const [wide] = read(csvHead() + csvRows([storedContact(contact)]))
    expect(wide?.['E-mail 1 - Label']).toBe('* label 0')
    expect(wide?.['E-mail 5 - Label']).toBe('label 4 ::: label 5 ::: label 6')
    expect(wide?.['E-mail 5 - Value']).toBe('e4@example.com ::: e5@example.com ::: e6@example.com')
  })

  it('when a cell would run as a spreadsheet formula, then it gets a leading quote; phone numbers stay as they are', () => {
    expect(defuse('=HYPERLINK("http://evil")')).toBe('\'=HYPERLINK("http://evil")')
    expect(defuse('@SUM(A1)')).toBe("'@SUM(A1)")
    expect(defuse('-2+3+cmd')).toBe("'-2+3+cmd")
    expect(defuse('+1 (555) 010-99')).toBe('+1 (555) 010-99')
    expect(defuse('-')).toBe('-')
    const contact = emptyContact('people/formula')
    contact.name.given = '=1+1'
    contact.phones = [{ value: '+49 30 1234567', e164: undefined, type: 'home', primary: false }]
    const [formula] = read(csvHead() + csvRows([storedContact(contact)]))
    expect(formula?.['First Name']).toBe("'=1+1")
    expect(formula?.['Phone 1 - Value']).toBe('+49 30 1234567')
  })

  it('when the book arrives in batches, then the header comes once and then one chunk per batch', async () => {
    async function* batches() {
      yield [storedContact(awkwardContact('people/1')), storedContact(emptyContact('people/2'))]
      yield [storedContact(awkwardContact('people/3'))]
    }
    const chunks: string[] = []
    for await (const chunk of googleCsvChunks(batches())) chunks.push(chunk)
    expect(chunks).toHaveLength(3)
    expect(read(chunks.join(''))).toHaveLength(3)
  })
})
