// Benchmark: importing a 25,000-contact book (25 pages of 1,000, the demo seed's realistic
// fields) from the local People server into PostgreSQL, through the real entry points: the
// web process (src/main.ts, WORKER=off) and a worker process (src/worker-main.ts). Every
// figure is printed beside its floor, measured in the same run, on the same machine:
//   - with a provider's latency (300 ms per page): the import's wall time (from the worker
//     taking the run to the run's end, its sweep included) against merely fetching and
//     parsing the same pages with the same adapter (fetch and write overlap), measured once
//     before the import and once after it (the load of a shared machine drifts; the first
//     also warms the demo server, which the import would otherwise meet cold), and the
//     table's upkeep after the run (upkeep.ts), which the person does not wait for but the
//     worker and the database do;
//   - with no latency: the import's write rate against plain batched INSERTs of the same
//     rows into a table without indexes (the database's own ingest floor);
//   - the worker's peak RSS (VmHWM), PostgreSQL bytes per contact (table, TOAST, indexes),
//     an incremental run with no changes;
//   - /contacts (first page, a later page, a search): throughput and p99 beside the
//     signed-in start page, measured right before each;
//   - then a second source of the same size for the same person, 30 % of it the same people
//     (same email and phone, another name), written page by page through the store: its
//     write rate against the same floor (the cards are grouped as it writes, migration
//     0005), the bytes per contact of the keys and cards, and /contacts again, now cards.
//
//   node bench/import.ts [--contacts 25000] [--latency 300] [--seconds 3] [--keep]
//
// Loopback only; bounded (about two minutes). DATABASE_URL picks a PostgreSQL (a fresh database
// is made in it and dropped); without it a throw-away embedded one is started.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import pg from 'pg'
import { startPostgresServer } from '../demo/postgres-server.ts'
import { redisAnswers, startRedisServer } from '../demo/redis-server.ts'
import { createPeople } from '../demo/seed.ts'
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  demoProviderEnv,
  startDemoServers,
} from '../demo/stack.ts'
import { fromStoredData, type StoredData } from '../src/address-book/stored-data.ts'
import { loadConfig } from '../src/config.ts'
import { readPages } from '../src/contacts/read-pages.ts'
import { inTransaction } from '../src/db/transaction.ts'
import { createLogger } from '../src/log.ts'
import { ROOT_DIR } from '../src/paths.ts'
import { createRuntime, type Runtime } from '../src/runtime.ts'
import { Browser } from '../test/integration/support/browser.ts'
import { signIn } from '../test/integration/support/login.ts'
import { startAppProcess, stopAppProcess } from './app-process.ts'
import { cpuSeconds, postgresCpuSeconds } from './process-cpu.ts'

