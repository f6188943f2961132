// A complete, private stack per test file: the real demo authorization server and contacts
// server on free ports, one or more app instances built with createApp() and sharing one
// real Redis under a key prefix of their own and one PostgreSQL database of their own, and
// the app's logs kept in memory.
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { Writable } from 'node:stream'
import type * as client from 'openid-client'
import { inject } from 'vitest'
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_MICROSOFT_CLIENT_ID,
  DEMO_MICROSOFT_CLIENT_SECRET,
  type DemoMicrosoftOptions,
  type DemoMicrosoftServers,
  type DemoServers,
  type DemoServersOptions,
  demoMicrosoftEnv,
  demoProviderEnv,
  startDemoMicrosoft,
  startDemoServers,
} from '../../../demo/stack.ts'
import { createApp } from '../../../src/app.ts'
import { type Config, type Env, loadConfig } from '../../../src/config.ts'
import { createDatabase, type Database } from '../../../src/db/database.ts'
import type { BackoffSettings } from '../../../src/imports/backoff.ts'
import { createImportEngine, type ImportEngine } from '../../../src/imports/import-engine.ts'
import type { WorkerTiming } from '../../../src/imports/import-worker.ts'
import { createLogger, type Logger } from '../../../src/log.ts'
import type { ProviderClient } from '../../../src/oidc/provider-client.ts'
import { createProviders } from '../../../src/oidc/providers.ts'
import { createRedis, type Redis } from '../../../src/redis.ts'
import { createServices, type Services } from '../../../src/services.ts'
import { answerClientError } from '../../../src/web/client-error.ts'
import { createTestDatabase, type TestDatabase } from './database.ts'

export interface OutgoingRequest {
  url: string
  method: string
  headers: Headers
  body: string
}

export interface AppInstance {
  url: string
  config: Config
  services: Services
  providers: Map<string, ProviderClient>
  redis: Redis
  /** The instance's own pool, as each app process has one. */
  db: Database
  server: Server
  /** Its import engine: the queue and events (and a worker, when the stack asked for one). */
  imports: ImportEngine
}

export interface TestStack {
  demo: DemoServers
  /** The second provider, "Demo Microsoft" (Graph), when the stack asked for it. */
  microsoft: DemoMicrosoftServers | undefined
  /** The second provider's own demo servers (`other`), when the stack asked for one. */
  other: DemoServers | undefined
  /** APP_URL: what the browser sees. Instance 0 answers there. */
  appUrl: string
  apps: AppInstance[]
  /** A Redis client of the test's own, for looking at what the app stored. */
  redis: Redis
  prefix: string
  /** The stack's database (migrated); `database.db` is a pool of the test's own. */
  database: TestDatabase
  /** The apps' log lines (JSON), to check that no secret is ever logged. */
  logs: string[]
  /** Every request the apps made to the provider (discovery, token, revocation). */
  providerTraffic: OutgoingRequest[]
  /** Replace to tamper with provider responses; receives the real fetch. */
  tamper:
    | ((request: OutgoingRequest, real: () => Promise<Response>) => Promise<Response>)
    | undefined
  env: Env
  close(): Promise<void>
}

export interface StackOptions {
  instances?: number
  accessTokenTtlSeconds?: number
  /** Extra or overriding environment for the apps (a function sees the demo servers). */
  env?: Record<string, string> | ((demo: DemoServers) => Record<string, string>)
  refreshLeaseMs?: number
  /** Another Redis than the run's shared one (a test that pauses or stops it). */
  redisUrl?: string
  /**
   * Which instances run an import worker (as WORKER=on does in `npm start`), e.g. `[0]`.
   * None by default: a sign-in still queues its first import, but nothing runs it, so
   * tests of other things see no import traffic at the provider.
   */
  workers?: number[]
  /** Retry delays of the imports' provider calls; tests use a few milliseconds. */
  backoff?: Partial<BackoffSettings>
  workerTiming?: WorkerTiming
  /** How the demo contacts server behaves (page latency, sync token lifetime). */
  contacts?: DemoServersOptions['contacts']
  /**
   * Provider origins the apps reach at a local address instead, e.g. Entra's real origin
   * at the Entra-like fake: openid-client 6 applies Entra's tenant-templated issuer only to
   * https://login.microsoftonline.com, so the fake answers for it, and nothing leaves the
   * machine.
   */
  origins?: Record<string, string>
  /** Also run "Demo Microsoft" (PROVIDERS=demo,demo_microsoft), its Graph fake so set up. */
  microsoft?: Pick<DemoMicrosoftOptions, 'graph'>
  /**
   * A second provider, `other` ("Other Provider"): demo servers of its own (another issuer,
   * so its accounts are other accounts than `demo`'s), configured beside `demo`.
   */
  other?: boolean
}

/** The environment that configures the `other` provider on its own demo servers. */
function otherProviderEnv(other: DemoServers): Record<string, string> {
  const env = demoProviderEnv(other)
  return {
    PROVIDERS: 'demo,other',
    ...Object.fromEntries(
      Object.entries(env)
        .filter(([name]) => name !== 'PROVIDERS')
        .map(([name, value]) => [name.replace(/^DEMO_/, 'OTHER_'), value]),
    ),
    OTHER_LABEL: 'Other Provider',
  }
}

/** Retries fast enough for tests, still jittered and bounded. */
export const TEST_BACKOFF: Partial<BackoffSettings> = { baseMs: 5, capMs: 20, tries: 4 }

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address !== 'object') throw new Error('no port')
  return address.port
}

