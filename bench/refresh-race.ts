// Benchmark: N concurrent requests at the moment the access token expires, spread over two
// app processes (the real entry point, src/main.ts) that share one Redis, against the real
// demo provider with 2-second access tokens. For every round it counts the refresh requests
// the provider processed (must be exactly 1), and measures with autocannon the latency of
// those waiting requests and, right after, of the same burst with a valid token — the
// baseline, measured in the same run, on the same machine, the same way.
//
//   node bench/refresh-race.ts [--rounds 5] [--concurrency 100]
//
// Everything runs on loopback and ends after the given number of rounds (about 3 s each).
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { startPostgresServer } from '../demo/postgres-server.ts'
import { redisAnswers, startRedisServer } from '../demo/redis-server.ts'
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  demoProviderEnv,
  startDemoServers,
} from '../demo/stack.ts'
import { ROOT_DIR } from '../src/paths.ts'
import { Browser } from '../test/integration/support/browser.ts'
import { signIn } from '../test/integration/support/login.ts'
import { startAppProcess } from './app-process.ts'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '100' },
  },
})
const ROUNDS = Number(values.rounds)
const CONCURRENCY = Number(values.concurrency)
const TTL_SECONDS = 2
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Burst {
  p50: number
  p99: number
  non2xx: number
}

/** CONCURRENCY requests at once, half to each process; autocannon measures each half. */
async function burst(urls: string[], cookie: string): Promise<Burst[]> {
  const share = Math.floor(CONCURRENCY / urls.length)
  const results = await Promise.all(
    urls.map((url) =>
      autocannon({
        url: `${url}/resource`,
        connections: share,
        amount: share,
        headers: { cookie, accept: 'text/html' },
        timeout: 20,
      }),
    ),
  )
  return results.map((r) => ({
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx + r.errors,
  }))
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

async function main() {
  const redis = (await redisAnswers('redis://127.0.0.1:6379'))
    ? { url: 'redis://127.0.0.1:6379', stop: async () => {} }
    : await startRedisServer()
  // The app needs PostgreSQL to start; a throw-away one, so the bench leaves nothing behind.
  const postgres = await startPostgresServer({ persistent: false })
  const ports = [3100 + Math.floor(Math.random() * 500), 3700 + Math.floor(Math.random() * 500)]
  const appUrls = ports.map((port) => `http://localhost:${port}`)
  const appUrl = appUrls[0] as string
  const demo = await startDemoServers({
    client: {
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      redirectUris: [`${appUrl}/auth/callback/demo`],
    },
    accessTokenTtlSeconds: TTL_SECONDS,
  })
  const env = {
    APP_URL: appUrl,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `bench${randomBytes(3).toString('hex')}:`,
    DATABASE_URL: postgres.url,
    SESSION_SECRET: randomBytes(32).toString('base64'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    TOKEN_REFRESH_SKEW_SECONDS: '0',
    LOG_LEVEL: 'warn',
    ...demoProviderEnv(demo),
  }
  const apps = await Promise.all(ports.map((port) => startAppProcess(ROOT_DIR, env, port)))
  let failed = false
  try {
    const browser = new Browser()
    await signIn(browser, appUrl)
    const cookie = await browser.jar.getCookieString(appUrl)
    const refreshCount = () =>
      demo.authorizationServer.requests.filter((r) => r.params.grant_type === 'refresh_token')
        .length

    const atExpiry: Burst[] = []
    const valid: Burst[] = []
    const refreshesPerRound: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      // Let the token expire, then everybody at once.
      await sleep(TTL_SECONDS * 1000 + 200)
      const before = refreshCount()
      atExpiry.push(...(await burst(appUrls, cookie)))
      refreshesPerRound.push(refreshCount() - before)
      // The token is fresh now: the same burst again is the baseline.
      valid.push(...(await burst(appUrls, cookie)))
    }

    const errors = [...atExpiry, ...valid].reduce((sum, b) => sum + b.non2xx, 0)
    const expiryP50 = median(atExpiry.map((b) => b.p50))
    const expiryP99 = median(atExpiry.map((b) => b.p99))
    const validP50 = median(valid.map((b) => b.p50))
    const validP99 = median(valid.map((b) => b.p99))
    const report = [
      `refresh race: ${ROUNDS} rounds × ${CONCURRENCY} concurrent requests over 2 processes`,
      `token-endpoint refresh calls per round: ${refreshesPerRound.join(', ')} (must all be 1)`,
      `failed requests: ${errors}`,
      `requests at expiry (waiting for the one refresh): p50 ${expiryP50} ms, p99 ${expiryP99} ms`,
      `requests with a valid token (baseline):           p50 ${validP50} ms, p99 ${validP99} ms`,
      `ratio at expiry / baseline: p50 ×${(expiryP50 / validP50).toFixed(2)}, p99 ×${(expiryP99 / validP99).toFixed(2)}`,
    ]
    process.stdout.write(`${report.join('\n')}\n`)
    failed = errors > 0 || refreshesPerRound.some((n) => n !== 1)
  } finally {
    for (const app of apps) app.kill('SIGTERM')
    await demo.close()
    await redis.stop()
    await postgres.stop()
  }
  process.exit(failed ? 1 : 0)
}

await main()
