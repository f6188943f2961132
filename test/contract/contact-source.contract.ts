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
  /** The first is the current one, the provider's primary. */
  organizations?: Array<{ name: string; title?: string; department?: string }>
  middle?: string
  prefix?: string
  suffix?: string
  phoneticGiven?: string
  phoneticFamily?: string
  nicknames?: string[]
  addresses?: Array<{
    type: 'home' | 'work' | 'other'
    street?: string
    city?: string
    region?: string
    postalCode?: string
    country?: string
    countryCode?: string
  }>
  birthday?: { year?: number; month: number; day: number }
  urls?: Array<{ value: string; type?: 'work' | 'home' }>
  note?: string
  relations?: Array<{ person: string; type: 'spouse' | 'child' | 'manager' | 'assistant' }>
  events?: Array<{ date: { year?: number; month: number; day: number }; type: 'anniversary' }>
  photoUrl?: string
  /** The contact's own photo (a JPEG), for providers that serve photos on demand. */
  photo?: Uint8Array
  /** Group or category names; `fixture.label(name)` is what the contact's labels hold. */
  labels?: string[]
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
  supports: {
    emailTypes: boolean
    phoneE164: boolean
    /** Phonetic given and family names (Graph: yomi names). */
    phoneticNames: boolean
    /** Honorific suffix and middle name. */
    nameParts: boolean
    /** More than one organisation per contact. */
    severalOrganizations: boolean
    /** Birthdays without a year. */
    birthdayWithoutYear: boolean
    /** Dated events such as anniversaries. */
    events: boolean
    /**
     * How photos come: `urls` in the list response (People), or `on-demand`: the listing
     * says nothing, every contact may have one, and `fetchPhoto` reads it (Graph).
     */
    photos: 'urls' | 'on-demand'
    /** A cursor for incremental import on the last page, and incremental reads with it. */
    syncToken: boolean
    /**
     * The provider can rename or move a contact (`fixture.relink`): Google gives it a new
     * resourceName and says so in incremental reads; Graph moves it to another folder and,
     * with immutable ids, keeps its id.
     */
    relink: boolean
    /**
     * Labels are the ids of groups that listGroups reads from the provider (Google). False
     * when labels are names already (Graph categories): listGroups then reads nothing.
     */
    groups: boolean
  }
  /**
   * The query parameters that carry a cursor (People: pageToken and syncToken). Every other
   * parameter must be the same on every page request, full or incremental.
   */
  cursorParams: readonly string[]
  /**
   * Parameters the provider encodes into its cursors (Graph: a delta round's `$select` lives
   * in its skip and delta tokens): a request that carries a cursor may leave them out, but
   * never send them with another value.
   */
  cursorBoundParams?: readonly string[]
  /** The query of each contacts page request the fake answered since the last reset. */
  pageRequests(): Array<Record<string, string | string[]>>
  /** What a contact's `labels` holds for a seeded label name (a group id, or the name). */
  label(name: string): string
  /** Replaces the person's address book, in this order, and its groups by the labels used. */
  seed(contacts: readonly SeedContact[]): void | Promise<void>
  /** Adds a contact at the provider; its external id. */
  add(contact: SeedContact): string | Promise<string>
  /** Replaces what the provider holds for the contact. */
  update(externalId: string, contact: SeedContact): void | Promise<void>
  /** Deletes the contact at the provider. */
  remove(externalId: string): void | Promise<void>
  /**
   * Renames or moves the contact at the provider (when supports.relink); its id afterwards,
   * which is the same one when the provider keeps ids across moves.
   */
  relink(externalId: string): string | Promise<string>
  /** Adds a record that has an id but no usable field at all; its external id. */
  addUnusable(): string | Promise<string>
  /** Every sync cursor handed out so far is refused as expired from now on. */
  expireSyncTokens(): void | Promise<void>
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

    /** Every page of one read, full or (with a cursor) incremental, straight from listPage. */
    async function readEvery(syncToken?: string): Promise<ContactsPage[]> {
      const pages: ContactsPage[] = []
      let cursor: ContactsPage['next']
      do {
        const page = await fx.source.listPage(
          fx.accessToken,
          cursor,
          syncToken === undefined ? {} : { syncToken },
        )
        pages.push(page)
        cursor = page.next
      } while (cursor && pages.length < 50)
      expect(cursor).toBeUndefined()
      return pages
    }

    const lastSyncToken = (pages: ContactsPage[]): string => {
      const token = pages.at(-1)?.syncToken
      expect(token).toMatch(/\S/)
      return token as string
    }

    const ids = (pages: ContactsPage[]) =>
      pages.flatMap((page) => page.contacts.map((contact) => contact.externalId))

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

      it('when a sync cursor is supported, then only the last page carries it', async () => {
        if (!fx.supports.syncToken) return
        await fx.seed(numbered(fx.pageSize + 1))
        const pages = await readAll()
        expect(pages.length).toBeGreaterThanOrEqual(2)
        expect(pages.slice(0, -1).map((page) => page.syncToken)).toEqual(
          pages.slice(0, -1).map(() => undefined),
        )
        expect(pages.at(-1)?.syncToken).toMatch(/\S/)
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
        // A provider that counts the whole set says so on every page.
        for (const page of pages)
          if (page.total !== undefined) expect(page.total).toBe(seeded.length)
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
            organizations: [{ name: 'Analytical Engines Ltd' }],
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

      it('when a contact has every kind of field, then each is mapped and the provider payload is kept as raw', async () => {
        await fx.seed([
          {
            given: 'Grace',
            family: 'Hopper',
            middle: 'Brewster',
            prefix: 'Rear Admiral',
            suffix: 'PhD',
            phoneticGiven: 'Greis',
            phoneticFamily: 'Hoppa',
            nicknames: ['Amazing Grace'],
            emails: [{ address: 'grace@navy.example', type: 'work' }],
            addresses: [
              {
                type: 'work',
                street: '1 Navy Yard',
                city: 'Arlington',
                region: 'VA',
                postalCode: '22202',
                country: 'USA',
                countryCode: 'US',
              },
            ],
            organizations: [
              { name: 'US Navy', title: 'Rear Admiral', department: 'Computing' },
              { name: 'Harvard', title: 'Research Fellow' },
            ],
            birthday: { year: 1906, month: 12, day: 9 },
            urls: [{ value: 'https://grace.example/', type: 'work' }],
            note: 'Found the first bug.',
            relations: [{ person: 'Vincent Hopper', type: 'spouse' }],
            events: [{ date: { year: 1930, month: 6, day: 15 }, type: 'anniversary' }],
            photoUrl: 'https://photos.example/grace.jpg',
            labels: ['friends'],
          },
        ])

        const [grace] = (await fx.source.listPage(fx.accessToken)).contacts as [Contact]
        expect(grace.name).toMatchObject({
          given: 'Grace',
          family: 'Hopper',
          prefix: 'Rear Admiral',
        })
        if (fx.supports.nameParts) {
          expect(grace.name).toMatchObject({ middle: 'Brewster', suffix: 'PhD' })
        }
        if (fx.supports.phoneticNames) {
          expect(grace.name).toMatchObject({ phoneticGiven: 'Greis', phoneticFamily: 'Hoppa' })
        }
        expect(grace.nicknames).toEqual(['Amazing Grace'])
        expect(grace.addresses).toEqual([
          expect.objectContaining({
            type: 'work',
            street: '1 Navy Yard',
            city: 'Arlington',
            region: 'VA',
            postalCode: '22202',
            country: 'USA',
          }),
        ])
        const organizations = fx.supports.severalOrganizations ? 2 : 1
        expect(grace.organizations.map(({ name, title }) => ({ name, title }))).toEqual(
          [
            { name: 'US Navy', title: 'Rear Admiral' },
            { name: 'Harvard', title: 'Research Fellow' },
          ].slice(0, organizations),
        )
        expect(grace.organizations[0]?.department).toBe('Computing')
        expect(grace.birthdays.map((b) => b.date)).toEqual([{ year: 1906, month: 12, day: 9 }])
        expect(grace.urls.map((u) => u.value)).toEqual(['https://grace.example/'])
        expect(grace.notes.map((n) => n.value)).toEqual(['Found the first bug.'])
        expect(grace.relations).toEqual([{ person: 'Vincent Hopper', type: 'spouse' }])
        if (fx.supports.events) {
          expect(grace.events).toEqual([
            { date: { year: 1930, month: 6, day: 15 }, type: 'anniversary' },
          ])
        }
        if (fx.supports.photos === 'urls') {
          expect(grace.photos).toEqual([
            expect.objectContaining({ url: 'https://photos.example/grace.jpg' }),
          ])
        } else {
          expect(grace.photos).toEqual([{ fetchPath: expect.any(String) }])
        }
        expect(grace.labels).toEqual([fx.label('friends')])
        expect(grace.raw).toEqual(expect.any(Object))
        expect(JSON.stringify(grace.raw)).toContain('Found the first bug.')
      })

      it('when a birthday has no year, then it is month and day only', async () => {
        if (!fx.supports.birthdayWithoutYear) return
        await fx.seed([{ given: 'Ada', family: 'Lovelace', birthday: { month: 12, day: 10 } }])
        const [ada] = (await fx.source.listPage(fx.accessToken)).contacts as [Contact]
        expect(ada.birthdays.map((b) => b.date)).toEqual([{ month: 12, day: 10 }])
      })

      it('when a contact has only a name, then every other field is empty, not missing', async () => {
        await fx.seed([{ given: 'Solo', family: 'Name' }])
        const [solo] = (await fx.source.listPage(fx.accessToken)).contacts as [Contact]
        // On demand, any contact may have a photo: only its fetch says whether it has one.
        const photos = fx.supports.photos === 'urls' ? [] : [{ fetchPath: expect.any(String) }]
        expect(solo).toMatchObject({
          nicknames: [],
          emails: [],
          phones: [],
          addresses: [],
          organizations: [],
          birthdays: [],
          urls: [],
          notes: [],
          relations: [],
          events: [],
          photos,
          labels: [],
        })
      })

      it('when photos come on demand, then fetchPhoto reads a contact’s photo as a JPEG, and nothing for one without', async () => {
        if (fx.supports.photos !== 'on-demand') {
          expect(fx.source.fetchPhoto).toBeUndefined()
          return
        }
        const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46])
        await fx.seed([
          { given: 'Ada', family: 'Lovelace', photo: jpeg },
          { given: 'Alan', family: 'Turing' },
        ])
        const contacts = (await fx.source.listPage(fx.accessToken)).contacts
        const pathOf = (given: string) => {
          const photo = contacts.find((c) => c.name.given === given)?.photos[0]
          if (!photo || !('fetchPath' in photo)) throw new Error(`${given} has no photo path`)
          return photo.fetchPath
        }
        const fetchPhoto = fx.source.fetchPhoto?.bind(fx.source)
        expect(fetchPhoto).toBeDefined()
        const ada = await fetchPhoto?.(fx.accessToken, pathOf('Ada'))
        expect(ada?.contentType).toBe('image/jpeg')
        expect(new Uint8Array(ada?.bytes ?? [])).toEqual(jpeg)
        expect(await fetchPhoto?.(fx.accessToken, pathOf('Alan'))).toBeUndefined()
      })
    })

    describe('incremental reads', () => {
      it('when contacts are added, updated and deleted after a full read, then the incremental read brings exactly those changes', async () => {
        if (!fx.supports.syncToken) return
        await fx.seed([
          { given: 'Ada', family: 'Lovelace' },
          { given: 'Alan', family: 'Turing' },
          { given: 'Grace', family: 'Hopper' },
        ])
        const full = await readEvery()
        const [ada, alan, grace] = ids(full) as [string, string, string]
        expect(ids(full)).toHaveLength(3)

        const katherine = await fx.add({ given: 'Katherine', family: 'Johnson' })
        await fx.update(alan, { given: 'Alan', family: 'Turing', note: 'Broke Enigma.' })
        await fx.remove(grace)
        const changes = await readEvery(lastSyncToken(full))

        expect(ids(changes).sort()).toEqual([alan, katherine].sort())
        const contacts = changes.flatMap((page) => page.contacts)
        expect(contacts.find((c) => c.externalId === alan)?.notes.map((n) => n.value)).toEqual([
          'Broke Enigma.',
        ])
        expect(contacts.find((c) => c.externalId === katherine)?.name.family).toBe('Johnson')
        expect(changes.flatMap((page) => page.deleted)).toEqual([grace])
        expect(changes.flatMap((page) => page.skipped)).toEqual([])
        expect(ids(changes)).not.toContain(ada)
        expect(changes.flatMap((page) => page.relinked)).toEqual([])
      })

      it('when nothing changed since the last read, then the incremental read is empty and hands out the next cursor', async () => {
        if (!fx.supports.syncToken) return
        await fx.seed(numbered(3))
        const again = await readEvery(lastSyncToken(await readEvery()))
        expect(
          again.flatMap((page) => [...page.contacts, ...page.deleted, ...page.skipped]),
        ).toEqual([])
        // The next cursor works too: incremental reads chain.
        const third = await readEvery(lastSyncToken(again))
        expect(third.flatMap((page) => page.contacts)).toEqual([])
      })

      it('when a change follows an incremental read, then the next incremental read brings only that change', async () => {
        if (!fx.supports.syncToken) return
        await fx.seed(numbered(2))
        const full = await readEvery()
        const added = await fx.add({ given: 'First', family: 'Change' })
        const first = await readEvery(lastSyncToken(full))
        expect(ids(first)).toEqual([added])
        await fx.remove(added)
        const second = await readEvery(lastSyncToken(first))
        expect(ids(second)).toEqual([])
        expect(second.flatMap((page) => page.deleted)).toEqual([added])
      })

      it('when more changed than one page holds, then the changes come over several pages, each once, the cursor on the last', async () => {
        if (!fx.supports.syncToken) return
        await fx.seed(numbered(1))
        const full = await readEvery()
        const added: string[] = []
        for (const contact of numbered(fx.pageSize + 1)) added.push(await fx.add(contact))
        const changes = await readEvery(lastSyncToken(full))
        expect(changes.length).toBeGreaterThanOrEqual(2)
        expect(changes.slice(0, -1).map((page) => page.syncToken)).toEqual(
          changes.slice(0, -1).map(() => undefined),
        )
        expect(ids(changes).sort()).toEqual(added.sort())
      })

      it('when a contact is renamed or moved at the provider, then the incremental read keeps one record of it: re-keyed if its id changed, never deleted', async () => {
        if (!fx.supports.syncToken || !fx.supports.relink) return
        await fx.seed([
          { given: 'Ada', family: 'Lovelace', emails: [{ address: 'ada@example.com' }] },
        ])
        const full = await readEvery()
        const [before] = ids(full) as [string]
        const after = await fx.relink(before)
        const changes = await readEvery(lastSyncToken(full))
        expect(changes.flatMap((page) => page.relinked)).toEqual(
          after === before ? [] : [{ from: before, to: after }],
        )
        expect(ids(changes)).toEqual([after])
        expect(changes.flatMap((page) => page.deleted)).toEqual([])
      })

      it('when the provider no longer accepts the cursor, then it is SYNC_TOKEN_EXPIRED for this provider (the caller reads everything again)', async () => {
        if (!fx.supports.syncToken) return
        await fx.seed(numbered(2))
        const syncToken = lastSyncToken(await readEvery())
        await fx.expireSyncTokens()
        const err = await rejectionOf(fx.source.listPage(fx.accessToken, undefined, { syncToken }))
        expect(err).toBeInstanceOf(AppError)
        expect(err).toMatchObject({ code: 'SYNC_TOKEN_EXPIRED', provider: fx.source.provider })
        // A full read still works, and hands out a cursor that is accepted.
        const fresh = await readEvery()
        expect(ids(fresh)).toHaveLength(2)
        expect((await readEvery(lastSyncToken(fresh))).flatMap((page) => page.contacts)).toEqual([])
      })

      it('when pages are read, full or incremental, then every request carries the same parameters apart from the cursors', async () => {
        if (!fx.supports.syncToken) return
        await fx.seed(numbered(fx.pageSize + 1))
        const full = await readEvery()
        for (const contact of numbered(fx.pageSize + 1)) await fx.add(contact)
        const changes = await readEvery(lastSyncToken(full))
        expect(full.length + changes.length).toBeGreaterThanOrEqual(4)

        const requests = fx.pageRequests()
        expect(requests).toHaveLength(full.length + changes.length)
        const bound = fx.cursorBoundParams ?? []
        const hasCursor = (query: Record<string, unknown>) =>
          fx.cursorParams.some((name) => name in query)
        const withoutCursors = requests.map((query) =>
          Object.fromEntries(
            Object.entries(query).filter(([name]) => !fx.cursorParams.includes(name)),
          ),
        )
        // The first request starts the read: it carries every parameter, bound ones too.
        const [first] = withoutCursors as [Record<string, string | string[]>]
        for (const [n, query] of withoutCursors.entries()) {
          const leftOut = hasCursor(requests[n] ?? {})
            ? bound.filter((name) => !(name in query))
            : []
          const expected = Object.fromEntries(
            Object.entries(first).filter(([name]) => !leftOut.includes(name)),
          )
          expect(query).toEqual(expected)
        }
      })
    })

    describe('records that cannot be kept', () => {
      it('when the provider holds a record with no usable field at all, then it is listed as skipped with its id and a reason, and the others come as usual', async () => {
        await fx.seed([{ given: 'Ada', family: 'Lovelace' }])
        const blank = await fx.addUnusable()
        const pages = await readEvery()
        expect(pages.flatMap((page) => page.contacts).map((c) => c.name.family)).toEqual([
          'Lovelace',
        ])
        const skipped = pages.flatMap((page) => page.skipped)
        expect(skipped).toEqual([{ externalId: blank, reason: expect.stringMatching(/\S/) }])
        expect(ids(pages)).not.toContain(blank)
      })
    })

    describe('groups', () => {
      it('when contacts carry labels, then listGroups names each label the contacts hold', async () => {
        await fx.seed([
          { given: 'Ada', family: 'Lovelace', labels: ['Book club', 'Work'] },
          { given: 'Alan', family: 'Turing', labels: ['Work'] },
        ])
        const [ada, alan] = (await fx.source.listPage(fx.accessToken)).contacts as [
          Contact,
          Contact,
        ]
        expect(ada.labels).toEqual([fx.label('Book club'), fx.label('Work')])
        expect(alan.labels).toEqual([fx.label('Work')])
        const groups = await fx.source.listGroups(fx.accessToken)
        // What the import stores: the group's name, or the label itself when it has none
        // (run-import's withGroupNames) — which is right only where labels are names.
        const nameOf = (label: string) =>
          groups.get(label) ?? (fx.supports.groups ? undefined : label)
        expect(nameOf(fx.label('Book club'))).toBe('Book club')
        expect(nameOf(fx.label('Work'))).toBe('Work')
      })

      it('when the token is refused while groups are read, then AccessTokenRejectedError is thrown (the caller refreshes)', async () => {
        if (!fx.supports.groups) return
        const err = await rejectionOf(fx.source.listGroups('not-a-token-this-provider-issued'))
        expect(err).toBeInstanceOf(AccessTokenRejectedError)
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
