// The Retry-After reading shared by every contacts adapter (RFC 9110 §10.2.3).
import { describe, expect, it } from 'vitest'
import { parseRetryAfter } from '../../src/contacts/source-errors.ts'

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0)

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120],
    ['0', 0],
    [' 5 ', 5],
    // Graph sends fractions (contacts-apis.md §4.4).
    ['2.128', 2.128],
  ])('when the value is delay-seconds %j, then it is %d seconds', (value, seconds) => {
    expect(parseRetryAfter(value, NOW)).toBe(seconds)
  })

  it.each([
    ['Thu, 15 Jan 2026 12:00:30 GMT', 30],
    // The obsolete forms RFC 9110 still asks recipients to accept.
    ['Thursday, 15-Jan-26 12:01:00 GMT', 60],
    ['Thu Jan 15 12:00:10 2026', 10],
  ])(
    'when the value is the HTTP-date %j, then it is %d seconds from now (rounded up)',
    (value, seconds) => {
      expect(parseRetryAfter(value, NOW)).toBe(seconds)
    },
  )

  it('when the date is in the past, then the wait is 0', () => {
    expect(parseRetryAfter('Wed, 14 Jan 2026 12:00:00 GMT', NOW)).toBe(0)
  })

  it.each([
    [null],
    [undefined],
    [''],
    ['soon'],
    ['-5'],
    ['1e3'],
    ['5 seconds'],
    ['2026-01-15T12:00:30Z'],
    ['Someday, 15 Jan 2026 12:00:30 GMT'],
  ])('when the value is %j, then there is no usable wait', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined()
  })
})
