// The demo contacts server's incremental reads (contacts-apis.md §3.3, §7.3): sync tokens on
// the last page of full reads, changes since a token in change order (updates, tombstones,
// relinks), expiry counted from the full sync, and page tokens that keep a listing
// consistent while the data changes under it.
import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import type { ContactsServerOptions } from '../../demo/contacts-server.ts'
import type { Person } from '../../demo/person.ts'
import { createDemoDirectory, DEMO_CONTACT_COUNTS } from '../../demo/seed.ts'
import {
  CONNECTIONS,
  type ListBody,
  namedPerson,
  type PeopleFake,
  people,
  startPeopleFake,
} from './support/people-fake.ts'

// Servers copy their seed, so one generated book serves every test.
const DEMO = createDemoDirectory()
const QUERY = 'personFields=names,metadata&pageSize=100&requestSyncToken=true'
const DAY = 24 * 3600 * 1000

const EXPIRED_BODY = {
  error: {
    code: 400,
    message: 'Sync token is expired. Clear local cache and retry call without the sync token.',
    status: 'FAILED_PRECONDITION',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'EXPIRED_SYNC_TOKEN',
        domain: 'people.googleapis.com',
      },
    ],
  },
}
const INVALID_ARGUMENT_BODY = {
  error: {
    code: 400,
    message: 'Request contains an invalid argument.',
    status: 'INVALID_ARGUMENT',
  },
}

/** A clock the test moves. */
function clock(start = Date.UTC(2025, 5, 1)) {
  let now = start
  return {
    now: () => now,
    advance(ms: number) {
      now += ms
    },
  }
}

async function fake(options: Partial<ContactsServerOptions> = {}) {
  return startPeopleFake({ people: new Map([['alice', people(5)]]), ...options })
}

/** Every page of one read; the bodies in order. */
async function readAll(
  f: PeopleFake,
  token: string,
  query = QUERY,
  syncToken?: string,
): Promise<ListBody[]> {
  const bodies: ListBody[] = []
  let pageToken: string | undefined
  do {
    const params = new URLSearchParams(query)
    if (syncToken) params.set('syncToken', syncToken)
    if (pageToken) params.set('pageToken', pageToken)
    const res = await f.get(`${CONNECTIONS}?${params}`, token)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    bodies.push(res.body as ListBody)
    pageToken = (res.body as ListBody).nextPageToken
  } while (pageToken && bodies.length < 20)
  return bodies
}

const syncTokenOf = (bodies: ListBody[]) => {
  const token = bodies.at(-1)?.nextSyncToken
  expect(typeof token).toBe('string')
  return token as string
}
const names = (bodies: ListBody[]) =>
  bodies.flatMap((body) => body.connections ?? []).map((person) => person.resourceName)

function incremental(f: PeopleFake, token: string, syncToken: string, query = QUERY) {
  const params = new URLSearchParams(query)
  params.set('syncToken', syncToken)
  return f.get(`${CONNECTIONS}?${params}`, token)
}

