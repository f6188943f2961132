// The demo contacts server's contactGroups.list (contacts-apis.md §7.1): the system groups
// every account has and the demo users' own labels, with member counts, behind the same
// Bearer check as the connections.
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createDemoDirectory, DEMO_CONTACT_GROUPS } from '../../demo/seed.ts'
import { startPeopleFake } from './support/people-fake.ts'

const GROUPS = '/v1/contactGroups'
const DEMO = createDemoDirectory()

const fake = () => startPeopleFake({ people: DEMO, groups: DEMO_CONTACT_GROUPS })

const membersOf = (sub: string, group: string) =>
  (DEMO.get(sub) ?? []).filter((person) =>
    person.memberships?.some((m) => m.contactGroupMembership.contactGroupResourceName === group),
  ).length

describe('contacts server: contact groups', () => {
  it('when alice lists her groups, then she gets My Contacts, Starred and her own labels, each with its member count', async () => {
    const f = await fake()
    const res = await f.get(GROUPS, await f.mint())
    expect(res.status).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    const { contactGroups, totalItems, nextPageToken } = res.body
    expect(totalItems).toBe(5)
    expect(nextPageToken).toBeUndefined()
    expect(
      contactGroups.map((g: Record<string, unknown>) => [
        g.resourceName,
        g.formattedName,
        g.groupType,
      ]),
    ).toEqual([
      ['contactGroups/myContacts', 'My Contacts', 'SYSTEM_CONTACT_GROUP'],
      ['contactGroups/starred', 'Starred', 'SYSTEM_CONTACT_GROUP'],
      ...DEMO_CONTACT_GROUPS.map((g) => [g.resourceName, g.name, 'USER_CONTACT_GROUP']),
    ])
    expect(contactGroups[0]).toMatchObject({ name: 'myContacts', memberCount: 250 })
    for (const group of contactGroups.slice(2)) {
      expect(group.memberCount).toBe(membersOf('alice', group.resourceName))
      expect(group.memberCount).toBeGreaterThan(0)
      expect(group.etag).toMatch(/\S/)
      expect(group.metadata.updateTime).toMatch(/^\d{4}-/)
    }
  })

  it('when seeded people are read, then their memberships name groups that contactGroups lists', async () => {
    const f = await fake()
    const listed = new Set(
      (await f.get(`${GROUPS}?pageSize=1000`, await f.mint())).body.contactGroups.map(
        (g: { resourceName: string }) => g.resourceName,
      ),
    )
    const used = new Set(
      (DEMO.get('alice') ?? []).flatMap(
        (p) => p.memberships?.map((m) => m.contactGroupMembership.contactGroupResourceName) ?? [],
      ),
    )
    expect([...used].filter((group) => !listed.has(group))).toEqual([])
    expect(used.size).toBeGreaterThan(2)
  })

  it('when bob, who has no contacts, lists his groups, then they are there without member counts (proto3 leaves out 0)', async () => {
    const f = await fake()
    const res = await f.get(GROUPS, await f.mint('bob'))
    expect(res.body.contactGroups).toHaveLength(5)
    for (const group of res.body.contactGroups) expect(group.memberCount).toBeUndefined()
  })

  it('when groups are paged by 2, then 3 pages list each group once, the token bound to the query', async () => {
    const f = await fake()
    const token = await f.mint()
    const seen: string[] = []
    let pageToken: string | undefined
    let calls = 0
    do {
      const res = await f.get(
        `${GROUPS}?pageSize=2${pageToken ? `&pageToken=${pageToken}` : ''}`,
        token,
      )
      expect(res.status).toBe(200)
      expect(res.body.totalItems).toBe(5)
      seen.push(...res.body.contactGroups.map((g: { resourceName: string }) => g.resourceName))
      pageToken = res.body.nextPageToken
      calls += 1
    } while (pageToken && calls < 10)
    expect(calls).toBe(3)
    expect(new Set(seen).size).toBe(5)

    const first = (await f.get(`${GROUPS}?pageSize=2`, token)).body.nextPageToken
    const changed = await f.get(`${GROUPS}?pageSize=2&groupFields=name&pageToken=${first}`, token)
    expect(changed.status).toBe(400)
    const carols = await f.get(`${GROUPS}?pageSize=2&pageToken=${first}`, await f.mint('carol'))
    expect(carols.status).toBe(400)
  })

  it('when groupFields=name is asked for, then each group has its id, etag and names only', async () => {
    const f = await fake()
    const res = await f.get(`${GROUPS}?groupFields=name`, await f.mint())
    for (const group of res.body.contactGroups) {
      expect(Object.keys(group).sort()).toEqual(['etag', 'formattedName', 'name', 'resourceName'])
    }
  })

  it.each([
    ['an unknown groupFields path', '?groupFields=names'],
    ['a pageSize above 1000', '?pageSize=1001'],
    ['a garbage page token', '?pageToken=nope'],
    ['a sync token (not offered)', '?syncToken=abc'],
    ['a repeated pageSize', '?pageSize=1&pageSize=2'],
  ])('when the query has %s, then 400 INVALID_ARGUMENT', async (_what, query) => {
    const f = await fake()
    const res = await f.get(`${GROUPS}${query}`, await f.mint())
    expect(res.status).toBe(400)
    expect(res.body.error.status).toBe('INVALID_ARGUMENT')
  })

  it('when there is no token, a bad one, or one without the contacts scope, then 401 or 403 as for connections', async () => {
    const f = await fake()
    const { app } = f.server
    const missing = await request(app).get(GROUPS)
    expect(missing.status).toBe(401)
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="contacts"')
    expect((await f.get(GROUPS, 'not-a-jwt')).status).toBe(401)
    const narrow = await f.get(GROUPS, await f.mint('alice', { scope: 'openid' }))
    expect(narrow.status).toBe(403)
    expect(narrow.body.error.details[0].reason).toBe('ACCESS_TOKEN_SCOPE_INSUFFICIENT')
  })

  it('when a test sets a subject’s groups, then that subject sees them and the others keep theirs', async () => {
    const f = await fake()
    f.server.directory.setGroups('carol', [{ resourceName: 'contactGroups/abc', name: 'Chess' }])
    const carol = await f.get(GROUPS, await f.mint('carol'))
    expect(carol.body.contactGroups.map((g: { name: string }) => g.name)).toEqual([
      'myContacts',
      'starred',
      'Chess',
    ])
    expect((await f.get(GROUPS, await f.mint())).body.totalItems).toBe(5)
  })
})