/** A debug-level logger whose lines (JSON) land in `lines`. */
export function memoryLogger(lines: string[]): Logger {
  return createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean))
        done()
      },
    }),
  })
}

export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const instances = options.instances ?? 1
  const servers = Array.from({ length: instances }, () => createServer())
  const ports = await Promise.all(servers.map(listen))
  const appUrl = `http://localhost:${ports[0]}`

  const demo = await startDemoServers({
    client: {
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      redirectUris: [`${appUrl}/auth/callback/demo`],
      postLogoutRedirectUris: [`${appUrl}/`],
    },
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    contacts: options.contacts,
  })

  const microsoft = options.microsoft
    ? await startDemoMicrosoft({
        client: {
          clientId: DEMO_MICROSOFT_CLIENT_ID,
          clientSecret: DEMO_MICROSOFT_CLIENT_SECRET,
          redirectUris: [`${appUrl}/auth/callback/demo_microsoft`],
          postLogoutRedirectUris: [`${appUrl}/`],
        },
        accessTokenTtlSeconds: options.accessTokenTtlSeconds,
        graph: options.microsoft.graph,
      })
    : undefined

  const other = options.other
    ? await startDemoServers({
        client: {
          clientId: DEMO_CLIENT_ID,
          clientSecret: DEMO_CLIENT_SECRET,
          redirectUris: [`${appUrl}/auth/callback/other`],
          postLogoutRedirectUris: [`${appUrl}/`],
        },
        accessTokenTtlSeconds: options.accessTokenTtlSeconds,
        contacts: options.contacts,
      })
    : undefined

  const prefix = `t${randomBytes(4).toString('hex')}:`
  const database = await createTestDatabase()
  const env: Env = {
    APP_URL: appUrl,
    REDIS_URL: options.redisUrl ?? inject('redisUrl'),
    REDIS_KEY_PREFIX: prefix,
    DATABASE_URL: database.url,
    SESSION_SECRET: randomBytes(32).toString('base64'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    HTTP_TIMEOUT_SECONDS: '2',
    LOG_LEVEL: 'debug',
    // Every test signs in from 127.0.0.1, hundreds of times a minute: the limiters count
    // (in Redis, as in production) but are not reached, unless a test sets its own limits.
    RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
    RATE_LIMIT_ACTIONS_PER_MINUTE: '100000',
    RATE_LIMIT_EXPORTS_PER_MINUTE: '100000',
    ...demoProviderEnv(demo),
    ...(microsoft && demoMicrosoftEnv(microsoft)),
    ...(other && otherProviderEnv(other)),
    PROVIDERS: ['demo', microsoft && 'demo_microsoft', other && 'other'].filter(Boolean).join(','),
    ...(typeof options.env === 'function' ? options.env(demo) : options.env),
  }

  const logs: string[] = []
  const log = memoryLogger(logs)

  const stack: TestStack = {
    demo,
    microsoft,
    other,
    appUrl,
    apps: [],
    redis: createRedis(options.redisUrl ?? inject('redisUrl')),
    prefix,
    database,
    logs,
    providerTraffic: [],
    tamper: undefined,
    env,
    async close() {
      await Promise.all(stack.apps.map((app) => app.imports.close()))
      await Promise.all(
        stack.apps.map(
          (app) =>
            new Promise<void>((resolve) => {
              app.server.close(() => resolve())
              app.server.closeAllConnections()
            }),
        ),
      )
      await demo.close()
      await microsoft?.close()
      await other?.close()
      const keys = await stack.redis.keys(`${prefix}*`)
      if (keys.length > 0) await stack.redis.del(...keys)
      await Promise.all([...stack.apps.map((app) => app.redis.quit()), stack.redis.quit()])
      await Promise.all(stack.apps.map((app) => app.db.close()))
      await database.drop()
    },
  }
  await stack.redis.connect()

  const spy: client.CustomFetch = async (url, init) => {
    const request: OutgoingRequest = {
      url,
      method: init.method,
      headers: new Headers(init.headers as ConstructorParameters<typeof Headers>[0]),
      body: typeof init.body === 'string' ? init.body : init.body ? String(init.body) : '',
    }
    stack.providerTraffic.push(request)
    const target = new URL(url)
    const local = options.origins?.[target.origin]
    const real = () =>
      fetch(local ? new URL(target.pathname + target.search, local) : url, init as RequestInit)
    return stack.tamper ? stack.tamper(request, real) : real()
  }

  for (const [index, server] of servers.entries()) {
    const config = loadConfig(env)
    const redis = createRedis(config.redis.url)
    await redis.connect()
    const db = createDatabase(config.database, log)
    const providers = createProviders(config, log, spy)
    const services = createServices({
      config,
      log,
      redis,
      db,
      providers,
      refreshLeaseMs: options.refreshLeaseMs,
    })
    const imports = createImportEngine({
      config,
      log,
      redis,
      db,
      services,
      providers,
      backoff: options.backoff ?? TEST_BACKOFF,
    })
    if (options.workers?.includes(index)) {
      await imports.startWorker({ timing: options.workerTiming })
    }
    server.on('request', createApp({ config, log, redis, db, providers, services, imports }))
    server.on('clientError', answerClientError(log))
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    stack.apps.push({
      url: `http://localhost:${port}`,
      config,
      services,
      providers,
      redis,
      db,
      server,
      imports,
    })
  }
  return stack
}

/** Requests the apps sent to the provider's token endpoint. */
export function tokenRequests(stack: TestStack): OutgoingRequest[] {
  return stack.providerTraffic.filter((r) => r.url === `${stack.demo.issuer}/token`)
}
