// Which of a contact's values become links on its page: only http(s) URLs, mailto: for
// emails and tel: for E.164 numbers — never javascript:, data: or anything a click runs.
import { describe, expect, it } from 'vitest'
import { emptyContact } from '../../src/contacts/contact.ts'
import { contactView, dateText, safeWebHref } from '../../src/web/contact-view.ts'
import { storedContact } from '../fixtures/stored-contact.ts'

describe('safeWebHref', () => {
  it.each([
    ['https://example.com/a?b=1', 'https://example.com/a?b=1'],
    ['HTTP://Example.com', 'http://example.com/'],
  ])('when the URL is http(s) (%s), then it is a link', (value, href) => {
    expect(safeWebHref(value)).toBe(href)
  })

  it.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox',
    'file:///etc/passwd',
    '//evil.example/x',
    'example.com',
    '',
  ])('when the URL is %j, then it is no link', (value) => {
    expect(safeWebHref(value)).toBeUndefined()
  })
})

describe('contactView', () => {
  it('when an email holds odd characters, then its link is still a mailto: with them encoded', () => {
    const contact = emptyContact('people/1')
    contact.emails = [{ address: '"><script>@x.example', type: undefined, primary: true }]
    const [email] = contactView(storedContact(contact)).emails
    expect(email?.href).toBe('mailto:%22%3E%3Cscript%3E@x.example')
  })

  it('when a phone has no valid E.164 form, then it is text, not a tel: link', () => {
    const contact = emptyContact('people/1')
    contact.phones = [
      { value: '+49 30 1234567', e164: '+49301234567', type: 'home', primary: true },
      { value: 'call me', e164: undefined, type: undefined, primary: false },
      { value: 'x', e164: 'javascript:alert(1)', type: undefined, primary: false },
    ]
    expect(contactView(storedContact(contact)).phones.map((p) => p.href)).toEqual([
      'tel:+49301234567',
      undefined,
      undefined,
    ])
  })

  it('when a date has no year, then it reads as day and month', () => {
    expect(dateText({ month: 2, day: 29 })).toBe('29 February')
    expect(dateText({ year: 1980, month: 12, day: 10 })).toBe('10 December 1980')
  })
})