describe('contacts server: incremental reads', () => {
  it('when people are updated, added, deleted and relinked after a full read, then the incremental read returns exactly those, in change order', async () => {
    const f = await fake()
    const token = await f.mint()
    const syncToken = syncTokenOf(await readAll(f, token))
    const { directory } = f.server

    const updated = directory.update('alice', 'people/c1001', { nicknames: undefined })
    const added = directory.add('alice', { names: namedPerson(99, 'Newcomer').names })
    const deleted = directory.delete('alice', 'people/c1003')
    const relinked = directory.relink('alice', 'people/c1004', 'people/c9004')

    const res = await incremental(f, token, syncToken)
    expect(res.status).toBe(200)
    const body = res.body as ListBody
    expect(Object.keys(body).sort()).toEqual(['connections', 'nextSyncToken'])
    expect(body.connections).toEqual([
      {
        resourceName: 'people/c1001',
        etag: updated.etag,
        metadata: updated.metadata,
        names: updated.names,
      },
      {
        resourceName: added.resourceName,
        etag: added.etag,
        metadata: added.metadata,
        names: added.names,
      },
      {
        resourceName: 'people/c1003',
        etag: deleted.etag,
        metadata: { sources: deleted.metadata?.sources, deleted: true },
      },
      {
        resourceName: 'people/c9004',
        etag: relinked.etag,
        metadata: { ...relinked.metadata, previousResourceNames: ['people/c1004'] },
        names: relinked.names,
      },
    ])
    // Every change gave a new etag.
    expect(updated.etag).not.toBe(namedPerson(1).etag)
    expect(relinked.etag).not.toBe(namedPerson(4).etag)
  })

  it('when metadata is not among the personFields, then a tombstone cannot be told from an update (the real pitfall)', async () => {
    const f = await fake()
    const token = await f.mint()
    const query = 'personFields=names&requestSyncToken=true'
    const syncToken = syncTokenOf(await readAll(f, token, query))
    const gone = f.server.directory.delete('alice', 'people/c1002')
    const res = await incremental(f, token, syncToken, query)
    expect(res.body.connections).toEqual([{ resourceName: 'people/c1002', etag: gone.etag }])
  })

  it('when nothing changed, then the answer holds only the next sync token', async () => {
    const f = await fake()
    const token = await f.mint()
    const syncToken = syncTokenOf(await readAll(f, token))
    // Another person's change is not alice's.
    f.server.directory.replace('carol', people(2))
    const res = await incremental(f, token, syncToken)
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['nextSyncToken'])
  })

  it('when incremental reads chain, then each returns only what changed since the token it was given', async () => {
    const f = await fake()
    const token = await f.mint()
    const first = syncTokenOf(await readAll(f, token))
    f.server.directory.delete('alice', 'people/c1000')
    const second = await readAll(f, token, QUERY, first)
    expect(names(second)).toEqual(['people/c1000'])
    f.server.directory.update('alice', 'people/c1001', { biographies: undefined })
    const third = await readAll(f, token, QUERY, syncTokenOf(second))
    expect(names(third)).toEqual(['people/c1001'])
    expect(names(await readAll(f, token, QUERY, syncTokenOf(third)))).toEqual([])
  })

  it('when more changed than a page holds, then the changes are paged, each once, without totals, the sync token on the last page only', async () => {
    const f = await fake()
    const token = await f.mint()
    const syncToken = syncTokenOf(await readAll(f, token))
    const added = Array.from(
      { length: 250 },
      (_, n) => f.server.directory.add('alice', { names: namedPerson(n).names }).resourceName,
    )
    const bodies = await readAll(f, token, QUERY, syncToken)
    expect(bodies.map((body) => body.connections?.length)).toEqual([100, 100, 50])
    expect(names(bodies)).toEqual(added)
    expect(bodies.map((body) => typeof body.nextSyncToken)).toEqual([
      'undefined',
      'undefined',
      'string',
    ])
    for (const body of bodies) expect(body.totalItems).toBeUndefined()
  })

  it('when a person changes twice, then an incremental read returns them once, at their latest change', async () => {
    const f = await fake()
    const token = await f.mint()
    const syncToken = syncTokenOf(await readAll(f, token))
    const { directory } = f.server
    directory.update('alice', 'people/c1000', { nicknames: undefined })
    directory.update('alice', 'people/c1001', { nicknames: undefined })
    directory.update('alice', 'people/c1000', { biographies: undefined })
    expect(names(await readAll(f, token, QUERY, syncToken))).toEqual([
      'people/c1001',
      'people/c1000',
    ])
  })

  it('when a person is added and deleted between two reads, then only its tombstone comes', async () => {
    const f = await fake()
    const token = await f.mint()
    const syncToken = syncTokenOf(await readAll(f, token))
    const brief = f.server.directory.add('alice', { names: namedPerson(7).names })
    f.server.directory.delete('alice', brief.resourceName)
    const [body] = await readAll(f, token, QUERY, syncToken)
    expect(body?.connections).toEqual([
      expect.objectContaining({
        resourceName: brief.resourceName,
        metadata: expect.objectContaining({ deleted: true }),
      }),
    ])
  })
})

