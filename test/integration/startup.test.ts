// `npm start` (src/main.ts) from the environment alone: what an operator sees when the
// configuration is wrong, when the provider is wrong, and when the provider is merely down.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { freePort } from '../../demo/redis-server.ts'
import { ROOT_DIR } from '../../src/paths.ts'
import { createTestDatabase, type TestDatabase } from './support/database.ts'

// One database for the file: each app started here migrates it (the first one applies the
// migrations, the others find nothing to do).
let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase({ migrate: false })
})
afterAll(() => database?.drop())

interface Run {
  code: number | null
  output: string
}

/**
 * Runs src/main.ts with exactly `env` until it exits, or until it prints `until` and
 * `whileRunning` has finished.
 */
function runMain(
  env: Record<string, string>,
  until?: string,
  whileRunning: () => Promise<void> = async () => {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT_DIR, 'src', 'main.ts')], {
      env: { PATH: process.env.PATH ?? '', ...env },
      cwd: ROOT_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (until && output.includes(until)) {
        until = undefined
        whileRunning().finally(() => child.kill('SIGTERM'))
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

async function validEnv(issuer: string): Promise<Record<string, string>> {
  const port = await freePort()
  return {
    APP_URL: `http://localhost:${port}`,
    PORT: String(port),
    REDIS_URL: inject('redisUrl'),
    DATABASE_URL: database.url,
    SESSION_SECRET: randomBytes(32).toString('base64'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    PROVIDERS: 'demo',
    DEMO_ISSUER: issuer,
    DEMO_CLIENT_ID: 'contacts-importer',
    DEMO_CLIENT_SECRET: 'secret',
    DEMO_SCOPES: 'openid offline_access contacts.read',
    DEMO_CONTACTS_URL: 'http://127.0.0.1:1',
    LOG_LEVEL: 'info',
  }
}

describe('starting the app', () => {
  it('when the configuration has several problems, then all are listed at once and it exits before listening', async () => {
    const run = await runMain({
      SESSION_SECRET: 'short',
      PROVIDERS: 'demo',
      APP_URL: 'http://example.com',
    })
    expect(run.code).toBe(2)
    for (const name of [
      'SESSION_SECRET',
      'TOKEN_ENCRYPTION_KEY',
      'DEMO_ISSUER',
      'DEMO_CLIENT_ID',
      'APP_URL',
    ]) {
      expect(run.output).toContain(`${name}:`)
    }
    expect(run.output).not.toContain('listening')
    expect(run.output).not.toMatch(/\n\s+at /) // no stack trace
  })

  it('when the metadata at the issuer names another issuer, then it refuses to start and says why', async () => {
    const port = await freePort()
    const impostor = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(
        JSON.stringify({
          issuer: 'https://someone-else.example',
          authorization_endpoint: 'https://someone-else.example/authorize',
          token_endpoint: 'https://someone-else.example/token',
          jwks_uri: 'https://someone-else.example/jwks',
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
        }),
      )
    })
    await new Promise<void>((resolve) => impostor.listen(port, '127.0.0.1', resolve))
    try {
      const run = await runMain(await validEnv(`http://127.0.0.1:${port}`))
      expect(run.code).toBe(1)
      expect(run.output).toContain('issuer does not match')
      expect(run.output).not.toContain('contacts importer listening')
    } finally {
      impostor.close()
    }
  })

  it('when the provider is only unreachable, then it starts anyway and answers /readyz', async () => {
    const env = await validEnv(`http://127.0.0.1:${await freePort()}`)
    let ready: unknown
    const run = await runMain(env, 'contacts importer listening', async () => {
      ready = await (await fetch(`${env.APP_URL}/readyz`)).json()
    })
    expect(run.output).toContain('provider not reachable yet; will retry on sign-in')
    expect(ready).toEqual({ status: 'ready', redis: 'ok', database: 'ok' })
    expect(run.code).toBe(0) // and SIGTERM shuts it down cleanly
  })

  it('when DATABASE_URL is not set, then `npm start` refuses to start and says production must name its database', async () => {
    const { DATABASE_URL: _, ...env } = await validEnv('http://127.0.0.1:1')
    const run = await runMain(env)
    expect(run.code).toBe(2)
    expect(run.output).toContain('DATABASE_URL is required: production names its database')
    expect(run.output).not.toContain('listening')
  })

  it('when PostgreSQL does not answer, then it exits with one line naming the URL without its password', async () => {
    const env = await validEnv('http://127.0.0.1:1')
    const port = await freePort()
    const run = await runMain({
      ...env,
      DATABASE_URL: `postgres://importer:pa55word@127.0.0.1:${port}/contacts`,
    })
    expect(run.code).toBe(1)
    expect(run.output).toContain(
      `PostgreSQL does not answer at postgres://127.0.0.1:${port}/contacts`,
    )
    expect(run.output).toContain('DATABASE_URL')
    expect(run.output).not.toContain('pa55word')
    expect(run.output).not.toMatch(/\n\s+at /) // no stack trace
  })

  it('when the database does not exist, then it exits saying PostgreSQL refused the connection', async () => {
    const env = await validEnv('http://127.0.0.1:1')
    const missing = new URL(database.url)
    missing.pathname = '/ci_test_does_not_exist'
    const run = await runMain({ ...env, DATABASE_URL: missing.href })
    expect(run.code).toBe(1)
    expect(run.output).toContain('refused the connection')
    expect(run.output).toContain('does not exist')
    const { password } = new URL(database.url)
    if (password) expect(run.output).not.toContain(password)
  })

  it('when Redis does not answer, then it exits with a message naming REDIS_URL', async () => {
    const env = await validEnv('http://127.0.0.1:1')
    const run = await runMain({ ...env, REDIS_URL: `redis://127.0.0.1:${await freePort()}` })
    expect(run.code).toBe(1)
    expect(run.output).toContain('Redis does not answer')
    expect(run.output).toContain('REDIS_URL')
  })
})
