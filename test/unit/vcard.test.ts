// The vCard export read back by an independent parser (ical.js), with awkward data: every
// value comes back exactly, and the file keeps RFC 6350's line rules.
import ICAL from 'ical.js'
import { describe, expect, it } from 'vitest'
import { emptyContact } from '../../src/contacts/contact.ts'
import { contactUid } from '../../src/exports/contact-uid.ts'
import { vcardChunks, vcardOf } from '../../src/exports/vcard.ts'
import {
  escapeText,
  foldLine,
  paramValue,
  structured,
  uriValue,
} from '../../src/exports/vcard-text.ts'
import { awkwardContact, LONG_NOTE, storedContact } from '../fixtures/stored-contact.ts'

const parse = (text: string) => new ICAL.Component(ICAL.parse(text))
const prop = (card: ICAL.Component, name: string) => card.getAllProperties(name)
const values = (card: ICAL.Component, name: string) =>
  prop(card, name).map((p) => p.getFirstValue())

describe('vCard text rules', () => {
  it('when a text value holds backslashes, commas, semicolons and line breaks, then they are escaped (semicolons only in compound components)', () => {
    expect(escapeText('a\\b,c;d\r\ne\nf\rg')).toBe('a\\\\b\\,c;d\\ne\\nf\\ng')
    expect(structured(['x;y', 'a,b', undefined, '\\'])).toBe('x\\;y;a\\,b;;\\\\')
  })

  it('when a text value holds other control characters, then they are dropped', () => {
    expect(escapeText('a\u0000b\u0007c\u001bd\te')).toBe('abcd\te')
  })

  it('when a parameter value holds quotes, colons, semicolons or line breaks, then it is quoted with RFC 6868 caret encoding', () => {
    expect(paramValue('work')).toBe('work')
    expect(paramValue('a "b": c;d\ne^f')).toBe(`"a ^'b^': c;d^ne^^f"`)
  })

  it('when a URI holds spaces, controls, quotes or backslashes, then they are percent-encoded, never left to end the line; its own separators stay', () => {
    expect(uriValue('https://x.example/a b\r\nEMAIL:x;y,z"\\')).toBe(
      'https://x.example/a%20b%0D%0AEMAIL:x;y,z%22%5C',
    )
  })

  it('when a line is longer than 75 octets, then it is folded at 75 octets, continuation lines begin with a space, and no UTF-8 character or escape is split', () => {
    const line = `NOTE:${'é'.repeat(30)}🦄\\n${'x'.repeat(60)}\\,${'😀'.repeat(20)}`
    const folded = foldLine(line)
    expect(folded.endsWith('\r\n')).toBe(true)
    const physical = folded.slice(0, -2).split('\r\n')
    expect(physical.length).toBeGreaterThan(2)
    const decoder = new TextDecoder('utf-8', { fatal: true })
    for (const [i, text] of physical.entries()) {
      const bytes = Buffer.from(text, 'utf8')
      expect(bytes.length).toBeLessThanOrEqual(75)
      if (i > 0) expect(text.startsWith(' ')).toBe(true)
      expect(() => decoder.decode(bytes)).not.toThrow()
      expect(text.endsWith('\\')).toBe(false)
    }
    expect(physical.map((t, i) => (i === 0 ? t : t.slice(1))).join('')).toBe(line)
  })

  it('when a line fits in 75 octets, then it is left alone', () => {
    expect(foldLine(`FN:${'a'.repeat(72)}`)).toBe(`FN:${'a'.repeat(72)}\r\n`)
  })
})