describe('contacts server: sync token expiry', () => {
  it('when a sync token is older than the time to live, then 400 with EXPIRED_SYNC_TOKEN, exactly as Google answers', async () => {
    const time = clock()
    const f = await fake({ now: time.now, syncTokenTtlMs: DAY })
    const token = await f.mint()
    const syncToken = syncTokenOf(await readAll(f, token))
    time.advance(DAY)
    expect((await incremental(f, token, syncToken)).status).toBe(200)
    time.advance(1)
    const res = await incremental(f, token, syncToken)
    expect(res.status).toBe(400)
    expect(res.body).toEqual(EXPIRED_BODY)
  })

  it('when incremental reads follow one another, then their tokens keep the full sync’s time and expire with it', async () => {
    const time = clock()
    const f = await fake({ now: time.now, syncTokenTtlMs: 7 * DAY })
    const token = await f.mint()
    let syncToken = syncTokenOf(await readAll(f, token))
    for (let day = 0; day < 7; day += 1) {
      time.advance(DAY)
      syncToken = syncTokenOf(await readAll(f, token, QUERY, syncToken))
    }
    time.advance(1)
    expect((await incremental(f, token, syncToken)).body).toEqual(EXPIRED_BODY)
    // A new full read starts a new lifetime.
    const fresh = syncTokenOf(await readAll(f, token))
    time.advance(DAY)
    expect((await incremental(f, token, fresh)).status).toBe(200)
  })

  it.each([
    ['INVALID_ARGUMENT', 400, 'INVALID_ARGUMENT'],
    ['GONE', 410, 'FAILED_PRECONDITION'],
  ] as const)(
    'when expired tokens are to be answered %s, then the status is %i',
    async (answer, status, statusText) => {
      const f = await fake({ expiredSyncTokenAnswer: answer })
      const token = await f.mint()
      const syncToken = syncTokenOf(await readAll(f, token))
      f.server.faults.expireSyncTokens()
      const res = await incremental(f, token, syncToken)
      expect(res.status).toBe(status)
      expect(res.body.error).toMatchObject({
        code: status,
        status: statusText,
        message: EXPIRED_BODY.error.message,
      })
      expect(res.body.error.details ?? []).toEqual(status === 410 ? [] : EXPIRED_BODY.error.details)
    },
  )

  it('when the answer is switched at run time, then the next expired token gets the new answer', async () => {
    const f = await fake()
    const token = await f.mint()
    const syncToken = syncTokenOf(await readAll(f, token))
    f.server.faults.expireSyncTokens()
    f.server.settings.expiredSyncTokenAnswer = 'GONE'
    expect((await incremental(f, token, syncToken)).status).toBe(410)
  })

  it('when sync tokens are expired by the fault, then every earlier token is refused and later ones work', async () => {
    const f = await fake()
    const token = await f.mint()
    const older = syncTokenOf(await readAll(f, token))
    const chained = syncTokenOf(await readAll(f, token, QUERY, older))
    f.server.faults.expireSyncTokens()
    f.server.faults.clear() // clearing the queue does not bring them back
    for (const stale of [older, chained]) {
      expect((await incremental(f, token, stale)).body).toEqual(EXPIRED_BODY)
    }
    const fresh = syncTokenOf(await readAll(f, token))
    expect((await incremental(f, token, fresh)).status).toBe(200)
  })

  it('when tombstones are older than the time to live, then they are dropped', async () => {
    const time = clock()
    const f = await fake({ now: time.now, syncTokenTtlMs: DAY })
    const token = await f.mint()
    const syncToken = syncTokenOf(await readAll(f, token))
    f.server.directory.delete('alice', 'people/c1000')
    const { directory } = f.server
    expect(
      directory.readChanges('alice', { since: 0, asOfSeq: directory.seq, after: 0, limit: 10 })
        .items.length,
    ).toBe(5)
    time.advance(DAY + 1)
    expect(
      directory
        .readChanges('alice', { since: 0, asOfSeq: directory.seq, after: 0, limit: 10 })
        .items.map((item) => item.person.resourceName),
    ).toEqual(['people/c1001', 'people/c1002', 'people/c1003', 'people/c1004'])
    // By then no token old enough to need the tombstone is accepted.
    expect((await incremental(f, token, syncToken)).body).toEqual(EXPIRED_BODY)
  })
})

