// What every ContactSource must do, whatever API it speaks (oauth2-proxy's
// RunSessionStoreTests, STYLE §14.5). Each adapter's test file calls
// runContactSourceContract with a setup that starts the adapter's own local fake; the same
// cases then run against Google People, Microsoft Graph, and whatever comes next.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Contact } from '../../src/contacts/contact.ts'
import type { ContactSource, ContactsPage } from '../../src/contacts/contact-source.ts'
import { readPages } from '../../src/contacts/read-pages.ts'
import { AccessTokenRejectedError } from '../../src/contacts/source-errors.ts'
import { AppError } from '../../src/errors.ts'

/** A contact as the provider should hold it, in no provider's shape. */
export interface SeedContact {
  given: string
  family: string
  emails?: Array<{ address: string; type?: 'home' | 'work' | 'other' }>
  /** Index into `emails` of the primary one; each fake says so in its provider's way. */
  primaryEmail?: number
  phones?: Array<{ value: string; e164?: string; type?: 'mobile' | 'home' | 'work' }>
  organization?: string
}

/** Conditions the fake must be able to produce; each maps them onto its wire shapes. */
export type ContractFault =
  /** The token expired or was revoked at the provider: 401 with Bearer invalid_token. */
  | { kind: 'token-expired' }
  /** The grant lacks the contacts scope: 403 (insufficient_scope, ErrorAccessDenied…). */
  | { kind: 'insufficient-scope' }
  /** Throttled or down, optionally with a Retry-After header value. */
  | { kind: 'unavailable'; status: 429 | 503; retryAfter?: string }
  /** A 200 whose body is not the provider's JSON. */
  | { kind: 'malformed-body' }

export interface ContactSourceFixture {
  /** The adapter, built through createContactSource against the fake. */
  source: ContactSource
  /** The contacts URL the source was configured with. */
  contactsUrl: URL
  /** How many contacts the adapter asks for per page. */
  pageSize: number
  /** An access token the fake accepts for the seeded person. */
  accessToken: string
  /** What the provider's data can express; mapping cases check only that. */
  supports: { emailTypes: boolean; phoneE164: boolean }
  /** Replaces the person's address book, in this order. */
  seed(contacts: readonly SeedContact[]): void | Promise<void>
  /** The next data request is answered with this fault. */
  fault(fault: ContractFault): void
  /** An empty book and no pending faults. */
  reset(): void | Promise<void>
  close(): Promise<void>
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected the call to fail')
}

const numbered = (count: number): SeedContact[] =>
  Array.from({ length: count }, (_, n) => ({
    given: 'Person',
    family: String(n).padStart(5, '0'),
    emails: [{ address: `person${n}@example.com` }],
  }))