describe('vcardOf', () => {
  const stored = storedContact(awkwardContact())
  const text = vcardOf(stored)
  const card = parse(text)

  it('when read back by ical.js, then it is one vCard 4.0 with FN, N, UID and REV', () => {
    expect(card.name).toBe('vcard')
    expect(text.startsWith('BEGIN:VCARD\r\nVERSION:4.0\r\n')).toBe(true)
    expect(text.endsWith('END:VCARD\r\n')).toBe(true)
    expect(card.getFirstPropertyValue('version')).toBe('4.0')
    expect(card.getFirstPropertyValue('fn')).toBe('Zoë "Zed" O\'Brien; Jr., \\ 🦄')
    expect(card.getFirstPropertyValue('n')).toEqual([
      "O'Brien\\Smith",
      'Zoë; "Zed"',
      'Ana, María',
      'Dr.',
      'Jr.',
    ])
    expect(card.getFirstPropertyValue('uid')).toBe(contactUid(stored))
    expect(String(card.getFirstPropertyValue('rev'))).toBe('2026-02-03T04:05:06Z')
  })

  it('when the lines are inspected, then every one ends in CRLF and none is longer than 75 octets', () => {
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
    for (const line of text.split('\r\n')) {
      expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75)
    }
  })

  it('when the 300-character note with a line break is read back, then it is whole', () => {
    expect(LONG_NOTE).toHaveLength(300)
    expect(card.getFirstPropertyValue('note')).toBe(
      `${LONG_NOTE}\nsecond line, with "quotes"; and \\ backslash`,
    )
  })

  it('when names, nicknames and phonetic names are read back, then they are exact', () => {
    expect(prop(card, 'nickname')[0]?.getValues()).toEqual(['Zed, the great', 'Z;Z'])
    expect(card.getFirstPropertyValue('x-phonetic-first-name')).toBe('ゾーイ')
    expect(card.getFirstPropertyValue('x-phonetic-last-name')).toBe('オブライエン')
  })

  it('when emails are read back, then each has its type and only the primary has PREF=1', () => {
    const emails = prop(card, 'email')
    expect(emails.map((p) => p.getFirstValue())).toEqual([
      'zoe@example.com',
      'zoe+home@example.org',
      'z@example.net',
    ])
    expect(emails.map((p) => p.getParameter('type'))).toEqual(['work', 'home', 'work'])
    expect(emails.map((p) => p.getParameter('pref'))).toEqual(['1', undefined, undefined])
  })

  it('when phones are read back, then they are tel: URIs of the E.164 form, else of the value as typed', () => {
    const tels = prop(card, 'tel')
    expect(tels.map((p) => p.type)).toEqual(['uri', 'uri'])
    expect(tels[0]?.getFirstValue()).toBe('tel:+49301234567')
    expect(tels[0]?.getParameter('type')).toBe('cell')
    expect(tels[0]?.getParameter('pref')).toBe('1')
    expect(decodeURIComponent(String(tels[1]?.getFirstValue()))).toBe('tel:(555) 010-99 ext. 7')
    expect(tels[1]?.getParameter('type')).toEqual(['fax', 'work'])
  })

  it('when the address is read back, then it has 7 components and its formatted form as LABEL', () => {
    const adr = prop(card, 'adr')[0]
    expect(adr?.getFirstValue()).toEqual([
      '',
      '',
      'Hauptstraße 1; Hof',
      'Berlin',
      '',
      '10115',
      'Germany',
    ])
    expect(adr?.getParameter('label')).toBe('Hauptstraße 1; Hof\n10115 Berlin, "DE"')
    expect(adr?.getParameter('type')).toBe('home')
  })

  it('when organisation, title, birthday without a year and the anniversary are read back, then they are exact', () => {
    expect(card.getFirstPropertyValue('org')).toEqual(['Acme; Inc, "Ltd"', 'R&D; Labs'])
    expect(card.getFirstPropertyValue('title')).toBe('Chief \\ Officer')
    expect(text).toContain('\r\nBDAY:--1210\r\n')
    expect(text).toContain('\r\nANNIVERSARY:20100605\r\n')
    expect(text).toContain('\r\nX-EVENT;TYPE=graduation:--0102\r\n')
  })

  it('when URLs, the photo, relations and labels are read back, then they are there (a placeholder photo is not)', () => {
    expect(values(card, 'url')).toEqual([
      'https://example.com/zoë?a=1,b=2;c',
      'javascript:alert(1)',
    ])
    expect(values(card, 'photo')).toEqual(['https://photos.example.com/zoe.jpg'])
    const related = prop(card, 'related')
    expect(related.map((p) => p.getFirstValue())).toEqual(['Bob; "Bobby", Jr.', 'Ann'])
    expect(related.map((p) => p.getParameter('type'))).toEqual(['spouse', 'parent'])
    expect(prop(card, 'categories')[0]?.getValues()).toEqual(['Friends, close', 'Work 💼'])
  })

  it('when a contact has nothing but its id, then the card still has FN, N, UID and REV and no empty properties', () => {
    const bare = vcardOf(storedContact(emptyContact('people/bare')))
    const parsed = parse(bare)
    expect(parsed.getFirstPropertyValue('fn')).toBe('people/bare')
    expect(parsed.getFirstPropertyValue('n')).toEqual(['', '', '', '', ''])
    expect(
      parsed
        .getAllProperties()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['fn', 'n', 'prodid', 'rev', 'uid', 'version'])
  })
})

describe('contactUid', () => {
  const source = { provider: 'demo', connectionId: 'c1', externalId: 'people/1' }

  it('when the same record is exported twice, then its UID is the same, a name-based UUID', () => {
    expect(contactUid(source)).toBe(contactUid({ ...source }))
    expect(contactUid(source)).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
  })

  it('when the connection, provider or external id differ, then the UID differs', () => {
    const uids = new Set([
      contactUid(source),
      contactUid({ ...source, connectionId: 'c2' }),
      contactUid({ ...source, provider: 'google' }),
      contactUid({ ...source, externalId: 'people/2' }),
    ])
    expect(uids.size).toBe(4)
  })
})

describe('vcardChunks', () => {
  it('when the book arrives in batches, then one chunk is written per batch and ical.js reads every card', async () => {
    async function* batches() {
      yield [storedContact(awkwardContact('people/1')), storedContact(emptyContact('people/2'))]
      yield [storedContact(awkwardContact('people/3'))]
    }
    const chunks: string[] = []
    for await (const chunk of vcardChunks(batches())) chunks.push(chunk)
    expect(chunks).toHaveLength(2)
    const cards = ICAL.parse(chunks.join('')) as unknown[]
    expect(cards).toHaveLength(3)
  })
})
