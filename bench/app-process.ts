// Starts `src/main.ts` of a checkout as its own process, as `npm start` would, and waits until
// it answers /healthz (the benchmarks log at warn, so there is no line to wait for).
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function startAppProcess(
  dir: string,
  env: Record<string, string>,
  port: number,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(dir, 'src', 'main.ts')], {
    cwd: dir,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`app on port ${port} exited (${code})`))),
  )
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
    const up = await Promise.race([
      fetch(`http://localhost:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      ),
      exited,
    ])
    if (up) return child
    await sleep(100)
  }
  child.kill('SIGKILL')
  throw new Error(`app on port ${port} did not start within 15 s`)
}

export async function stopAppProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const gone = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await gone
}
