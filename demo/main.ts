// `npm run demo`: the app on http://localhost:3000 signed in against the bundled local
// OpenID Provider (http://localhost:4000) and reading the bundled contacts server
// (http://localhost:4001), and a second provider, "Demo Microsoft" (http://localhost:4002)
// with its Graph-shaped contacts fake (http://localhost:4003). Redis comes from REDIS_URL, or a private redis-server is
// started. PostgreSQL comes from DATABASE_URL, or an embedded one is started whose data
// stays in .data/postgres between runs. Secrets the demo needs are generated for this run.
import { createHash, randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import pretty from 'pino-pretty'
import { describeDatabaseUrl, loadConfig, readEnv } from '../src/config.ts'
import { exitOnSignals } from '../src/exit-on-signals.ts'
import { createLogger, withoutCredentials } from '../src/log.ts'
import { startApp } from '../src/main.ts'
import { ROOT_DIR } from '../src/paths.ts'
import { reachableByEveryone } from './postgres-binaries.ts'
import { startPostgresServer } from './postgres-server.ts'
import { redisAnswers, startRedisServer } from './redis-server.ts'
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_MICROSOFT_CLIENT_ID,
  DEMO_MICROSOFT_CLIENT_SECRET,
  demoMicrosoftEnv,
  demoProviderEnv,
  startDemoMicrosoft,
  startDemoServers,
} from './stack.ts'
import { DEMO_MICROSOFT_USERS, DEMO_USERS } from './users.ts'

const APP_PORT = 3000
const AUTHORIZATION_PORT = 4000
const CONTACTS_PORT = 4001
const MICROSOFT_AUTHORIZATION_PORT = 4002
const GRAPH_PORT = 4003
const APP_URL = `http://localhost:${APP_PORT}`
/** About what Google takes for a page of 1,000 full people, so an import's progress shows. */
const DEFAULT_PAGE_LATENCY_MS = 1000

/** DEMO_PAGE_LATENCY_MS: ms per page of 1,000 contacts at the demo contacts server (0: none). */
function pageLatencyMs(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_PAGE_LATENCY_MS
  const ms = Number(value)
  if (!Number.isInteger(ms) || ms < 0 || ms > 60_000) {
    throw new Error(
      `DEMO_PAGE_LATENCY_MS must be a whole number of ms from 0 to 60000, got ${value}`,
    )
  }
  return ms
}

/** REDIS_URL (or the default) when something answers there; otherwise a private one. */
async function ensureRedis(url: string | undefined) {
  const wanted = url ?? 'redis://127.0.0.1:6379'
  if (await redisAnswers(wanted)) return { url: wanted, stop: async () => {} }
  const shown = withoutCredentials(wanted)
  try {
    const server = await startRedisServer()
    console.error(
      `No Redis answers on ${shown}: started a private redis-server (no persistence) on ${server.url}.`,
    )
    return server
  } catch (err) {
    throw new Error(
      `The demo needs Redis. Nothing answers on ${shown}, and a private one could not be started: ` +
        `${(err as Error).message}. Install redis-server (apt-get install redis-server, brew install redis) ` +
        'or point REDIS_URL at a running Redis.',
    )
  }
}

/**
 * Where the demo's PostgreSQL keeps its data: .data/postgres in the checkout. As root the
 * server runs as the OS user `postgres`, which cannot reach a checkout under /root or in a
 * private folder; then a folder of this checkout's own under the system temp directory.
 */
function demoDataDir(): string {
  const inCheckout = join(ROOT_DIR, '.data', 'postgres')
  if (process.getuid?.() !== 0 || reachableByEveryone(inCheckout)) return inCheckout
  const id = createHash('sha256').update(ROOT_DIR).digest('hex').slice(0, 12)
  return join(tmpdir(), `contacts-importer-demo-${id}`)
}

