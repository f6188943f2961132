// Benchmark: what anonymous sign-in starts cost the server. The real entry point
// (src/main.ts) runs against the demo provider and a private redis-server (so its counters
// count only this app); autocannon fires cookieless GET /login requests at full speed for a
// bounded time, each with the longest returnTo a request line can carry (1,700 × "€",
// 15 KB once percent-encoded). For every phase it reports, from Redis itself: the bytes the
// server received per request (INFO stats total_net_input_bytes), the keys left under the
// app's prefix and the memory they take (MEMORY USAGE), and the share of 429 answers.
// Phases, in the same run on the same machine: this tree with the rate limits off, this
// tree with the default limits, and, with --baseline <git ref>, that ref's design first.
//
//   node bench/anonymous-login.ts [--seconds 10] [--connections 50] [--baseline main]
//
// Everything runs on loopback; each phase stops after --seconds. The baseline's Redis grows
// by about 17 KB per request (some 170 MB per 10 s on a 2-core machine); the private
// redis-server is flushed between phases and stopped at the end.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { startPostgresServer } from '../demo/postgres-server.ts'
import { freePort, startRedisServer } from '../demo/redis-server.ts'
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  demoProviderEnv,
  startDemoServers,
} from '../demo/stack.ts'
import { ROOT_DIR } from '../src/paths.ts'
import { createRedis, type Redis } from '../src/redis.ts'
import { startAppProcess, stopAppProcess } from './app-process.ts'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    baseline: { type: 'string' },
  },
})
const SECONDS = Number(values.seconds)
const CONNECTIONS = Number(values.connections)
/** 1,700 characters as typed; 15,300 bytes in the request line, percent-encoded. */
const RETURN_TO = `/${'€'.repeat(1700)}`
/** What the new design may cost per anonymous request, at most (README "Benchmark"). */
const BUDGET_BYTES = 1024
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Phase {
  label: string
  /** The checkout whose src/main.ts runs. */
  dir: string
  env: Record<string, string>
  /** Held to the per-request budget (the baseline is what it is). */
  checked: boolean
}

/** A ref's app (src, views, public, package.json) in a temporary directory. */
async function exportRef(ref: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'contacts-importer-bench-'))
  const tar = join(dir, 'ref.tar')
  execFileSync('git', [
    '-C',
    ROOT_DIR,
    'archive',
    '--output',
    tar,
    ref,
    'src',
    'views',
    'public',
    'package.json',
  ])
  execFileSync('tar', ['-xf', tar, '-C', dir])
  await symlink(join(ROOT_DIR, 'node_modules'), join(dir, 'node_modules'))
  return dir
}

const netInput = async (redis: Redis) =>
  Number(/total_net_input_bytes:(\d+)/.exec(await redis.info('stats'))?.[1])

/** Keys under `prefix` and the memory Redis says they take. */
async function stored(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number }> {
  let cursor = '0'
  let keys = 0
  let bytes = 0
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    keys += batch.length
    if (batch.length > 0) {
      const pipeline = redis.pipeline()
      for (const key of batch) pipeline.memory('USAGE', key)
      for (const [, usage] of (await pipeline.exec()) ?? []) bytes += Number(usage ?? 0)
    }
  } while (cursor !== '0')
  return { keys, bytes }
}

interface Measured {
  label: string
  requests: number
  perSecond: number
  limited: number
  failed: number
  inputPerRequest: number
  keys: number
  storedBytes: number
  checked: boolean
}

