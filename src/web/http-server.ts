// The HTTP server the app runs in, with bounds on slow and greedy clients. Node's defaults
// let a request's body trickle in for 300 s and accept connections without limit, so a few
// hundred slow sockets could hold the process. The same limits belong at the proxy in
// front (README, Configuration); these hold when a client reaches the app directly.
import { createServer, type RequestListener, type Server } from 'node:http'
import type { Config } from '../config.ts'
import type { Logger } from '../log.ts'
import { answerClientError } from './client-error.ts'

/** How often Node looks for requests past their deadline (its default is every 30 s). */
const DEADLINE_CHECK_MS = 1000

export function createHttpServer(
  app: RequestListener,
  limits: Config['server'],
  log: Logger,
): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs, // slowloris: headers one byte at a time
      requestTimeout: limits.requestTimeoutMs, // a body one byte at a time
      keepAliveTimeout: limits.keepAliveTimeoutMs, // idle connections between requests
      // Deadlines are checked on a timer: without this, a 10 s deadline could pass 30 s late.
      connectionsCheckingInterval: DEADLINE_CHECK_MS,
    },
    app,
  )
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket // no connection kept forever
  server.maxConnections = limits.maxConnections // more are closed at accept
  server.on('clientError', answerClientError(log))
  return server
}