/** DATABASE_URL when it is set; otherwise an embedded PostgreSQL that keeps its data. */
async function ensureDatabase(url: string | undefined) {
  if (url) return { url, stop: async () => {} }
  const dataDir = demoDataDir()
  const shown = relative(process.cwd(), dataDir).startsWith('..')
    ? dataDir
    : relative(process.cwd(), dataDir)
  try {
    const server = await startPostgresServer({ dataDir, persistent: true })
    console.error(
      `No DATABASE_URL: started an embedded PostgreSQL on ${describeDatabaseUrl(server.url)} (data in ${shown}, kept between runs).`,
    )
    return server
  } catch (err) {
    throw new Error(
      `The demo needs PostgreSQL. DATABASE_URL is not set, and an embedded one could not be started: ` +
        `${(err as Error).message}\nSet DATABASE_URL, or delete ${shown} to start with an empty database.`,
    )
  }
}

async function main() {
  const env = readEnv()
  // Checked before anything starts, so a typo does not leave a redis-server behind.
  const latency = pageLatencyMs(env.DEMO_PAGE_LATENCY_MS)
  const redis = await ensureRedis(env.REDIS_URL?.trim() || undefined)
  const database = await ensureDatabase(env.DATABASE_URL?.trim() || undefined)
  const demo = await startDemoServers({
    client: {
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      redirectUris: [`${APP_URL}/auth/callback/demo`],
      postLogoutRedirectUris: [`${APP_URL}/`],
    },
    publicHost: 'localhost',
    // Said here, not only by default: the demo's passwords are public, so loopback only.
    bindHost: '127.0.0.1',
    authorizationPort: AUTHORIZATION_PORT,
    contactsPort: CONTACTS_PORT,
    contacts: { pageLatencyMs: latency },
  })
  const microsoft = await startDemoMicrosoft({
    client: {
      clientId: DEMO_MICROSOFT_CLIENT_ID,
      clientSecret: DEMO_MICROSOFT_CLIENT_SECRET,
      redirectUris: [`${APP_URL}/auth/callback/demo_microsoft`],
      postLogoutRedirectUris: [`${APP_URL}/`],
    },
    publicHost: 'localhost',
    bindHost: '127.0.0.1',
    authorizationPort: MICROSOFT_AUTHORIZATION_PORT,
    graphPort: GRAPH_PORT,
    graph: { pageLatencyMs: latency },
  })

  const config = loadConfig({
    APP_URL,
    // Said here, not only by default: the demo's passwords are public, so loopback only.
    HOST: '127.0.0.1',
    PORT: String(APP_PORT),
    REDIS_URL: redis.url,
    DATABASE_URL: database.url,
    LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    // Fresh for every run: restarting the demo signs everybody out, which is fine here.
    SESSION_SECRET: randomBytes(32).toString('base64'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...demoProviderEnv(demo),
    PROVIDERS: 'demo,demo_microsoft',
    ...demoMicrosoftEnv(microsoft),
  })
  // A person at a terminal reads lines, not JSON; piped (CI, a file) it stays JSON, as
  // `npm start` always is. pino-pretty is a devDependency: only the demo uses it.
  const log = createLogger({
    level: config.logLevel,
    destination: process.stdout.isTTY
      ? pretty({ colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname' })
      : undefined,
  })
  const app = await startApp(config, log)

  console.error(
    [
      '',
      'Contacts Importer demo is running.',
      '',
      `  Open            ${APP_URL}/resource`,
      `  Provider        ${demo.issuer}  (local OpenID Connect server)`,
      `  Contacts API    ${demo.contactsUrl}  (Google People API v1 shape)`,
      `  Change contacts ${demo.contactsUrl}/__demo  (then import again: only the changes come)`,
      '',
      '  Demo accounts   username / password',
      ...DEMO_USERS.map((u) => `                  ${u.id.padEnd(6)} / ${u.password}`),
      '',
      `  Demo Microsoft  ${microsoft.issuer}  (a second provider, no revocation endpoint)`,
      `  Graph API       ${microsoft.contactsUrl}/v1.0  (Microsoft Graph contacts shape)`,
      '  Work accounts   username / password',
      ...DEMO_MICROSOFT_USERS.map((u) => `                  ${u.id.padEnd(6)} / ${u.password}`),
      '',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  )

  exitOnSignals(async () => {
    await app.close()
    await demo.close()
    await microsoft.close()
    await redis.stop()
    await database.stop()
  }, log)
}

main().catch((err: Error) => {
  console.error(err.message)
  process.exit(1)
})
