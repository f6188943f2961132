// One process of the refresh race (bench/refresh-race.ts), built as the import worker is:
// createRuntime, then the vault's `services.connections.accessToken` for one connection —
// the only path that refreshes tokens now that no page reads the provider. Configured by the
// environment (the bench's, plus PERSON_ID and CONNECTION_ID). It prints "ready", then
// answers each `burst <n>` line on stdin with one JSON line: the latency of each of n
// concurrent calls, how many failed, and how many refreshes this process sent (its own
// 'tokens refreshed' log lines). `quit` closes it.
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/log.ts'
import { createRuntime } from '../src/runtime.ts'

// Info level, into memory: the vault says 'tokens refreshed' at info when it refreshed.
let refreshed = 0
const log = createLogger({
  level: 'info',
  destination: new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line.includes('"msg":"tokens refreshed"')) refreshed++
        else if (line.includes('"level":50')) process.stderr.write(`${line}\n`)
      }
      done()
    },
  }),
})
const runtime = await createRuntime(loadConfig(process.env), log)
const connection = await runtime.services.people.connection(
  String(process.env.PERSON_ID),
  String(process.env.CONNECTION_ID),
)
if (!connection) throw new Error('no such connection')

async function burst(n: number) {
  const before = refreshed
  const calls = Array.from({ length: n }, async () => {
    const started = performance.now()
    try {
      await runtime.services.connections.accessToken(connection as NonNullable<typeof connection>)
      return { ms: performance.now() - started, ok: true }
    } catch (err) {
      process.stderr.write(`access token failed: ${(err as Error).message}\n`)
      return { ms: performance.now() - started, ok: false }
    }
  })
  const results = await Promise.all(calls)
  return {
    latencies: results.map((r) => r.ms),
    failed: results.filter((r) => !r.ok).length,
    refreshed: refreshed - before,
  }
}

process.stdout.write('ready\n')
for await (const line of createInterface({ input: process.stdin })) {
  const [command, count] = line.trim().split(' ')
  if (command === 'burst') process.stdout.write(`${JSON.stringify(await burst(Number(count)))}\n`)
  if (command === 'quit') break
}
await runtime.close()
