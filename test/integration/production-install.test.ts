// What `npm ci --omit=dev && npm start` gives an operator: the product's files and its
// production dependencies only (no devDependency, so no Node from the npm registry either:
// `npm start` runs on the machine's Node, here the Node 24 that runs the tests). The tree is
// built offline from package-lock.json, the list npm itself installs from.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { freePort } from '../../demo/redis-server.ts'
import type { DemoServers } from '../../demo/stack.ts'
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  demoProviderEnv,
  startDemoServers,
} from '../../demo/stack.ts'
import { createTestDatabase, type TestDatabase } from './support/database.ts'

const ROOT = join(import.meta.dirname, '..', '..')
/** What a production image holds besides node_modules. */
const PRODUCT = ['package.json', 'package-lock.json', 'src', 'views', 'public']

let dir: string
let demo: DemoServers
let database: TestDatabase
let port: number

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'contacts-importer-prod-'))
  for (const entry of PRODUCT) await cp(join(ROOT, entry), join(dir, entry), { recursive: true })
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean; optional?: boolean }>
  }
  // Top-level package folders only: a package nested under another comes with its parent.
  const production = Object.entries(lock.packages)
    .filter(([path, meta]) => path.startsWith('node_modules/') && !meta.dev && !meta.devOptional)
    // An optional package for another platform (msgpackr's native builds for macOS, say)
    // is in the lock but was never installed here, as npm ci would also leave it out.
    .filter(([path, meta]) => !meta.optional || existsSync(join(ROOT, path)))
    .map(([path]) => path)
    .filter((path) => !/node_modules\/.+\/node_modules\//.test(path))
  for (const path of production) {
    await cp(join(ROOT, path), join(dir, path), { recursive: true, verbatimSymlinks: true })
  }
  port = await freePort()
  demo = await startDemoServers({
    client: {
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      redirectUris: [`http://localhost:${port}/auth/callback/demo`],
      postLogoutRedirectUris: [`http://localhost:${port}/`],
    },
  })
  database = await createTestDatabase()
}, 60_000)

afterAll(async () => {
  await demo?.close()
  await database?.drop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** `npm start` in the production tree, with the Node that runs this test first on PATH. */
function npmStart(env: Record<string, string>) {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: dir,
    env: {
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? tmpdir(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: SIGTERM reaches npm and the app together, as a supervisor's does.
    detached: true,
  })
  let output = ''
  child.stdout.on('data', (chunk) => {
    output += chunk
  })
  child.stderr.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    // 'close', not 'exit': npm may exit before the app it started has written its last line.
    child.on('close', (code, signal) => resolve({ code, signal })),
  )
  /** SIGTERM to the whole group, as a supervisor's; resolves once every pipe is closed. */
  async function stop() {
    process.kill(-Number(child.pid), 'SIGTERM')
    await exited
  }
  return { child, exited, stop, output: () => output }
}

/** The app closed its servers and stores and said so, with no stack trace on the way. */
function expectCleanShutdown(output: string) {
  expect(output).toContain('shutting down')
  expect(output).not.toMatch(/\n\s+at /)
}

function productionEnv(): Record<string, string> {
  return {
    APP_URL: `http://localhost:${port}`,
    PORT: String(port),
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: `prod${randomBytes(3).toString('hex')}:`,
    DATABASE_URL: database.url,
    SESSION_SECRET: randomBytes(32).toString('base64'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...demoProviderEnv(demo),
  }
}

describe('a production install (no devDependencies)', () => {
  it('when started with a database, Redis and a provider, then it answers /readyz with both stores up', async () => {
    const app = npmStart(productionEnv())
    try {
      let ready: Response | undefined
      for (let i = 0; i < 100 && !ready; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined)
        if (!ready) await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(ready?.status, app.output()).toBe(200)
      expect(await ready?.json()).toMatchObject({ redis: 'ok', database: 'ok' })
    } finally {
      await app.stop()
    }
    expectCleanShutdown(app.output())
  }, 30_000)

  it('when a SIGTERM comes as soon as it listens (the worker still starting), then it still shuts down cleanly', async () => {
    const app = npmStart(productionEnv())
    try {
      for (let i = 0; i < 1000 && !app.output().includes('contacts importer listening'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      expect(app.output()).toContain('contacts importer listening')
    } finally {
      await app.stop()
    }
    expectCleanShutdown(app.output())
  }, 30_000)

  it('when DATABASE_URL is missing, then it refuses to start with one clear line', async () => {
    const { DATABASE_URL: _none, ...env } = productionEnv()
    const app = npmStart(env)
    expect((await app.exited).code).not.toBe(0)
    expect(app.output()).toContain('DATABASE_URL')
    expect(app.output()).not.toMatch(/\n\s+at /) // no stack trace
  }, 30_000)
})
