// An import from "Demo Microsoft" through the real worker into the address book: alice signs
// in at the second demo provider, her work contacts come from the Graph fake (every folder,
// delta rounds, immutable ids); "Import now" then reads only the changes, a contact moved to
// another folder stays one record, and an expired delta token makes exactly one full round
// whose sweep applies a deletion the stale token missed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDemoMailboxes } from '../../demo/graph/seed.ts'
import { Browser } from './support/browser.ts'
import { bookOf, personOf, runsOf, startImport, waitForRun } from './support/imports.ts'
import { signIn } from './support/login.ts'
import { storedConnection } from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
let alice: Browser
let personId: string
let connectionId: string

const seeded = createDemoMailboxes().alice?.contacts ?? []
const graph = () => {
  const ms = stack.microsoft
  if (!ms) throw new Error('the stack runs no Demo Microsoft')
  return ms.graphServer
}
const deltaRequests = (mark: number) =>
  graph()
    .requests.since(mark)
    .filter((r) => r.path.endsWith('/contacts/delta'))

beforeAll(async () => {
  stack = await startStack({ workers: [0], microsoft: {} })
  alice = new Browser()
  await signIn(alice, stack.appUrl, {
    start: '/login?provider=demo_microsoft',
    username: 'alice',
    password: 'alice-work',
  })
  personId = await personOf(stack, alice)
  connectionId = (await storedConnection(stack, alice)).id
  const [first] = await runsOf(stack, personId)
  await waitForRun(stack, personId, first?.id ?? '')
})
afterAll(() => stack?.close())

async function importNow() {
  return waitForRun(stack, personId, await startImport(stack, alice))
}

describe('Demo Microsoft', () => {
  it('when alice signs in at Demo Microsoft, then her work contacts of every folder are imported by the worker, categories as labels', async () => {
    const [run] = await runsOf(stack, personId)
    expect(run).toMatchObject({ state: 'completed', kind: 'full' })
    expect(run?.counts).toEqual({
      created: seeded.length,
      updated: 0,
      deleted: 0,
      unchanged: 0,
      skipped: 0,
    })
    const book = await bookOf(stack, connectionId)
    expect(book.map((r) => r.displayName).sort()).toEqual(
      seeded.map((c) => String(c.fields.displayName)).sort(),
    )
    // Three folders: the default one, Team and its child Project X, each its own round.
    const folders = new Set(
      graph()
        .requests.filter((r) => r.path.endsWith('/contacts/delta'))
        .map((r) => r.path),
    )
    expect(folders.size).toBe(3)
    // Every request asked for immutable ids.
    expect(graph().requests.every((r) => r.prefer?.includes('IdType="ImmutableId"'))).toBe(true)
    const priya = book.find((r) => r.displayName === 'Priya Natarajan')
    expect(priya?.data).toMatchObject({ labels: ['Work'] })
  })

  it('when contacts are added, edited, deleted and moved at work, then "Import now" reports exactly that and the moved one stays one record', async () => {
    const mailboxes = graph().mailboxes
    const box = mailboxes.mailbox('alice')
    const byName = (name: string) =>
      [...box.contacts.values()].find((c) => c.fields.displayName === name)
    const team = [...box.folders.values()].find((f) => f.displayName === 'Team')
    const kwame = byName('Kwame Mensah')
    const mei = byName('Mei Tanaka')
    const zoe = byName('Zoë Ångström')
    if (!team || !kwame || !mei || !zoe) throw new Error('seed changed')
    mailboxes.add('alice', { displayName: 'Nadia Haddad', givenName: 'Nadia', surname: 'Haddad' })
    mailboxes.update('alice', mei.immutableId, { ...mei.fields, jobTitle: 'Head of Talent' })
    mailboxes.delete('alice', zoe.immutableId)
    mailboxes.move('alice', kwame.immutableId, team.id)

    const run = await importNow()
    expect(run).toMatchObject({ state: 'completed', kind: 'incremental' })
    // Mei edited, Kwame moved (his folder is part of him): two updates.
    expect(run.counts).toEqual({ created: 1, updated: 2, deleted: 1, unchanged: 0, skipped: 0 })
    const book = await bookOf(stack, connectionId)
    expect(book).toHaveLength(seeded.length)
    expect(book.filter((r) => r.externalId === kwame.immutableId)).toHaveLength(1)
    expect(book.map((r) => r.displayName)).not.toContain('Zoë Ångström')
  })

  it('when the delta tokens expire, then the next import is exactly one full round, whose sweep removes what the stale tokens missed', async () => {
    const mailboxes = graph().mailboxes
    const box = mailboxes.mailbox('alice')
    const nadia = [...box.contacts.values()].find((c) => c.fields.displayName === 'Nadia Haddad')
    if (!nadia) throw new Error('Nadia is missing')
    graph().faults.expireDeltaTokens()
    mailboxes.delete('alice', nadia.immutableId)
    const mark = graph().requests.mark()

    const run = await importNow()
    expect(run).toMatchObject({ state: 'completed', kind: 'resync' })
    expect(run.counts.deleted).toBe(1)
    const requests = deltaRequests(mark)
    expect(requests.filter((r) => r.status === 410)).toHaveLength(1)
    // One initial round per folder after the refusal, and not a second full read.
    const initial = requests.filter((r) => r.status === 200 && r.query.$select !== undefined)
    expect(initial).toHaveLength(3)
    const book = await bookOf(stack, connectionId)
    expect(book).toHaveLength(seeded.length - 1)
    expect(book.map((r) => r.displayName)).not.toContain('Nadia Haddad')

    // And the tokens of that round are good again: nothing changed, nothing reported.
    const again = await importNow()
    expect(again).toMatchObject({ state: 'completed', kind: 'incremental' })
    expect(again.counts).toEqual({ created: 0, updated: 0, deleted: 0, unchanged: 0, skipped: 0 })
  })
})
