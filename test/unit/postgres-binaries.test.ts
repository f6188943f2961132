// As root, the embedded PostgreSQL runs as the `postgres` user, which can only use binaries
// and data it can reach: every directory on the way must let others through.
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { reachableByEveryone } from '../../demo/postgres-binaries.ts'

const made: string[] = []
afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true })
})

describe('reachableByEveryone', () => {
  it('when a folder on the way is private (mode 700, as mktemp and /root are), then what lies inside is out of reach', async () => {
    const root = await mkdtemp(join(tmpdir(), 'reach-'))
    made.push(root)
    await chmod(root, 0o700)
    await mkdir(join(root, 'checkout', 'node_modules'), { recursive: true, mode: 0o755 })
    expect(reachableByEveryone(join(root, 'checkout', 'node_modules'))).toBe(false)
  })

  it('when every folder on the way lets others through, then it is reachable, also for a path not made yet', async () => {
    const root = await mkdtemp(join(tmpdir(), 'reach-'))
    made.push(root)
    await chmod(root, 0o755)
    await mkdir(join(root, 'checkout'), { mode: 0o755 })
    expect(reachableByEveryone(join(root, 'checkout'))).toBe(true)
    expect(reachableByEveryone(join(root, 'checkout', '.data', 'postgres'))).toBe(true)
  })
})
