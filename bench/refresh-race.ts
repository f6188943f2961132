// Benchmark: the single-flight refresh, where refreshes happen now — the import worker's
// access tokens. N concurrent access-token requests for one connection at the moment its
// token expires, spread over two processes built as the worker is (bench/access-token-process.ts:
// createRuntime, then `services.connections.accessToken`), sharing one Redis, against the
// real demo provider with 3-second access tokens. For every round it counts the refresh
// requests the provider processed (must be exactly 1) and which process sent it, and
// measures the latency of the waiting calls and, right after, of the same burst with the
// fresh token — the baseline, measured in the same run, the same way.
//
//   node bench/refresh-race.ts [--rounds 5] [--concurrency 100]
//
// Everything runs on loopback and ends after the given number of rounds, plus one to warm up
// (about 3.5 s each).
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { startPostgresServer } from '../demo/postgres-server.ts'
import { redisAnswers, startRedisServer } from '../demo/redis-server.ts'
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  demoProviderEnv,
  startDemoServers,
} from '../demo/stack.ts'
import { ROOT_DIR } from '../src/paths.ts'
import { createRedis } from '../src/redis.ts'
import { Browser } from '../test/integration/support/browser.ts'
import { signIn } from '../test/integration/support/login.ts'
import { startAppProcess, stopAppProcess } from './app-process.ts'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '100' },
  },
})
const ROUNDS = Number(values.rounds)
const CONCURRENCY = Number(values.concurrency)
// Expiry is counted in whole seconds, so a token lives TTL - 1 to TTL seconds: at 3, the
// baseline bursts always find it valid, even on a loaded machine.
const TTL_SECONDS = 3
/** No answer from a process within this long ends the bench (a hung refresh, a dead child). */
const ANSWER_TIMEOUT_MS = 30_000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface BurstResult {
  latencies: number[]
  failed: number
  refreshed: number
}

interface TokenProcess {
  child: ChildProcess
  burst(n: number): Promise<BurstResult>
  quit(): Promise<void>
}

