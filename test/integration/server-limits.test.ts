// The HTTP server as `npm start` runs it (startApp from src/main.ts), with short limits
// configured through the environment: slow clients are cut off at the configured
// deadlines, idle and long-lived keep-alive connections are closed, connections beyond the
// cap are refused, and without HOST it listens on loopback only.
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { networkInterfaces } from 'node:os'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { freePort } from '../../demo/redis-server.ts'
import { loadConfig } from '../../src/config.ts'
import { type RunningApp, startApp } from '../../src/main.ts'
import { createTestDatabase, type TestDatabase } from './support/database.ts'
import { memoryLogger } from './support/stack.ts'

const HEADERS_TIMEOUT_S = 1
const REQUEST_TIMEOUT_S = 3
const KEEP_ALIVE_TIMEOUT_S = 1
const MAX_REQUESTS_PER_SOCKET = 2
const MAX_CONNECTIONS = 4
/** Node looks for requests past their deadline once a second (web/http-server.ts). */
const CHECK_MS = 1000

let database: TestDatabase
let app: RunningApp
let port: number
const logs: string[] = []
let linesAtStart = 0
const prefix = `t${randomBytes(4).toString('hex')}:`

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false })
  port = await freePort()
  const config = loadConfig({
    APP_URL: `http://localhost:${port}`,
    PORT: String(port),
    // HOST deliberately unset: the default is what is tested below.
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: prefix,
    DATABASE_URL: database.url,
    SESSION_SECRET: randomBytes(32).toString('base64'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    PROVIDERS: 'demo',
    // Nobody answers there: the app starts anyway and retries discovery at sign-in.
    DEMO_ISSUER: `http://127.0.0.1:${await freePort()}`,
    DEMO_CLIENT_ID: 'contacts-importer',
    DEMO_CLIENT_SECRET: 'secret',
    DEMO_SCOPES: 'openid offline_access contacts.read',
    DEMO_CONTACTS_URL: 'http://127.0.0.1:1',
    LOG_LEVEL: 'debug',
    SERVER_HEADERS_TIMEOUT_SECONDS: String(HEADERS_TIMEOUT_S),
    SERVER_REQUEST_TIMEOUT_SECONDS: String(REQUEST_TIMEOUT_S),
    SERVER_KEEP_ALIVE_TIMEOUT_SECONDS: String(KEEP_ALIVE_TIMEOUT_S),
    SERVER_MAX_REQUESTS_PER_SOCKET: String(MAX_REQUESTS_PER_SOCKET),
    SERVER_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
  })
  app = await startApp(config, memoryLogger(logs))
  linesAtStart = logs.length
})
afterAll(async () => {
  await app?.close()
  await database?.drop()
})

interface Conversation {
  socket: Socket
  /** Everything the server sent so far. */
  received: () => string
  /** Resolves with the milliseconds from connect to the server closing the connection. */
  closed: Promise<number>
}

function open(host = '127.0.0.1'): Promise<Conversation> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    let text = ''
    const socket = connect(port, host)
    const closed = new Promise<number>((done) =>
      socket.on('close', () => done(Date.now() - started)),
    )
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1')
    })
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.removeListener('error', reject)
      socket.on('error', () => {})
      resolve({ socket, received: () => text, closed })
    })
  })
}

/** Writes `parts` one after another, `everyMs` apart, until the connection closes. */
function trickle(conversation: Conversation, parts: () => string, everyMs: number) {
  const timer = setInterval(() => {
    if (conversation.socket.writable) conversation.socket.write(parts())
  }, everyMs)
  conversation.closed.finally(() => clearInterval(timer))
}

const statusOf = (response: string) => Number(response.split(' ')[1])
const GET_HEALTHZ = (connection: 'keep-alive' | 'close' = 'keep-alive') =>
  `GET /healthz HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: ${connection}\r\n\r\n`

