// SYNC_EVERY_HOURS: one BullMQ job scheduler per active connection, whose jobs start (or
// join) an incremental run of that connection, never a second run next to one; and the
// schedule goes when the connection ends.
import { Queue } from 'bullmq'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createQueueRedis } from '../../src/redis.ts'
import { Browser, formValue } from './support/browser.ts'
import { eventually, personOf, runsOf, waitForRun } from './support/imports.ts'
import { signIn } from './support/login.ts'
import { storedConnection } from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

const START = '/login?provider=demo'
let stack: TestStack
let queue: Queue
const redis = () => createQueueRedis(stack.env.REDIS_URL ?? '', 'worker')

beforeAll(async () => {
  stack = await startStack({ workers: [0], env: { SYNC_EVERY_HOURS: '6' } })
  queue = new Queue('imports', { connection: redis(), prefix: `${stack.prefix}bull` })
})
afterAll(async () => {
  await queue?.close()
  await stack?.close()
})

const starter = () => {
  const app = stack.apps[0]
  if (!app) throw new Error('no app')
  return app.imports.starter
}

describe('periodic sync', () => {
  it('when alice signs in, then her connection gets one schedule every 6 hours; a scheduled sync joins a running import and later reads only changes', async () => {
    const alice = new Browser()
    await signIn(alice, stack.appUrl, {
      username: 'alice',
      password: 'alice-demo',
      start: '/login?provider=demo',
    })
    const personId = await personOf(stack, alice)
    const connection = await storedConnection(stack, alice)

    const schedulers = await queue.getJobSchedulers(0, -1)
    expect(schedulers).toHaveLength(1)
    expect(schedulers[0]).toMatchObject({
      key: `sync-${connection.id}`,
      every: 6 * 3600 * 1000,
      template: { data: { personId, connectionId: connection.id } },
    })

    // The first import is under way (or done): the schedule's job joins it.
    const [first] = await runsOf(stack, personId)
    const joined = await starter().scheduled(personId, connection.id)
    if (first?.state === 'waiting' || first?.state === 'active') expect(joined?.id).toBe(first.id)
    await waitForRun(stack, personId, first?.id ?? '')

    const later = await starter().scheduled(personId, connection.id)
    const run = await waitForRun(stack, personId, later?.id ?? '')
    expect(run).toMatchObject({ state: 'completed', kind: 'incremental' })
    expect(new Set((await runsOf(stack, personId)).map((r) => r.id)).size).toBeLessThanOrEqual(3)
    expect((await runsOf(stack, personId)).filter((r) => r.state !== 'completed')).toEqual([])
  })

  it('when alice adds a second account to her address book, then that account is imported by itself and gets its schedule', async () => {
    const alice = new Browser()
    await signIn(alice, stack.appUrl, { username: 'alice', password: 'alice-demo', start: START })
    const personId = await personOf(stack, alice)
    // The same browser for the app, after the provider forgot alice: it asks who is there.
    const sameApp = new Browser()
    await sameApp.jar.setCookie(
      `ci.sid=${await alice.cookie(stack.appUrl, 'ci.sid')}`,
      stack.appUrl,
    )
    const question = await signIn(sameApp, stack.appUrl, {
      username: 'bob',
      password: 'bob-demo',
      start: START,
    })
    expect(question.url).toBe(`${stack.appUrl}/connections/choose`)
    const hop = await sameApp.request(`${stack.appUrl}/connections/choose`, {
      form: { _csrf: String(formValue(question.body, '_csrf')), choice: 'add' },
    })
    expect(hop.status).toBe(303)

    const bob = await storedConnection(stack, sameApp)
    expect(bob.subject).toBe('bob')
    const run = (await runsOf(stack, personId)).find((r) => r.connectionId === bob.id)
    expect(run).toBeDefined()
    expect(await waitForRun(stack, personId, run?.id ?? '')).toMatchObject({
      state: 'completed',
      kind: 'full',
    })
    const keys = (await queue.getJobSchedulers(0, -1)).map((s) => s.key)
    expect(keys).toContain(`sync-${bob.id}`)
  })

  it('when the connection is disconnected, then its schedule is removed', async () => {
    const carol = new Browser()
    await signIn(carol, stack.appUrl, {
      username: 'carol',
      password: 'carol-demo',
      start: '/login?provider=demo',
    })
    const personId = await personOf(stack, carol)
    const connection = await storedConnection(stack, carol)
    const keys = async () => (await queue.getJobSchedulers(0, -1)).map((s) => s.key)
    expect(await keys()).toContain(`sync-${connection.id}`)

    const page = await carol.request(`${stack.appUrl}/`)
    const hop = await carol.request(`${stack.appUrl}/disconnect`, {
      form: { _csrf: String(formValue(page.body, '_csrf')), connection: connection.id },
    })
    expect(hop.status).toBe(303)
    // The schedule's next job finds the connection ended and removes the schedule.
    expect(await starter().scheduled(personId, connection.id)).toBeUndefined()
    await eventually(
      async () => ((await keys()).includes(`sync-${connection.id}`) ? undefined : true),
      'the schedule to go',
    )
    // A worker that starts drops the schedules of ended connections, and keeps the rest.
    await starter().reconcileSchedules()
    expect(await keys()).toHaveLength(2)
  })
})
