// A refresh lease whose holder dies: a second app process (the real entry point, src/main.ts)
// takes the lease and sends the refresh, and is killed before the provider answers. The
// grant must not stay blocked longer than the lease, nobody may be signed out, and the
// provider must end up processing exactly one refresh.
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { freePort } from '../../demo/redis-server.ts'
import { ROOT_DIR } from '../../src/paths.ts'
import { Browser } from './support/browser.ts'
import { signIn } from './support/login.ts'
import { storedTokens } from './support/session.ts'
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

/** Starts `node src/main.ts` on the same Redis, provider and secrets as the stack. */
async function startSecondProcess(): Promise<{ process: ChildProcess; url: string }> {
  const port = await freePort()
  const proc = spawn(process.execPath, [join(ROOT_DIR, 'src', 'main.ts')], {
    env: { ...process.env, ...stack.env, PORT: String(port), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`second process did not start:\n${output}`)),
      10_000,
    )
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('contacts importer listening')) {
        clearTimeout(timer)
        resolve()
      }
    }
    proc.stdout?.on('data', onData)
    proc.stderr?.on('data', onData)
    proc.once('exit', (code) => reject(new Error(`second process exited (${code}):\n${output}`)))
  })
  return { process: proc, url: `http://localhost:${port}` }
}

it('when the process holding the refresh lease is killed mid-refresh, then another process refreshes after the lease runs out and every request succeeds', async () => {
  const second = await startSecondProcess()
  child = second.process
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

  const doomed = browser.request(`${second.url}/resource`).catch((err: unknown) => err)
  await firstArrived
  // Requests on this process now wait for the other's lease…
  const waiting = Promise.all(
    Array.from({ length: 10 }, () => browser.request(`${stack.appUrl}/resource`)),
  )
  await sleep(200)
  // …whose holder dies before the provider answered.
  second.process.kill('SIGKILL')
  expect(await doomed).toBeInstanceOf(Error)

  const started = Date.now()
  const pages = await waiting
  expect(pages.map((p) => p.status)).toEqual(Array(10).fill(200))
  // One lease (HTTP_TIMEOUT_SECONDS 2 + 5 s), not the whole wait budget.
  expect(Date.now() - started).toBeLessThan(9000)
  expect(attempts).toBe(2)
  expect(processed()).toBe(1)
  const after = await storedTokens(stack, browser)
  expect(after?.refreshToken).not.toBe(before?.refreshToken)
  expect((await browser.request(`${stack.appUrl}/resource`)).status).toBe(200)
})
