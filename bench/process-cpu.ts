// The CPU a process has used, read from /proc (Linux): for the benchmarks that say where a
// stretch of work spent its time across the processes of one machine.
import { readdir, readFile } from 'node:fs/promises'

/** Linux reports utime and stime in USER_HZ ticks, 100 a second on every architecture. */
const TICKS_PER_SECOND = 100

/** CPU seconds (user + system) process `pid` has used; 0 when it is not on this machine. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  // The command name in parentheses may hold spaces: fields count from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / TICKS_PER_SECOND
}

/** CPU seconds of every PostgreSQL process on this machine (backends, autovacuum, WAL). */
export async function postgresCpuSeconds(): Promise<number> {
  let total = 0
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '')
    if (comm.trim() === 'postgres') total += await cpuSeconds(Number(entry))
  }
  return total
}
