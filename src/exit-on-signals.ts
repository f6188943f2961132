// How every entry point (the web app, the worker) ends: SIGINT/SIGTERM close it in order,
// with a deadline; an exception nobody caught ends the process, for the supervisor to start
// a fresh one.
import type { Logger } from './log.ts'

export function exitOnSignals(close: () => Promise<void>, log: Logger) {
  let closing = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (closing) return
      closing = true
      log.info({ signal }, 'shutting down')
      const force = setTimeout(() => process.exit(1), 10_000)
      force.unref()
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      )
    })
  }
  // An unexpected exception leaves the process in an unknown state: log it and let the
  // supervisor start a fresh one.
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception')
    process.exit(1)
  })
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection')
    process.exit(1)
  })
}
