// Starts a private, throw-away redis-server for the demo and the test suite.
// Nothing is persisted (no RDB, no AOF) and it listens on loopback only.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RedisServer {
  url: string
  stop(): Promise<void>
}

export class RedisServerUnavailableError extends Error {
  override name = 'RedisServerUnavailableError'
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; we release it right away). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** True when something answers PING at `url` within `timeoutMs`. */
export function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = new Socket()
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('error', () => done(false))
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
    socket.connect(Number(port || 6379), hostname.replace(/^\[|\]$/g, ''), () => {
      socket.write('PING\r\n')
    })
  })
}

export async function startRedisServer(
  options: { port?: number; bin?: string } = {},
): Promise<RedisServer> {
  const bin = options.bin ?? 'redis-server'
  const port = options.port ?? (await freePort())
  const dir = await mkdtemp(join(tmpdir(), 'contacts-importer-redis-'))
  const child = spawn(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })

  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new RedisServerUnavailableError(
          err.code === 'ENOENT'
            ? `${bin} is not installed (install it with "apt-get install redis-server" or "brew install redis", or set REDIS_URL)`
            : `could not start ${bin}: ${err.message}`,
        ),
      )
    })
    child.once('exit', (code) => {
      reject(new RedisServerUnavailableError(`${bin} exited with code ${code}: ${stderr.trim()}`))
    })
  })
  exited.catch(() => {})

  const url = `redis://127.0.0.1:${port}`
  const deadline = Date.now() + 10_000
  while (!(await redisAnswers(url, 250))) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new RedisServerUnavailableError(`${bin} did not answer on port ${port} within 10 s`)
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 50))])
  }

  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await gone
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}