describe('slow clients', () => {
  it('when a body is sent one byte at a time, then the request is cut off after SERVER_REQUEST_TIMEOUT_SECONDS with a 408', async () => {
    const conversation = await open()
    conversation.socket.write(
      [
        'POST /logout HTTP/1.1',
        `Host: localhost:${port}`,
        'Content-Type: application/x-www-form-urlencoded',
        'Content-Length: 100000',
        '',
        '',
      ].join('\r\n'),
    )
    // Each byte comes well within any idle timeout: only the request deadline can end it.
    trickle(conversation, () => 'a', 100)

    const ms = await conversation.closed
    expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_S * 1000 - 50)
    expect(ms).toBeLessThan(REQUEST_TIMEOUT_S * 1000 + CHECK_MS + 1000)
    expect(statusOf(conversation.received())).toBe(408)
    expect(conversation.received()).toContain('took too long')
  })

  it('when headers are sent one line at a time, then the connection is cut off after SERVER_HEADERS_TIMEOUT_SECONDS with a 408', async () => {
    const conversation = await open()
    conversation.socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost:${port}\r\n`)
    let line = 0
    trickle(conversation, () => `X-Slow-${line++}: ${'b'.repeat(10)}\r\n`, 100)

    const ms = await conversation.closed
    expect(ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_S * 1000 - 50)
    // Well before the request deadline: it was the header deadline that ended it.
    expect(ms).toBeLessThan(REQUEST_TIMEOUT_S * 1000)
    expect(statusOf(conversation.received())).toBe(408)
  })

  it('when nothing at all is sent, then the connection is still cut off (headers never came)', async () => {
    const conversation = await open()
    const ms = await conversation.closed
    expect(ms).toBeLessThan(REQUEST_TIMEOUT_S * 1000 + CHECK_MS + 1000)
  })
})

describe('keep-alive connections', () => {
  it('when a keep-alive connection sits idle, then it is closed after SERVER_KEEP_ALIVE_TIMEOUT_SECONDS', async () => {
    const conversation = await open()
    conversation.socket.write(GET_HEALTHZ())
    const ms = await conversation.closed
    expect(statusOf(conversation.received())).toBe(200)
    expect(conversation.received()).toContain(`Keep-Alive: timeout=${KEEP_ALIVE_TIMEOUT_S}`)
    expect(ms).toBeLessThan(KEEP_ALIVE_TIMEOUT_S * 1000 + 2000)
  })

  it('when one connection carries more than SERVER_MAX_REQUESTS_PER_SOCKET requests, then the last allowed one closes it', async () => {
    const conversation = await open()
    conversation.socket.write(GET_HEALTHZ().repeat(MAX_REQUESTS_PER_SOCKET + 1))
    await conversation.closed
    const answers = conversation.received().match(/HTTP\/1\.1 \d{3}/g) ?? []
    // The last allowed request is answered with Connection: close; the extra one is refused.
    expect(answers.slice(0, MAX_REQUESTS_PER_SOCKET)).toEqual(
      Array(MAX_REQUESTS_PER_SOCKET).fill('HTTP/1.1 200'),
    )
    expect(answers.slice(MAX_REQUESTS_PER_SOCKET).every((a) => a === 'HTTP/1.1 503')).toBe(true)
    expect(conversation.received()).toMatch(/Connection: close/i)
  })
})

describe('the connection cap', () => {
  it('when SERVER_MAX_CONNECTIONS connections are open, then one more is closed at once, and a new one works again after they leave', async () => {
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open()))
    // Let the server accept them all before the extra one arrives.
    await new Promise((resolve) => setTimeout(resolve, 100))
    const extra = await open()
    extra.socket.write(GET_HEALTHZ('close'))
    const ms = await extra.closed
    expect(extra.received()).toBe('')
    expect(ms).toBeLessThan(500)

    for (const conversation of held) conversation.socket.destroy()
    await Promise.all(held.map((c) => c.closed))
    await new Promise((resolve) => setTimeout(resolve, 100))
    const after = await open()
    after.socket.write(GET_HEALTHZ('close'))
    await after.closed
    expect(statusOf(after.received())).toBe(200)
  })
})

describe('the listening address', () => {
  it('when HOST is not set, then the app listens on 127.0.0.1 only', async () => {
    const address = app.server.address()
    expect(address).toMatchObject({ address: '127.0.0.1', port })

    // And is not reachable on the machine's other addresses (when it has any).
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === 'IPv4')
    if (external) {
      await expect(open(external.address)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    }
    await expect(open('::1')).rejects.toThrow()
  })
})

describe('the log', () => {
  it('when these clients were cut off, then nothing was logged at error level', () => {
    // (From the start on: discovery of the provider nobody answers for is logged before.)
    const errors = logs
      .slice(linesAtStart)
      .filter((line) => (JSON.parse(line) as { level: number }).level >= 50)
    expect(errors).toEqual([])
  })
})
