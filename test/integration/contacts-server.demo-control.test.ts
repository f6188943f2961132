// The demo control page of the contacts server (GET /__demo): a button per demo user that
// adds 2 contacts, edits 3 and deletes 1, so the next import is an incremental one with
// exactly those changes to report.
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createDemoDirectory, DEMO_CONTACT_COUNTS } from '../../demo/seed.ts'
import { CONNECTIONS, type ListBody, namedPerson, startPeopleFake } from './support/people-fake.ts'

const DEMO = createDemoDirectory()
const QUERY = 'personFields=names,metadata&pageSize=1000&requestSyncToken=true'

const fake = (demoControl = true) => startPeopleFake({ people: DEMO, demoControl })

const change = (app: Parameters<typeof request>[0], sub: string) =>
  request(app).post(`/__demo/users/${sub}/changes`).type('form').send('')

/** The resourceNames listed under a heading of the result page. */
function listed(html: string, heading: string): string[] {
  const section = html.split(`<h2>${heading}`)[1]?.split('</ul>')[0] ?? ''
  return [...section.matchAll(/\((people\/c\d+)\)/g)].map((m) => m[1] as string)
}

describe('contacts server: the demo control page', () => {
  it('when the page is opened, then it lists every demo user with a form that POSTs their changes', async () => {
    const { server } = await fake()
    const res = await request(server.app).get('/__demo')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.headers['content-security-policy']).toContain("default-src 'none'")
    expect(res.headers['cache-control']).toBe('no-store')
    for (const sub of Object.keys(DEMO_CONTACT_COUNTS)) {
      expect(res.text).toContain(`<form method="post" action="/__demo/users/${sub}/changes">`)
    }
    expect(res.text).toContain(`${DEMO_CONTACT_COUNTS.carol} contacts`)
    expect(res.text).toContain('Make a few changes')
  })

  it('when carol’s button is pressed, then 2 are added, 3 edited and 1 deleted, and an incremental read returns exactly those', async () => {
    const f = await fake()
    const token = await f.mint('carol')
    // The import before the change: all pages, then the sync token.
    let syncToken: string | undefined
    let pageToken: string | undefined
    do {
      const body = (
        await f.get(`${CONNECTIONS}?${QUERY}${pageToken ? `&pageToken=${pageToken}` : ''}`, token)
      ).body as ListBody
      pageToken = body.nextPageToken
      syncToken = body.nextSyncToken
    } while (pageToken)

    const res = await change(f.server.app, 'carol')
    expect(res.status).toBe(200)
    expect(res.text).toContain('Changed carol')
    const added = listed(res.text, 'Added')
    const edited = listed(res.text, 'Edited')
    const deleted = listed(res.text, 'Deleted')
    expect([added.length, edited.length, deleted.length]).toEqual([2, 3, 1])
    expect(f.server.directory.people('carol')).toHaveLength(DEMO_CONTACT_COUNTS.carol + 1)

    const changes = (
      await f.get(`${CONNECTIONS}?${QUERY}&syncToken=${encodeURIComponent(syncToken ?? '')}`, token)
    ).body as ListBody
    const connections = changes.connections ?? []
    const tombstones = connections.filter((p) => p.metadata?.deleted)
    const updates = connections.filter((p) => !p.metadata?.deleted)
    expect(tombstones.map((p) => p.resourceName)).toEqual(deleted)
    expect(updates.map((p) => p.resourceName).sort()).toEqual([...added, ...edited].sort())
  })

  it('when the button is pressed twice, then other contacts are edited and deleted the second time', async () => {
    const { server } = await fake()
    const once = await change(server.app, 'alice')
    const twice = await change(server.app, 'alice')
    for (const heading of ['Edited', 'Deleted']) {
      const first = listed(once.text, heading)
      expect(listed(twice.text, heading).filter((name) => first.includes(name))).toEqual([])
    }
  })

  it('when bob, who has no contacts, gets changes, then 2 are added and nothing else', async () => {
    const { server } = await fake()
    const res = await change(server.app, 'bob')
    expect(res.status).toBe(200)
    expect(listed(res.text, 'Added')).toHaveLength(2)
    expect(listed(res.text, 'Edited')).toEqual([])
    expect(listed(res.text, 'Deleted')).toEqual([])
  })

  it('when the POST has no form body, or is a GET, then nothing changes', async () => {
    const { server } = await fake()
    const seq = server.directory.seq
    const json = await request(server.app)
      .post('/__demo/users/alice/changes')
      .set('Content-Type', 'application/json')
      .send('{}')
    expect(json.status).toBe(415)
    expect((await request(server.app).post('/__demo/users/alice/changes')).status).toBe(415)
    expect((await request(server.app).get('/__demo/users/alice/changes')).status).toBe(404)
    expect(server.directory.seq).toBe(seq)
  })

  it('when an unknown user is named, then 404 and nothing changes', async () => {
    const { server } = await fake()
    const seq = server.directory.seq
    expect((await change(server.app, 'mallory')).status).toBe(404)
    expect(server.directory.seq).toBe(seq)
  })

  it('when names hold HTML, then the pages show them as text', async () => {
    const { server } = await fake()
    server.directory.replace('<b>x</b>', [namedPerson(1, '<img src=x onerror=alert(1)>')])
    const page = await request(server.app).get('/__demo')
    expect(page.text).toContain('&lt;b&gt;x&lt;/b&gt;')
    expect(page.text).not.toContain('<b>x</b>')
    const res = await change(server.app, encodeURIComponent('<b>x</b>'))
    expect(res.status).toBe(200)
    expect(res.text).not.toContain('<img')
    expect(res.text).toContain('&lt;img src=x')
  })

  it('when the server is not the demo’s (demoControl off, the default), then there is no such page', async () => {
    const { server } = await fake(false)
    expect((await request(server.app).get('/__demo')).status).toBe(404)
    expect((await change(server.app, 'alice')).status).toBe(404)
  })
})