export function runContactSourceContract(
  name: string,
  setup: () => Promise<ContactSourceFixture>,
): void {
  describe(`ContactSource contract: ${name}`, () => {
    let fx: ContactSourceFixture
    beforeAll(async () => {
      fx = await setup()
    })
    afterAll(() => fx?.close())
    beforeEach(() => fx.reset())

    async function readAll(): Promise<ContactsPage[]> {
      const pages: ContactsPage[] = []
      const reader = readPages({
        source: fx.source,
        contactsUrl: fx.contactsUrl,
        accessToken: async () => fx.accessToken,
      })
      for await (const page of reader) pages.push(page)
      return pages
    }

    describe('reading', () => {
      it('when the address book is empty, then the first page has no contacts and no next page', async () => {
        const page = await fx.source.listPage(fx.accessToken)
        expect(page.contacts).toEqual([])
        expect(page.next).toBeUndefined()
      })

      it('when the book spans several pages, then each call reads one page and all pages come in order, nothing repeated or lost', async () => {
        const seeded = numbered(2 * fx.pageSize + 1)
        await fx.seed(seeded)

        const first = await fx.source.listPage(fx.accessToken)
        expect(first.contacts).toHaveLength(fx.pageSize)
        expect(first.next).toBeDefined()

        const pages = await readAll()
        expect(pages.length).toBeGreaterThanOrEqual(3)
        for (const page of pages) expect(page.contacts.length).toBeLessThanOrEqual(fx.pageSize)
        expect(pages.at(-1)?.next).toBeUndefined()
        const contacts = pages.flatMap((page) => page.contacts)
        expect(contacts.map((c) => c.name.family)).toEqual(seeded.map((s) => s.family))
        expect(new Set(contacts.map((c) => c.externalId)).size).toBe(seeded.length)
      })

      it('when a contact has names, several typed emails with the primary not first, phones and an organization, then they are mapped with the primary email first', async () => {
        await fx.seed([
          {
            given: 'Ada',
            family: 'Lovelace',
            emails: [
              { address: 'ada@work.example', type: 'work' },
              { address: 'ada@home.example', type: 'home' },
              { address: 'ada@other.example', type: 'other' },
            ],
            primaryEmail: 1,
            phones: [
              { value: '+44 20 7946 0000', e164: '+442079460000', type: 'mobile' },
              { value: '020 7946 0001', e164: '+442079460001', type: 'work' },
            ],
            organization: 'Analytical Engines Ltd',
          },
        ])

        const { contacts } = await fx.source.listPage(fx.accessToken)
        expect(contacts).toHaveLength(1)
        const [ada] = contacts as [Contact]
        expect(ada.externalId).toMatch(/\S/)
        expect(ada.name).toMatchObject({
          display: 'Ada Lovelace',
          given: 'Ada',
          family: 'Lovelace',
        })
        expect(ada.emails.map((e) => [e.address, e.primary])).toEqual([
          ['ada@home.example', true],
          ['ada@work.example', false],
          ['ada@other.example', false],
        ])
        if (fx.supports.emailTypes) {
          expect(ada.emails.map((e) => e.type)).toEqual(['home', 'work', 'other'])
        }
        expect(ada.phones.map((p) => p.value)).toEqual(['+44 20 7946 0000', '020 7946 0001'])
        if (fx.supports.phoneE164) {
          expect(ada.phones.map((p) => p.e164)).toEqual(['+442079460000', '+442079460001'])
        }
        expect(ada.organizations.map((o) => o.name)).toEqual(['Analytical Engines Ltd'])
      })
    })

    describe('failures', () => {
      it('when the token is one the provider never issued, then AccessTokenRejectedError is thrown (the caller refreshes)', async () => {
        const err = await rejectionOf(fx.source.listPage('not-a-token-this-provider-issued'))
        expect(err).toBeInstanceOf(AccessTokenRejectedError)
      })

      it('when the provider says the token expired, then AccessTokenRejectedError is thrown', async () => {
        fx.fault({ kind: 'token-expired' })
        expect(await rejectionOf(fx.source.listPage(fx.accessToken))).toBeInstanceOf(
          AccessTokenRejectedError,
        )
      })

      it('when the grant lacks the contacts scope, then it is CONTACTS_FORBIDDEN, a reconnect for this provider', async () => {
        fx.fault({ kind: 'insufficient-scope' })
        const err = await rejectionOf(fx.source.listPage(fx.accessToken))
        expect(err).toBeInstanceOf(AppError)
        expect(err).toMatchObject({
          code: 'CONTACTS_FORBIDDEN',
          status: 403,
          provider: fx.source.provider,
        })
      })

      it.each([
        [429, '7', 7],
        [503, '2.5', 2.5],
      ] as const)(
        'when the provider answers %i with Retry-After %s, then it is CONTACTS_UNAVAILABLE, retryable, waiting %d s',
        async (status, retryAfter, seconds) => {
          fx.fault({ kind: 'unavailable', status, retryAfter })
          const err = await rejectionOf(fx.source.listPage(fx.accessToken))
          expect(err).toBeInstanceOf(AppError)
          expect(err).toMatchObject({
            code: 'CONTACTS_UNAVAILABLE',
            retryable: true,
            retryAfterSeconds: seconds,
          })
        },
      )

      it('when Retry-After is an HTTP date, then the wait is counted from now', async () => {
        const in30s = new Date(Date.now() + 30_000).toUTCString()
        fx.fault({ kind: 'unavailable', status: 503, retryAfter: in30s })
        const err = (await rejectionOf(fx.source.listPage(fx.accessToken))) as AppError
        expect(err.code).toBe('CONTACTS_UNAVAILABLE')
        expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(28)
        expect(err.retryAfterSeconds).toBeLessThanOrEqual(30)
      })

      it.each([429, 503] as const)(
        'when the provider answers %i without Retry-After, then it is CONTACTS_UNAVAILABLE with no wait given',
        async (status) => {
          fx.fault({ kind: 'unavailable', status })
          const err = await rejectionOf(fx.source.listPage(fx.accessToken))
          expect(err).toMatchObject({
            code: 'CONTACTS_UNAVAILABLE',
            retryable: true,
            retryAfterSeconds: undefined,
          })
        },
      )

      it('when a 200 carries a body that is not the provider’s JSON, then it is CONTACTS_BAD_RESPONSE, not retryable', async () => {
        fx.fault({ kind: 'malformed-body' })
        const err = await rejectionOf(fx.source.listPage(fx.accessToken))
        expect(err).toBeInstanceOf(AppError)
        expect(err).toMatchObject({ code: 'CONTACTS_BAD_RESPONSE', retryable: false })
      })

      it('when a fault has passed, then the next read works again', async () => {
        await fx.seed(numbered(1))
        fx.fault({ kind: 'unavailable', status: 503 })
        await rejectionOf(fx.source.listPage(fx.accessToken))
        expect((await fx.source.listPage(fx.accessToken)).contacts).toHaveLength(1)
      })
    })
  })
}
