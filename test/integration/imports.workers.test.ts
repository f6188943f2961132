// Imports across processes, with real worker processes (support/worker-process.ts, what
// `npm run worker` runs): a worker stopped by SIGTERM in the middle hands its import back
// after the page it was writing, and another worker finishes it; a worker killed outright
// (SIGKILL) leaves a stalled job that another worker takes and resumes from the saved
// cursor, ending with exactly the book an uninterrupted import makes. Progress reaches a
// browser over Server-Sent Events on a web instance that runs no worker at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDemoDirectory } from '../../demo/seed.ts'
import type { WorkerTiming } from '../../src/imports/import-worker.ts'
import type { WorkerOptions } from '../../src/worker-main.ts'
import { Browser } from './support/browser.ts'
import {
  bookOf,
  demoName,
  eventually,
  personOf,
  runsOf,
  startImport,
  waitForRun,
} from './support/imports.ts'
import { signIn } from './support/login.ts'
import { storedConnection } from './support/session.ts'
import { startStack, TEST_BACKOFF, type TestStack } from './support/stack.ts'
import { startWorkerChild, type WorkerChild } from './support/worker-child.ts'

// A dead worker's lock runs out after 1.5 s and is noticed within 0.5 s (BullMQ's
// defaults are 30 s each).
const TIMING: WorkerTiming = { lockDurationMs: 1500, stalledIntervalMs: 500 }
const WORKER: WorkerOptions = { timing: TIMING, backoff: TEST_BACKOFF }
const START = '/login?provider=demo'

let stack: TestStack
const children: WorkerChild[] = []

beforeAll(async () => {
  // Two web instances, neither running imports: only worker processes do. Each page of
  // 1,000 takes the provider 300 ms, so there is a middle to interrupt.
  stack = await startStack({ instances: 2, workers: [], contacts: { pageLatencyMs: 300 } })
})
afterAll(async () => {
  await stopWorkers()
  await stack?.close()
})

async function worker(): Promise<WorkerChild> {
  const child = await startWorkerChild(stack.env, WORKER)
  children.push(child)
  return child
}

/** Ends every worker process this file started. */
async function stopWorkers() {
  for (const child of children.splice(0)) {
    child.process.kill('SIGKILL')
    await child.exited
  }
}

async function signedIn(username: string) {
  const browser = new Browser()
  await signIn(browser, stack.appUrl, { username, password: `${username}-demo`, start: START })
  const personId = await personOf(stack, browser)
  const connectionId = (await storedConnection(stack, browser)).id
  const [run] = await runsOf(stack, personId)
  if (!run) throw new Error('the sign-in started no import')
  return { browser, personId, connectionId, runId: run.id }
}

/** Waits until the run has committed `pages` pages (and is still going). */
async function afterPages(personId: string, runId: string, pages: number) {
  return eventually(async () => {
    const [run] = (await runsOf(stack, personId)).filter((r) => r.id === runId)
    return run && run.pagesDone >= pages ? run : undefined
  }, `${pages} pages of run ${runId}`)
}

interface SseEvent {
  event: string
  data: string
}

/** Reads an SSE stream to its end; `onEvent` sees each event as it comes. */
async function readEvents(response: Response, onEvent?: (e: SseEvent) => void) {
  const events: SseEvent[] = []
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    let end = buffer.indexOf('\n\n')
    while (end >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event = /^event: (.*)$/m.exec(block)?.[1]
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (event && data !== undefined) {
        events.push({ event, data })
        onEvent?.({ event, data })
      }
      end = buffer.indexOf('\n\n')
    }
  }
  return events
}

async function openEvents(browser: Browser, appUrl: string, runId: string, signal?: AbortSignal) {
  return fetch(`${appUrl}/imports/${runId}/events`, {
    headers: {
      accept: 'text/event-stream',
      cookie: await browser.jar.getCookieString(stack.appUrl),
    },
    signal,
  })
}