async function main() {
  const redisServer = await startRedisServer()
  const redis = createRedis(redisServer.url)
  await redis.connect()
  const postgres = await startPostgresServer({ persistent: false })
  const port = await freePort()
  const appUrl = `http://localhost:${port}`
  const demo = await startDemoServers({
    client: {
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      redirectUris: [`${appUrl}/auth/callback/demo`],
    },
  })
  const baselineDir = values.baseline ? await exportRef(values.baseline) : undefined
  const phases: Phase[] = [
    ...(baselineDir
      ? [{ label: `${values.baseline} (baseline)`, dir: baselineDir, env: {}, checked: false }]
      : []),
    {
      label: 'this tree, limits off',
      dir: ROOT_DIR,
      env: { RATE_LIMIT_LOGIN_PER_MINUTE: '0' },
      checked: true,
    },
    { label: 'this tree, default limits', dir: ROOT_DIR, env: {}, checked: true },
  ]
  const results: Measured[] = []
  try {
    for (const [index, phase] of phases.entries()) {
      await redis.flushall()
      const prefix = `bench${index}:`
      const app = await startAppProcess(
        phase.dir,
        {
          APP_URL: appUrl,
          REDIS_URL: redisServer.url,
          REDIS_KEY_PREFIX: prefix,
          DATABASE_URL: postgres.url,
          SESSION_SECRET: randomBytes(32).toString('base64'),
          TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
          LOG_LEVEL: 'warn',
          ...demoProviderEnv(demo),
          ...phase.env,
        },
        port,
      )
      try {
        const inputBefore = await netInput(redis)
        const result = await autocannon({
          url: `${appUrl}/login?provider=demo&returnTo=${encodeURIComponent(RETURN_TO)}`,
          connections: CONNECTIONS,
          duration: SECONDS,
          headers: { accept: 'text/html' },
          timeout: 10,
        })
        await sleep(200) // writes still on their way
        const inputAfter = await netInput(redis)
        const { keys, bytes } = await stored(redis, prefix)
        // Sent, not only answered: a request still in flight at the end was stored too.
        const requests = result.requests.sent
        const count = (status: string) =>
          result.statusCodeStats?.[status as `${number}`]?.count ?? 0
        results.push({
          label: phase.label,
          requests,
          perSecond: Math.round(requests / result.duration),
          limited: count('429'),
          failed: result.errors + result['5xx'],
          inputPerRequest: (inputAfter - inputBefore) / Math.max(1, requests),
          keys,
          storedBytes: bytes,
          checked: phase.checked,
        })
      } finally {
        await stopAppProcess(app)
      }
    }
  } finally {
    await redis.quit()
    await demo.close()
    await redisServer.stop()
    await postgres.stop()
    if (baselineDir) await rm(baselineDir, { recursive: true, force: true })
  }

  const kb = (bytes: number) => `${(bytes / 1024).toFixed(bytes < 10_240 ? 2 : 0)} KB`
  const lines = [
    `anonymous GET /login from one address, ${CONNECTIONS} connections, ${SECONDS} s per phase, returnTo ${encodeURIComponent(RETURN_TO).length} bytes in the URL`,
    '',
    '| phase | requests | per s | 429 share | Redis input per request | keys left | stored in Redis | stored per request |',
    '| --- | --: | --: | --: | --: | --: | --: | --: |',
    ...results
      .map((r) =>
        [
          r.label,
          r.requests,
          r.perSecond,
          `${((100 * r.limited) / Math.max(1, r.requests)).toFixed(1)} %`,
          `${Math.round(r.inputPerRequest)} B`,
          r.keys,
          kb(r.storedBytes),
          `${(r.storedBytes / Math.max(1, r.requests)).toFixed(r.storedBytes < r.requests * 10 ? 3 : 0)} B`,
        ].join(' | '),
      )
      .map((row) => `| ${row} |`),
  ]
  const baseline = results.find((r) => !r.checked)
  if (baseline) {
    for (const r of results.filter((x) => x.checked)) {
      const ratio = (a: number, b: number) =>
        b === 0 ? '—' : a / b < 0.001 ? '< ×0.001' : `×${(a / b).toPrecision(2)}`
      lines.push(
        `${r.label} / baseline: Redis input per request ${ratio(r.inputPerRequest, baseline.inputPerRequest)}, stored per request ${ratio(r.storedBytes / r.requests, baseline.storedBytes / baseline.requests)}`,
      )
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`)
  const overBudget = results.filter(
    (r) =>
      r.checked &&
      (r.failed > 0 ||
        r.inputPerRequest > BUDGET_BYTES ||
        r.storedBytes / Math.max(1, r.requests) > BUDGET_BYTES),
  )
  process.exit(overBudget.length > 0 ? 1 : 0)
}

await main()