const { values } = parseArgs({
  options: {
    contacts: { type: 'string', default: '25000' },
    latency: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '3' },
    // Leaves the database in place (its URL is printed), to look at its plans afterwards.
    keep: { type: 'boolean', default: false },
  },
})
const CONTACTS = Number(values.contacts)
const LATENCY_MS = Number(values.latency)
const SECONDS = Number(values.seconds)
const USER = 'carol'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A database of our own in the given server, dropped at the end. */
async function createDatabase(serverUrl: string) {
  const name = `bench_import_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.href,
    async drop() {
      const again = new pg.Client({ connectionString: serverUrl })
      await again.connect()
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await again.end()
    },
  }
}

/**
 * A worker process exactly as `npm run worker` starts it: the Node flags and the entry of
 * package.json's script (the heap bounds the worker runs with are part of what is measured).
 * Its peak RSS is read from /proc.
 */
async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const pkg = JSON.parse(await readFile(join(ROOT_DIR, 'package.json'), 'utf8'))
  const [node, ...args] = String(pkg.scripts.worker).split(/\s+/)
  if (node !== 'node') throw new Error(`npm run worker does not start node: ${pkg.scripts.worker}`)
  return spawn(process.execPath, args, {
    cwd: ROOT_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

/** Where a stretch of work spent its CPU: the worker, PostgreSQL, this process (the demo servers). */
async function cpuNow(workerPid: number | undefined) {
  const { user, system } = process.cpuUsage()
  return {
    worker: workerPid ? await cpuSeconds(workerPid) : Number.NaN,
    postgres: await postgresCpuSeconds(),
    bench: (user + system) / 1e6,
  }
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1])
  return kb / 1024
}

interface RunTiming {
  id: string
  seconds: number
  /** When the run ended (epoch ms, the database's clock). */
  finishedAt: number
  state: string
  counts: Record<string, number>
}

/** Waits for the run to end; its time is the database's own started → finished. */
async function waitForRun(db: pg.Pool, id: string, timeoutMs = 120_000): Promise<RunTiming> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const { rows } = await db.query(
      `SELECT state, extract(epoch FROM finished_at - started_at)::float AS seconds,
              extract(epoch FROM finished_at)::float * 1000 AS finished_at,
              created, updated, deleted, unchanged, skipped
         FROM imports WHERE id = $1`,
      [id],
    )
    const row = rows[0]
    if (row && (row.state === 'completed' || row.state === 'failed')) {
      const { state, seconds, finished_at: finishedAt, ...counts } = row
      return { id, seconds, finishedAt, state, counts }
    }
    await sleep(20)
  }
  throw new Error(`import ${id} did not end within ${timeoutMs} ms`)
}

/**
 * How long the table's upkeep after the run took (the worker's VACUUM (ANALYZE) or ANALYZE,
 * upkeep.ts): from the run's end to the end PostgreSQL records for it. Undefined when the
 * run left none.
 */
async function upkeepSeconds(db: pg.Pool, run: RunTiming): Promise<number | undefined> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const { rows } = await db.query(
      `SELECT extract(epoch FROM greatest(last_vacuum, last_analyze))::float * 1000 AS at
         FROM pg_stat_user_tables WHERE relname = 'contacts'`,
    )
    const at = rows[0]?.at as number | null
    if (at && at > run.finishedAt) return (at - run.finishedAt) / 1000
    await sleep(20)
  }
  return undefined
}

async function latestRun(db: pg.Pool): Promise<string> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const { rows } = await db.query('SELECT id FROM imports ORDER BY created_at DESC LIMIT 1')
    if (rows[0]) return rows[0].id as string
    await sleep(20)
  }
  throw new Error('the sign-in started no import')
}

/** Fetching and parsing every page with the same adapter and token path, writing nothing. */
async function fetchFloor(runtime: Runtime, connectionId: string, personId: string) {
  const connection = await runtime.services.people.connection(personId, connectionId)
  const source = runtime.services.contactSources.get('demo')
  const provider = runtime.providers.get('demo')
  if (!connection || !source || !provider) throw new Error('no demo connection')
  const started = performance.now()
  let contacts = 0
  for await (const page of readPages({
    source,
    contactsUrl: provider.settings.contactsUrl,
    accessToken: (options) => runtime.services.connections.accessToken(connection, options),
  })) {
    contacts += page.contacts.length
  }
  return { seconds: (performance.now() - started) / 1000, contacts }
}

/** The same rows, by plain batched INSERTs of 1,000 into a copy of the table without indexes. */
async function ingestFloor(db: pg.Pool, connectionId: string) {
  // raw (bytea) as its text form, which bytea's input reads back.
  // The search text is stored beside the contact (contact_search, migration 0006): the
  // floor's rows carry it, as they did when it was a column of contacts.
  const { rows } = await db.query(
    `SELECT c.person_id, c.connection_id, c.external_id, c.etag, c.display_name, c.sort_key,
            s.search_text, c.data, '\\x' || encode(c.raw, 'hex') AS raw
       FROM contacts c JOIN contact_search s ON s.contact_id = c.id
      WHERE c.connection_id = $1`,
    [connectionId],
  )
  await db.query('DROP TABLE IF EXISTS ingest_floor')
  // LIKE copies the columns (and their types and compression), not the indexes.
  await db.query('CREATE TABLE ingest_floor (LIKE contacts INCLUDING DEFAULTS)')
  await db.query('ALTER TABLE ingest_floor ADD COLUMN search_text text')
  const batches: string[] = []
  for (let i = 0; i < rows.length; i += 1000) batches.push(JSON.stringify(rows.slice(i, i + 1000)))
  const started = performance.now()
  for (const batch of batches) {
    await db.query(
      `INSERT INTO ingest_floor (person_id, connection_id, external_id, etag, display_name,
                                 sort_key, search_text, data, raw)
       SELECT person_id, connection_id, external_id, etag, display_name, sort_key,
              search_text, data, raw
         FROM jsonb_populate_recordset(NULL::ingest_floor, $1::jsonb)`,
      [batch],
    )
  }
  const seconds = (performance.now() - started) / 1000
  await db.query('DROP TABLE ingest_floor')
  return rows.length / seconds
}

interface Load {
  rps: number
  p99: number
  errors: number
}

async function load(url: string, cookie: string): Promise<Load> {
  const options = { url, connections: 10, headers: { cookie, accept: 'text/html' } }
  // Warmed first, as a running service is: the pool's connections have planned the query
  // and the app's code is compiled.
  await autocannon({ ...options, duration: 1 })
  const result = await autocannon({ ...options, duration: SECONDS })
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
  }
}

interface Beside {
  route: Load
  start: Load
}

/**
 * A route under load right after the signed-in start page, its baseline. Each route has a
 * baseline of its own: the same start page measured once for a whole phase ran at 694
 * requests/s in one phase and 993 in the next of the same run (the machine's other work,
 * the database's checkpoints after the writes), and every ratio to it depended on where
 * in the run it fell.
 */
async function beside(appUrl: string, path: string, cookie: string): Promise<Beside> {
  const start = await load(`${appUrl}/`, cookie)
  return { start, route: await load(`${appUrl}${path}`, cookie) }
}

const shown = (label: string, { route, start }: Beside) =>
  `${label} ${Math.round(route.rps)} req/s, p99 ${route.p99} ms (×${(route.rps / start.rps).toFixed(2)} of / signed in: ${Math.round(start.rps)} req/s, p99 ${start.p99} ms)`

async function main() {
  const redis = (await redisAnswers('redis://127.0.0.1:6379'))
    ? { url: 'redis://127.0.0.1:6379', stop: async () => {} }
    : await startRedisServer()
  const embedded = process.env.DATABASE_URL
    ? undefined
    : await startPostgresServer({ persistent: false })
  const database = await createDatabase(process.env.DATABASE_URL ?? embedded?.url ?? '')
  const port = 3100 + Math.floor(Math.random() * 800)
  const appUrl = `http://localhost:${port}`
  const demo = await startDemoServers({
    client: {
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      redirectUris: [`${appUrl}/auth/callback/demo`],
    },
    contacts: { pageLatencyMs: LATENCY_MS },
  })
  demo.contactsServer.directory.replace(USER, createPeople(`bench-${USER}`, CONTACTS))
  const env = {
    APP_URL: appUrl,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `bench${randomBytes(3).toString('hex')}:`,
    DATABASE_URL: database.url,
    SESSION_SECRET: randomBytes(32).toString('base64'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    WORKER: 'off',
    ...demoProviderEnv(demo),
  }
  const db = new pg.Pool({ connectionString: database.url, max: 4 })
  const app = await startAppProcess(ROOT_DIR, env, port)
  let worker: ChildProcess | undefined
  let runtime: Runtime | undefined
  let failed = false
  try {
    // The first sign-in enqueues the first import by itself; no worker runs yet.
    const browser = new Browser()
    await signIn(browser, appUrl, { username: USER, password: `${USER}-demo` })
    const cookie = await browser.jar.getCookieString(appUrl)
    const firstRun = await latestRun(db)
    const { rows } = await db.query('SELECT connection_id, person_id FROM imports WHERE id = $1', [
      firstRun,
    ])
    const { connection_id: connectionId, person_id: personId } = rows[0]

    // 1. With the provider's latency: the import against fetching alone, before and after.
    runtime = await createRuntime(loadConfig(env), createLogger({ level: 'silent' }))
    const fetchedBefore = await fetchFloor(runtime, connectionId, personId)
    worker = await startWorkerProcess(env)
    const withLatency = await waitForRun(db, firstRun)
    const upkeep = await upkeepSeconds(db, withLatency)
    const { rows: size } = await db.query(
      `SELECT (pg_total_relation_size('contacts') + pg_total_relation_size('contact_search'))::float
                / greatest(count(*), 1) AS bytes,
              count(*)::int AS contacts
         FROM contacts`,
    )
    const fetchedAfter = await fetchFloor(runtime, connectionId, personId)
    const fetched = {
      seconds: (fetchedBefore.seconds + fetchedAfter.seconds) / 2,
      contacts: Math.min(fetchedBefore.contacts, fetchedAfter.contacts),
    }

    // 2. An incremental run with nothing changed (the connection holds a sync token now).
    demo.contactsServer.settings.pageLatencyMs = 0
    const [incrementalRun] = await runtime.imports.starter.start(personId, connectionId)
    const incremental = await waitForRun(db, incrementalRun?.id ?? '')

    // 3. With no latency: a full import again (book and cursor cleared) against the floor.
    await db.query('DELETE FROM contacts WHERE connection_id = $1', [connectionId])
    await db.query(`UPDATE connections SET import_state = '{}'::jsonb WHERE id = $1`, [
      connectionId,
    ])
    const cpuBefore = await cpuNow(worker.pid)
    const [fullRun] = await runtime.imports.starter.start(personId, connectionId)
    const noLatency = await waitForRun(db, fullRun?.id ?? '')
    const cpuAfter = await cpuNow(worker.pid)
    const perPage = (key: keyof typeof cpuAfter) =>
      Math.round(((cpuAfter[key] - cpuBefore[key]) * 1000) / (CONTACTS / 1000))
    const writeRate = CONTACTS / noLatency.seconds
    const floorRate = await ingestFloor(db, connectionId)
    const rssMb = worker.pid ? await peakRssMb(worker.pid) : Number.NaN

    // 4. The address book under load, beside the signed-in start page.
    const json = (await (
      await fetch(`${appUrl}/contacts`, { headers: { cookie, accept: 'application/json' } })
    ).json()) as { next?: string }
    let later = json.next
    for (let i = 0; i < 10 && later; i++) {
      const page = (await (
        await fetch(`${appUrl}/contacts?after=${encodeURIComponent(later)}`, {
          headers: { cookie, accept: 'application/json' },
        })
      ).json()) as { next?: string }
      later = page.next ?? later
      if (!page.next) break
    }
    const first = await beside(appUrl, '/contacts', cookie)
    const laterPage = await beside(
      appUrl,
      `/contacts?after=${encodeURIComponent(later ?? '')}`,
      cookie,
    )
    const search = await beside(appUrl, `/contacts?q=${encodeURIComponent('mar')}`, cookie)

    // 5. A second source for the same person: 30 % the same people, the rest new ones.
    const { rows: workRows } = await db.query(
      `INSERT INTO connections (person_id, provider, issuer, subject)
       VALUES ($1, 'work', 'bench', 'bench-work') RETURNING id`,
      [personId],
    )
    const workId = workRows[0].id as string
    const { rows: firstBook } = await db.query(
      'SELECT external_id, etag, data FROM contacts WHERE connection_id = $1 ORDER BY external_id',
      [connectionId],
    )
    const second = firstBook.map(
      (row: { external_id: string; etag: string | null; data: StoredData }, i: number) => {
        const c = fromStoredData(row, undefined)
        const same = i % 10 < 3
        return {
          ...c,
          externalId: `work/${i}`,
          etag: `w${i}`,
          name: { ...c.name, display: `${c.name.display ?? 'Someone'} (work)` },
          emails: same
            ? c.emails
            : [{ address: `w${i}@work.example`, type: 'work', primary: true }],
          phones: same ? c.phones : [],
        }
      },
    )
    const store = runtime.services.contactsStore
    const secondStarted = performance.now()
    for (let i = 0; i < second.length; i += 1000) {
      await inTransaction({ pool: db }, (tx) =>
        store.upsert(
          tx,
          { personId, connectionId: workId, seenBy: undefined },
          second.slice(i, i + 1000),
        ),
      )
    }
    const secondRate = second.length / ((performance.now() - secondStarted) / 1000)
    await db.query('VACUUM ANALYZE contacts, contact_search, contact_keys, card_members')
    const { rows: cardBytes } = await db.query(
      `SELECT (pg_total_relation_size('contact_keys') + pg_total_relation_size('card_members')
               + pg_total_relation_size('card_totals'))::float / (SELECT count(*) FROM contacts) AS bytes,
              (SELECT count(*) FROM card_members WHERE contact_id <> card_id)::int AS merged,
              (pg_total_relation_size('contacts') + pg_total_relation_size('contact_search')
               + pg_total_relation_size('contact_keys') + pg_total_relation_size('card_members')
               + pg_total_relation_size('card_totals'))::float / (SELECT count(*) FROM contacts)
                AS book`,
    )
    const merged = (await (
      await fetch(`${appUrl}/contacts`, { headers: { cookie, accept: 'application/json' } })
    ).json()) as { next?: string; count: number; contactCount: number }
    let mergedLater = merged.next
    for (let i = 0; i < 10 && mergedLater; i++) {
      const page = (await (
        await fetch(`${appUrl}/contacts?after=${encodeURIComponent(mergedLater)}`, {
          headers: { cookie, accept: 'application/json' },
        })
      ).json()) as { next?: string }
      mergedLater = page.next ?? mergedLater
      if (!page.next) break
    }
    const first2 = await beside(appUrl, '/contacts', cookie)
    const later2 = await beside(
      appUrl,
      `/contacts?after=${encodeURIComponent(mergedLater ?? '')}`,
      cookie,
    )
    const search2 = await beside(appUrl, `/contacts?q=${encodeURIComponent('mar')}`, cookie)

    const ratio = (a: number, b: number) => (a / b).toFixed(2)
    const report = [
      `import benchmark: ${CONTACTS} contacts, pages of 1,000, worker process, PostgreSQL ${(await db.query('SHOW server_version')).rows[0].server_version}`,
      `with ${LATENCY_MS} ms per page: import ${withLatency.seconds.toFixed(2)} s, fetch+parse alone ${fetched.seconds.toFixed(2)} s (before ${fetchedBefore.seconds.toFixed(2)}, after ${fetchedAfter.seconds.toFixed(2)}) → floor/import ${ratio(fetched.seconds, withLatency.seconds)} (aim ≥ 0.9)`,
      `  then the table's upkeep: ${upkeep === undefined ? 'none' : `${upkeep.toFixed(2)} s`}; with it, floor/(import + upkeep) ${ratio(fetched.seconds, withLatency.seconds + (upkeep ?? 0))}`,
      `with no latency: import ${Math.round(writeRate)} contacts/s, plain INSERTs without indexes ${Math.round(floorRate)} rows/s → ${ratio(writeRate, floorRate)} (aim ≥ 0.5)`,
      `  CPU a page of 1,000: worker ${perPage('worker')} ms, PostgreSQL ${perPage('postgres')} ms, demo servers ${perPage('bench')} ms; wall ${Math.round((noLatency.seconds * 1000) / (CONTACTS / 1000))} ms on ${availableParallelism()} cores`,
      `worker peak RSS: ${rssMb.toFixed(0)} MB (aim ≤ 200 MB)`,
      `PostgreSQL: ${Math.round(size[0].bytes)} bytes per contact, table + TOAST + indexes (aim ≤ 2048)`,
      `incremental run, nothing changed: ${incremental.seconds.toFixed(2)} s (aim ≤ 1 s)`,
      shown('/contacts first page:', first),
      shown('/contacts later page: ', laterPage),
      shown('/contacts?q=mar:      ', search),
      `second source, ${second.length} contacts (30 % the same people), through the store: ${Math.round(secondRate)} contacts/s → ${ratio(secondRate, floorRate)} of plain INSERTs (aim ≥ 0.5)`,
      `cards: ${merged.count} of ${merged.contactCount} contacts (${cardBytes[0].merged} merged behind a lead); keys and cards ${Math.round(cardBytes[0].bytes)} bytes per contact; all of the book ${Math.round(cardBytes[0].book)} bytes per contact`,
      shown('/contacts cards, first page:', first2),
      shown('/contacts cards, later page:', later2),
      shown('/contacts cards, ?q=mar:    ', search2),
    ]
    process.stdout.write(`${report.join('\n')}\n`)
    const runs = [withLatency, incremental, noLatency]
    const errors = [first, laterPage, search, first2, later2, search2]
      .map((b) => b.start.errors + b.route.errors)
      .reduce((a, b) => a + b, 0)
    failed =
      runs.some((r) => r.state !== 'completed') ||
      withLatency.counts.created !== CONTACTS ||
      fetched.contacts !== CONTACTS ||
      size[0].contacts !== CONTACTS ||
      errors > 0
    if (failed) {
      process.stdout.write(`FAILED: ${JSON.stringify({ runs, fetched, errors })}\n`)
    }
  } finally {
    await runtime?.close()
    if (worker && worker.exitCode === null) {
      const gone = new Promise((resolve) => worker?.once('exit', resolve))
      worker.kill('SIGTERM')
      await gone
    }
    await stopAppProcess(app)
    await db.end()
    await demo.close()
    if (values.keep && !embedded) process.stdout.write(`database kept: ${database.url}\n`)
    else await database.drop()
    await embedded?.stop()
    await redis.stop()
  }
  process.exit(failed ? 1 : 0)
}

await main()