describe('contacts server: sync tokens that do not fit', () => {
  async function withToken() {
    const f = await fake({ people: DEMO })
    const token = await f.mint()
    return { f, token, syncToken: syncTokenOf(await readAll(f, token)) }
  }

  it('when a sync token is tampered with, then 400 INVALID_ARGUMENT', async () => {
    const { f, token, syncToken } = await withToken()
    const raw = Buffer.from(syncToken, 'base64url')
    const forged = Buffer.from(
      raw.toString('latin1').replace(/"s":(\d+)/, (_, n) => `"s":${Number(n) - 1}`),
      'latin1',
    )
    const res = await incremental(f, token, forged.toString('base64url'))
    expect(res.status).toBe(400)
    expect(res.body).toEqual(INVALID_ARGUMENT_BODY)
  })

  it.each([
    ['personFields differ', 'personFields=names&pageSize=100&requestSyncToken=true'],
    ['requestSyncToken is left out', 'personFields=names,metadata&pageSize=100'],
    [
      'sources are added',
      'personFields=names,metadata&pageSize=100&requestSyncToken=true&sources=READ_SOURCE_TYPE_CONTACT',
    ],
  ])('when %s, then the sync token is refused with INVALID_ARGUMENT', async (_what, query) => {
    const { f, token, syncToken } = await withToken()
    const res = await incremental(f, token, syncToken, query)
    expect(res.status).toBe(400)
    expect(res.body).toEqual(INVALID_ARGUMENT_BODY)
  })

  it('when only pageSize differs, then the sync token is accepted (Google exempts it)', async () => {
    const { f, token, syncToken } = await withToken()
    const res = await incremental(f, token, syncToken, QUERY.replace('pageSize=100', 'pageSize=7'))
    expect(res.status).toBe(200)
  })

  it("when carol sends alice's sync token, then it is refused", async () => {
    const { f, syncToken } = await withToken()
    const res = await incremental(f, await f.mint('carol'), syncToken)
    expect(res.status).toBe(400)
    expect(res.body).toEqual(INVALID_ARGUMENT_BODY)
  })

  it('when a page token is sent as a sync token, or a sync token as a page token, then both are refused', async () => {
    const f = await fake({ people: DEMO })
    const token = await f.mint()
    const [first] = await readAll(f, token)
    const pageToken = first?.nextPageToken as string
    expect((await incremental(f, token, pageToken)).status).toBe(400)
    const syncToken = syncTokenOf(await readAll(f, token))
    expect((await f.get(`${CONNECTIONS}?${QUERY}&pageToken=${syncToken}`, token)).status).toBe(400)
  })

  it('when the syncToken changes while paging through changes, then the page token is refused', async () => {
    const f = await fake()
    const token = await f.mint()
    const one = syncTokenOf(await readAll(f, token))
    for (let n = 0; n < 150; n += 1)
      f.server.directory.add('alice', { names: namedPerson(n).names })
    const two = syncTokenOf(await readAll(f, token))
    const first = (await incremental(f, token, one)).body as ListBody
    const params = new URLSearchParams(QUERY)
    params.set('syncToken', two)
    params.set('pageToken', first.nextPageToken as string)
    expect((await f.get(`${CONNECTIONS}?${params}`, token)).status).toBe(400)
  })

  it('when a sync token comes from an earlier run of a server with the same key, then it is expired, not invalid (the data started afresh)', async () => {
    const pageTokenSecret = new Uint8Array(32).fill(7)
    const before = await fake({ pageTokenSecret })
    const token = await before.mint()
    const syncToken = syncTokenOf(await readAll(before, token))
    const after = await fake({ pageTokenSecret })
    expect((await incremental(after, token, syncToken)).body).toEqual(EXPIRED_BODY)
    const other = await fake()
    expect((await incremental(other, token, syncToken)).body).toEqual(INVALID_ARGUMENT_BODY)
  })
})

