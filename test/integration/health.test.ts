// /readyz tells the orchestrator whether this instance can serve: Redis and PostgreSQL both
// answer. Here PostgreSQL stops accepting the app's connections (its sessions terminated,
// new ones refused), then comes back.
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser } from './support/browser.ts'
import { onServer } from './support/database.ts'
import { signIn } from './support/login.ts'
import { startStack, type TestStack } from './support/stack.ts'

let stack: TestStack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(async () => {
  await setConnections(true).catch(() => {})
  await stack?.close()
})

/** Refuses (or allows again) new sessions on the stack's database and ends the app's. */
async function setConnections(allowed: boolean) {
  const { name } = stack.database
  await onServer(`ALTER DATABASE ${pg.escapeIdentifier(name)} WITH ALLOW_CONNECTIONS ${allowed}`)
  if (!allowed) {
    await onServer(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND application_name = 'contacts-importer'`,
      [name],
    )
  }
}

async function readyz() {
  const response = await fetch(`${stack.appUrl}/readyz`)
  return { status: response.status, body: await response.json() }
}

describe('/readyz', () => {
  it('when Redis and PostgreSQL answer, then it is 200 "ready" with both ok', async () => {
    expect(await readyz()).toEqual({
      status: 200,
      body: { status: 'ready', redis: 'ok', database: 'ok' },
    })
  })

  it('when PostgreSQL stops answering the app, then it is 503 "unavailable" with database down, and /healthz stays 200', async () => {
    // A connection idle in the pool (the probe's), for the server to end.
    expect((await readyz()).status).toBe(200)
    await setConnections(false)

    // The terminated idle connection is logged by the pool, not thrown. Waited for before
    // the next probe: pg_terminate_backend returns before the app has read the news, and a
    // probe that took the connection first would get the error itself (and answer 503,
    // as it should) with nothing for the pool to log.
    const logged = () => stack.logs.some((line) => line.includes('database connection problem'))
    for (let i = 0; i < 100 && !logged(); i++) await sleep(20)
    expect(logged()).toBe(true)
    expect(await readyz()).toEqual({
      status: 503,
      body: { status: 'unavailable', redis: 'ok', database: 'down' },
    })
    const health = await fetch(`${stack.appUrl}/healthz`)
    expect(health.status).toBe(200)
  })

  it('when PostgreSQL accepts connections again, then it is ready again without a restart', async () => {
    await setConnections(true)

    expect(await readyz()).toEqual({
      status: 200,
      body: { status: 'ready', redis: 'ok', database: 'ok' },
    })
  })
})

describe('pages while PostgreSQL is away', () => {
  it('when a signed-in person opens a page and PostgreSQL refuses connections, then a 503 "Temporarily unavailable" page, not a 500', async () => {
    const browser = new Browser()
    expect((await signIn(browser, stack.appUrl)).status).toBe(200)
    await setConnections(false)
    try {
      const page = await browser.request(`${stack.appUrl}/`)
      expect(page.status).toBe(503)
      expect(page.body).toContain('Temporarily unavailable')
      expect(page.headers.get('retry-after')).toBe('5')
      expect(stack.logs.some((line) => line.includes('"unhandled error"'))).toBe(false)
    } finally {
      await setConnections(true)
    }
    expect((await browser.request(`${stack.appUrl}/`)).status).toBe(200)
  })
})
