// One contact as an Outlook CSV row: names, company, addresses by kind, phones in their
// named slots, three emails; whatever has no slot is a line of Notes, never dropped; cells a
// spreadsheet would run are defused.
import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { emptyContact } from '../../src/contacts/contact.ts'
import { OUTLOOK_COLUMNS, outlookCsvChunks } from '../../src/exports/outlook-csv.ts'
import { storedContact } from '../fixtures/stored-contact.ts'

async function rowsOf(contacts: ReturnType<typeof emptyContact>[]) {
  let text = ''
  async function* batches() {
    yield contacts.map((c) => storedContact(c))
  }
  for await (const chunk of outlookCsvChunks(batches())) text += chunk
  return parse(text, { bom: true, columns: true }) as Array<Record<string, string>>
}

describe('Outlook CSV', () => {
  it('when a contact has more than Outlook has slots for, then the rest is in Notes, and formulas are defused', async () => {
    const base = emptyContact('people/1')
    const [row] = await rowsOf([
      {
        ...base,
        name: { ...base.name, given: 'Ada', family: 'Lovelace', prefix: 'Lady' },
        emails: ['a@1.example', 'a@2.example', 'a@3.example', 'a@4.example'].map((address, i) => ({
          address,
          type: 'home',
          primary: i === 0,
        })),
        phones: [
          { value: '+44 20 7946 0958', e164: '+442079460958', type: 'work', primary: true },
          { value: '07700 900123', e164: '+447700900123', type: 'mobile', primary: false },
          { value: '07700 900124', e164: '+447700900124', type: 'mobile', primary: false },
        ],
        organizations: [
          {
            name: '=HYPERLINK("x")',
            title: 'Countess',
            department: undefined,
            type: 'work',
            primary: true,
          },
        ],
        birthdays: [{ date: { month: 12, day: 10 }, text: undefined, primary: true }],
        labels: ['Friends', 'Work'],
        notes: [{ value: 'Wrote the first program', contentType: 'text/plain' }],
      },
    ])
    expect(Object.keys(row ?? {})).toEqual(OUTLOOK_COLUMNS)
    expect(row).toMatchObject({
      Title: 'Lady',
      'First Name': 'Ada',
      'Last Name': 'Lovelace',
      Company: `'=HYPERLINK("x")`,
      'Job Title': 'Countess',
      'E-mail Address': 'a@1.example',
      'E-mail Type': 'SMTP',
      'E-mail 3 Address': 'a@3.example',
      'Business Phone': '+44 20 7946 0958',
      'Mobile Phone': '07700 900123',
      'Other Phone': '07700 900124',
      Birthday: '',
      Categories: 'Friends;Work',
    })
    expect(row?.Notes?.split('\n')).toEqual([
      'Wrote the first program',
      'E-mail: a@4.example',
      'Birthday: --12-10',
    ])
  })
})