describe('a worker stopped with SIGTERM in the middle of an import', () => {
  it('then it exits cleanly after handing the job back, another worker finishes it, and a browser on another instance watched it all', async () => {
    const directory = stack.demo.contactsServer.directory
    for (let i = 0; i < 2500; i++) {
      directory.add('bob', { names: [demoName(`Bob's contact ${i}`)] })
    }
    const bob = await signedIn('bob')
    // The browser's stream goes to instance 1, a web instance with no worker.
    const web = stack.apps[1]?.url ?? ''
    const response = await openEvents(bob.browser, web, bob.runId)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-store, no-transform')
    let sawPage = false
    const events = readEvents(response, (e) => {
      if (e.event === 'progress' && JSON.parse(e.data).pagesDone >= 1) sawPage = true
    })

    const first = await worker()
    await afterPages(bob.personId, bob.runId, 1)
    await eventually(async () => (sawPage ? true : undefined), 'a progress event')
    first.process.kill('SIGTERM')
    expect(await first.exited).toBe(0)
    expect(first.has('import handed back to the queue')).toBe(true)
    const [handedBack] = (await runsOf(stack, bob.personId)).filter((r) => r.id === bob.runId)
    expect(handedBack).toMatchObject({ state: 'active' })
    expect(handedBack?.pagesDone).toBeLessThan(3)

    await worker()
    const run = await waitForRun(stack, bob.personId, bob.runId)
    expect(run).toMatchObject({ state: 'completed', kind: 'full', pagesDone: 3 })
    // Every page written once: no record counted twice, none lost.
    expect(run.counts).toEqual({ created: 2500, updated: 0, deleted: 0, unchanged: 0, skipped: 0 })
    expect(await bookOf(stack, bob.connectionId)).toHaveLength(2500)

    // The stream ended by itself after the final state; the bar only ever moved forward.
    const snapshots = (await events).map((e) => JSON.parse(e.data))
    expect(snapshots[0]).toMatchObject({ id: bob.runId, state: 'waiting', pagesDone: 0 })
    expect(snapshots.at(-1)).toMatchObject({ state: 'completed', pagesDone: 3, total: 2500 })
    const pages = snapshots.map((s) => s.pagesDone)
    expect(pages).toEqual([...pages].sort((a, b) => a - b))
    expect(new Set(pages)).toEqual(new Set([0, 1, 2, 3]))
    for (const snapshot of snapshots) {
      expect(Object.keys(snapshot).sort()).toEqual(
        ['connectionId', 'counts', 'error', 'id', 'kind', 'pagesDone', 'state', 'total'].sort(),
      )
    }
  })
})

describe('a worker process killed in the middle of an import', () => {
  it('then another worker takes the stalled job, resumes from the saved cursor, and the book is exactly an uninterrupted import’s', async () => {
    await stopWorkers()
    const carol = await signedIn('carol')
    const first = await worker()
    await afterPages(carol.personId, carol.runId, 1)
    first.process.kill('SIGKILL')
    expect(await first.exited).toBe('SIGKILL')

    const second = await worker()
    const run = await waitForRun(stack, carol.personId, carol.runId)
    // The run is done in the database before the worker's log line has crossed its pipe.
    await eventually(
      async () => (second.has('import completed') ? true : undefined),
      'the second worker to report the import it completed',
    )
    expect(run).toMatchObject({ state: 'completed', kind: 'full', pagesDone: 3 })
    expect(run.counts).toEqual({ created: 2987, updated: 0, deleted: 0, unchanged: 0, skipped: 0 })
    const resumed = await bookOf(stack, carol.connectionId)
    expect(resumed.map((r) => r.externalId)).toEqual(
      (createDemoDirectory().get('carol') ?? []).map((p) => p.resourceName).sort(),
    )

    // The same book imported from scratch, without interruption.
    stack.demo.contactsServer.settings.pageLatencyMs = 0
    await stack.database.db.query('DELETE FROM contacts WHERE connection_id = $1', [
      carol.connectionId,
    ])
    await stack.database.db.query(`UPDATE connections SET import_state = '{}' WHERE id = $1`, [
      carol.connectionId,
    ])
    const again = await waitForRun(stack, carol.personId, await startImport(stack, carol.browser))
    expect(again.counts.created).toBe(2987)
    expect(await bookOf(stack, carol.connectionId)).toEqual(resumed)
  })
})

describe('progress streams', () => {
  it('when the browser goes away, then its subscription is dropped; a person gets a bounded number of streams', async () => {
    // No worker runs now: alice's first import waits, and its streams stay open.
    await stopWorkers()
    const alice = await signedIn('alice')
    const channel = `${stack.prefix}import:${alice.runId}`
    const subscribers = async () =>
      Number(((await stack.redis.pubsub('NUMSUB', channel)) as [string, number])[1])

    const controllers = Array.from({ length: 5 }, () => new AbortController())
    const streams = await Promise.all(
      controllers.map((c) => openEvents(alice.browser, stack.appUrl, alice.runId, c.signal)),
    )
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200, 200, 200])
    const sixth = await openEvents(alice.browser, stack.appUrl, alice.runId)
    expect(sixth.status).toBe(429)
    await sixth.text()
    expect(await subscribers()).toBe(1)

    for (const c of controllers) c.abort()
    await eventually(async () => ((await subscribers()) === 0 ? true : undefined), 'unsubscribe')
    const again = new AbortController()
    expect((await openEvents(alice.browser, stack.appUrl, alice.runId, again.signal)).status).toBe(
      200,
    )
    again.abort()
  })
})
