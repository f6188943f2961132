// Starts test/integration/support/worker-process.ts as a process of its own, and waits for
// its worker to be ready, so a test can SIGKILL or SIGTERM a real worker process.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Env } from '../../../src/config.ts'
import type { WorkerOptions } from '../../../src/worker-main.ts'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface WorkerChild {
  process: ChildProcess
  /** Its log, one JSON line each. */
  lines: string[]
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>
  has(message: string): boolean
}

export async function startWorkerChild(env: Env, options: WorkerOptions): Promise<WorkerChild> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      './src/require-node.js',
      'test/integration/support/worker-process.ts',
      JSON.stringify(options),
    ],
    { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const lines: string[] = []
  let buffer = ''
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString()
    const parts = buffer.split('\n')
    buffer = parts.pop() ?? ''
    lines.push(...parts.filter(Boolean))
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  const exited = new Promise<number | string>((resolve) =>
    // 'close', not 'exit': by then everything the process wrote has been read.
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  )
  const has = (message: string) => lines.some((line) => line.includes(`"msg":"${message}"`))
  const deadline = Date.now() + 20_000
  while (!has('import worker started')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`the worker process did not start:\n${lines.join('\n')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { process: child, lines, exited, has }
}