/** Starts bench/access-token-process.ts and waits for its "ready". */
async function startTokenProcess(env: Record<string, string>): Promise<TokenProcess> {
  const child = spawn(process.execPath, [join(ROOT_DIR, 'bench', 'access-token-process.ts')], {
    cwd: ROOT_DIR,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`token process exited (${code})`))),
  )
  exited.catch(() => {})
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[
    Symbol.asyncIterator
  ]()
  const next = async (): Promise<string> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('token process did not answer')), ANSWER_TIMEOUT_MS)
    })
    try {
      const line = await Promise.race([lines.next(), exited, timeout])
      if (line.done) throw new Error('token process closed its output')
      return line.value
    } finally {
      clearTimeout(timer)
    }
  }
  if ((await next()) !== 'ready') throw new Error('token process did not start')
  return {
    child,
    async burst(n) {
      child.stdin?.write(`burst ${n}\n`)
      return JSON.parse(await next()) as BurstResult
    },
    async quit() {
      if (child.exitCode !== null) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.stdin?.end('quit\n')
      await Promise.race([gone, sleep(5000)])
      if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}

/** What the run left in a shared Redis (sessions, tokens, the queued import). */
async function forgetKeys(url: string, prefix: string) {
  const client = createRedis(url)
  await client.connect()
  const keys = await client.keys(`${prefix}*`)
  if (keys.length > 0) await client.del(...keys)
  await client.quit()
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}
const ms = (value: number) => `${value.toFixed(1)} ms`

async function main() {
  const redis = (await redisAnswers('redis://127.0.0.1:6379'))
    ? { url: 'redis://127.0.0.1:6379', stop: async () => {} }
    : await startRedisServer()
  // A throw-away PostgreSQL, so the bench leaves nothing behind.
  const postgres = await startPostgresServer({ persistent: false })
  const port = 3100 + Math.floor(Math.random() * 500)
  const appUrl = `http://localhost:${port}`
  const demo = await startDemoServers({
    client: {
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      redirectUris: [`${appUrl}/auth/callback/demo`],
    },
    accessTokenTtlSeconds: TTL_SECONDS,
  })
  const prefix = `bench${randomBytes(3).toString('hex')}:`
  const env = {
    APP_URL: appUrl,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: prefix,
    DATABASE_URL: postgres.url,
    SESSION_SECRET: randomBytes(32).toString('base64'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    TOKEN_REFRESH_SKEW_SECONDS: '0',
    // Nothing imports: the first sign-in's queued import stays queued, so the provider
    // sees only the race's refreshes.
    WORKER: 'off',
    LOG_LEVEL: 'warn',
    ...demoProviderEnv(demo),
  }
  const processes: TokenProcess[] = []
  let failed = false
  try {
    // A person and a connection, made the real way: a sign-in through the web process.
    const app = await startAppProcess(ROOT_DIR, env, port)
    try {
      await signIn(new Browser(), appUrl)
    } finally {
      await stopAppProcess(app)
    }
    const db = new pg.Client({ connectionString: postgres.url })
    await db.connect()
    const { rows } = await db.query('SELECT id, person_id FROM connections')
    await db.end()
    const connection = rows[0] as { id: string; person_id: string } | undefined
    if (!connection) throw new Error('the sign-in made no connection')
    const childEnv = { ...env, PERSON_ID: connection.person_id, CONNECTION_ID: connection.id }
    processes.push(...(await Promise.all([0, 1].map(() => startTokenProcess(childEnv)))))

    const refreshes = () =>
      demo.authorizationServer.requests.filter(
        (r) => r.endpoint === 'token' && r.params.grant_type === 'refresh_token',
      ).length
    const share = Math.floor(CONCURRENCY / processes.length)
    const burst = () => Promise.all(processes.map((p) => p.burst(share)))

    const atExpiry = { refreshing: [] as number[], waiting: [] as number[] }
    const valid: number[] = []
    const alone: number[] = []
    const refreshesPerRound: number[] = []
    const refreshedBy: string[] = []
    let baselineRefreshes = 0
    let failures = 0
    // Round 0 warms up (the pools' connections, the JIT): its refresh is counted, its
    // latencies are not.
    for (let round = 0; round <= ROUNDS; round++) {
      // Let the token expire, then everybody at once.
      await sleep(TTL_SECONDS * 1000 + 200)
      const before = refreshes()
      const expiry = await burst()
      refreshesPerRound.push(refreshes() - before)
      refreshedBy.push(expiry.map((r, i) => (r.refreshed > 0 ? `P${i + 1}` : '')).join('') || '-')
      const asBefore = refreshes()
      const baseline = await burst()
      baselineRefreshes += refreshes() - asBefore
      for (const result of [...expiry, ...baseline]) failures += result.failed
      if (round === 0) continue
      for (const result of expiry) {
        // The process that sent the refresh, and the one that waited for it over Redis.
        ;(result.refreshed > 0 ? atExpiry.refreshing : atExpiry.waiting).push(...result.latencies)
      }
      // The token was fresh for the second burst: the baseline.
      for (const result of baseline) valid.push(...result.latencies)
      // And one call at a time, for scale: what a single caller pays with a valid token.
      for (let i = 0; i < 10; i++) alone.push(...((await processes[0]?.burst(1))?.latencies ?? []))
    }

    const all = [...atExpiry.refreshing, ...atExpiry.waiting]
    const row = (label: string, values: number[]) =>
      `${label} p50 ${ms(percentile(values, 50))}, p99 ${ms(percentile(values, 99))}`
    const report = [
      `refresh race: ${ROUNDS} rounds (after one to warm up) × ${CONCURRENCY} concurrent access-token requests for one connection over 2 processes`,
      `token-endpoint refresh calls per round, warm-up first: ${refreshesPerRound.join(', ')} (must all be 1), sent by ${refreshedBy.join(', ')}`,
      `token-endpoint refresh calls during the baseline bursts: ${baselineRefreshes} (must be 0)`,
      `failed requests: ${failures}`,
      row('at expiry, all:                          ', all),
      row('at expiry, in the refreshing process:    ', atExpiry.refreshing),
      row('at expiry, in the other process (Redis): ', atExpiry.waiting),
      row('valid token (baseline):                  ', valid),
      row('valid token, one call at a time:         ', alone),
      `ratio at expiry / baseline: p50 ×${(percentile(all, 50) / percentile(valid, 50)).toFixed(2)}, p99 ×${(percentile(all, 99) / percentile(valid, 99)).toFixed(2)}`,
    ]
    process.stdout.write(`${report.join('\n')}\n`)
    failed = failures > 0 || baselineRefreshes > 0 || refreshesPerRound.some((n) => n !== 1)
  } finally {
    await Promise.all(processes.map((p) => p.quit()))
    await forgetKeys(redis.url, prefix)
    await demo.close()
    await redis.stop()
    await postgres.stop()
  }
  process.exit(failed ? 1 : 0)
}

await main()
