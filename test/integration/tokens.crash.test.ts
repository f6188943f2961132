// A refresh lease whose holder dies: a second process (built with createRuntime, as the
// import worker is) reads the contacts, takes the lease and sends the refresh, and is killed
// before the provider answers. The grant must not stay blocked longer than the lease, no
// read may fail, and the provider must end up processing exactly one refresh.
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ROOT_DIR } from '../../src/paths.ts'
import { Browser } from './support/browser.ts'
import { signIn } from './support/login.ts'
import { readContacts } from './support/read-contacts.ts'
import { storedConnection, storedTokens } from './support/session.ts'
import { startStack, type TestStack } from './support/stack.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let stack: TestStack
let child: ChildProcess | undefined
beforeAll(async () => {
  stack = await startStack({ accessTokenTtlSeconds: 2, env: { TOKEN_REFRESH_SKEW_SECONDS: '0' } })
})
afterAll(async () => {
  child?.kill('SIGKILL')
  await stack?.close()
})

/** Starts a process that reads this connection's contacts (support/read-contacts-process.ts). */
async function startReader(connection: {
  personId: string
  id: string
}): Promise<{ process: ChildProcess; exited: Promise<number | null> }> {
  const proc = spawn(
    process.execPath,
    [join(ROOT_DIR, 'test', 'integration', 'support', 'read-contacts-process.ts')],
    {
      env: {
        ...process.env,
        ...stack.env,
        PERSON_ID: connection.personId,
        CONNECTION_ID: connection.id,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`reader did not start:\n${output}`)), 10_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('reading')) {
        clearTimeout(timer)
        resolve()
      }
    }
    proc.stdout?.on('data', onData)
    proc.stderr?.on('data', onData)
    exited.then((code) => reject(new Error(`reader exited (${code}):\n${output}`)))
  })
  return { process: proc, exited }
}

it('when the process holding the refresh lease is killed mid-refresh, then another process refreshes after the lease runs out and every read succeeds', async () => {
  const browser = new Browser()
  expect((await signIn(browser, stack.appUrl)).status).toBe(200)
  const before = await storedTokens(stack, browser)
  await sleep(Math.max(0, Number(before?.expiresAt) * 1000 - Date.now()) + 100)

  // The first refresh to arrive (the second process's) is held until its sender hangs up.
  let attempts = 0
  let arrived: () => void = () => {}
  const firstArrived = new Promise<void>((resolve) => {
    arrived = resolve
  })
  stack.demo.authorizationServer.intercept = async (endpoint, ctx) => {
    if (endpoint !== 'token') return undefined
    attempts++
    if (attempts === 1) {
      arrived()
      await new Promise((resolve) => ctx.req.socket.once('close', resolve))
    }
    return undefined
  }
  const processedBefore = stack.demo.authorizationServer.requests.mark()
  const processed = () =>
    stack.demo.authorizationServer.requests
      .since(processedBefore)
      .filter((r) => r.params.grant_type === 'refresh_token').length

  const second = await startReader(await storedConnection(stack, browser))
  child = second.process
  await firstArrived
  // Reads in this process now wait for the other's lease…
  const waiting = Promise.all(Array.from({ length: 10 }, () => readContacts(stack, browser)))
  await sleep(200)
  // …whose holder dies before the provider answered.
  second.process.kill('SIGKILL')
  expect(await second.exited).toBeNull() // killed, not finished

  const started = Date.now()
  const reads = await waiting
  expect(reads).toEqual(Array(10).fill({ ok: true, contacts: 250 }))
  // One lease (HTTP_TIMEOUT_SECONDS 2 + 5 s), not the whole wait budget.
  expect(Date.now() - started).toBeLessThan(9000)
  expect(attempts).toBe(2)
  expect(processed()).toBe(1)
  const after = await storedTokens(stack, browser)
  expect(after?.refreshToken).not.toBe(before?.refreshToken)
  expect((await readContacts(stack, browser)).ok).toBe(true)
})