describe('contacts server: paging while the data changes', () => {
  it('when people are added, changed and deleted between pages of a full read, then every person of the first page’s view comes exactly once, with the same totals', async () => {
    const f = await fake({ people: DEMO })
    const token = await f.mint()
    const { directory } = f.server
    const before = directory.people('alice').map((person) => person.resourceName)
    const first = (await f.get(`${CONNECTIONS}?${QUERY}`, token)).body as ListBody
    const total = DEMO_CONTACT_COUNTS.alice

    // While the client is between pages 1 and 2:
    const onPage1 = before[10] as string
    const onPage2 = before[150] as string
    const onPage3 = before[220] as string
    directory.delete('alice', onPage1)
    directory.delete('alice', onPage3) // not served yet: it was there when the read began
    const edited = directory.update('alice', onPage2, { nicknames: undefined })
    const newcomer = directory.add('alice', { names: namedPerson(1, 'Late').names })
    directory.relink('alice', before[200] as string, 'people/c777')

    const rest: ListBody[] = []
    let pageToken = first.nextPageToken
    while (pageToken) {
      const body = (await f.get(`${CONNECTIONS}?${QUERY}&pageToken=${pageToken}`, token))
        .body as ListBody
      rest.push(body)
      pageToken = body.nextPageToken
    }
    const bodies = [first, ...rest]
    for (const body of bodies) {
      expect(body.totalItems).toBe(total)
      expect(body.totalPeople).toBe(total)
    }
    const served = names(bodies)
    expect(served).toHaveLength(total)
    expect(new Set(served).size).toBe(total)
    expect(served).not.toContain(newcomer.resourceName)
    expect(served).toContain(onPage3)
    expect(served).toContain('people/c777')
    // Later pages show a changed person as it is now: newer, never twice.
    const served2 = bodies
      .flatMap((b) => b.connections ?? [])
      .find((p) => p.resourceName === onPage2)
    expect(served2?.etag).toBe(edited.etag)

    // The sync token of that read counts from its first page: the changes come next time.
    const changes = await readAll(f, token, QUERY, syncTokenOf(bodies))
    expect(names(changes).sort()).toEqual(
      [onPage1, onPage3, onPage2, newcomer.resourceName, 'people/c777'].sort(),
    )
  })

  it('when people change while an incremental read is paged, then each change of its view comes once and the rest next time', async () => {
    const f = await fake()
    const token = await f.mint()
    const { directory } = f.server
    const syncToken = syncTokenOf(await readAll(f, token))
    const added = Array.from(
      { length: 150 },
      (_, n) => directory.add('alice', { names: namedPerson(n).names }).resourceName,
    )
    const first = (await incremental(f, token, syncToken)).body as ListBody
    expect(first.connections).toHaveLength(100)

    // Between pages: one served change and one unserved change are changed again.
    const served = added[5] as string
    const unserved = added[120] as string
    directory.update('alice', served, { biographies: undefined })
    directory.update('alice', unserved, { biographies: undefined })
    directory.delete('alice', 'people/c1000')

    const params = new URLSearchParams(QUERY)
    params.set('syncToken', syncToken)
    params.set('pageToken', first.nextPageToken as string)
    const second = (await f.get(`${CONNECTIONS}?${params}`, token)).body as ListBody
    const seen = names([first, second])
    // The view as of the first page: nothing new mixed in, nothing skipped by the shift.
    expect(seen).toEqual(added)

    // Next time: exactly what changed after that view.
    const next = await readAll(f, token, QUERY, syncTokenOf([second]))
    expect(names(next)).toEqual([served, unserved, 'people/c1000'])
  })
})

describe('contacts server: the directory API', () => {
  it('when a person is added with a taken resourceName, or a missing one is changed, then it throws', async () => {
    const f = await fake()
    const { directory } = f.server
    expect(() => directory.add('alice', { resourceName: 'people/c1000' })).toThrow(RangeError)
    expect(() => directory.update('alice', 'people/nobody', {})).toThrow(RangeError)
    expect(() => directory.delete('bob', 'people/c1000')).toThrow(RangeError)
    expect(() => directory.relink('alice', 'people/c1000', 'people/c1001')).toThrow(RangeError)
  })

  it('when the seed is changed through the directory, then the seed itself stays as it was', async () => {
    const seed: Person[] = people(2)
    const f = await fake({ people: new Map([['alice', seed]]) })
    f.server.directory.update('alice', 'people/c1000', { names: namedPerson(0, 'Renamed').names })
    expect(seed[0]?.names?.[0]?.displayName).toBe('Person 0')
    expect(f.server.directory.get('alice', 'people/c1000')?.names?.[0]?.displayName).toBe('Renamed')
  })

  it('when each mutation happens, then the change sequence moves by one', async () => {
    const f = await fake()
    const { directory } = f.server
    const start = directory.seq
    const added = directory.add('alice', {})
    directory.update('alice', added.resourceName, { nicknames: undefined })
    directory.relink('alice', added.resourceName)
    expect(directory.seq).toBe(start + 3)
    expect(added.resourceName).toMatch(/^people\/c\d+$/)
  })
})
