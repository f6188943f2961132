// Liveness and readiness for the orchestrator: /healthz says the process runs, /readyz
// says it can serve (Redis answers). Neither touches a session.
import express, { type Router } from 'express'
import type { Redis } from '../../redis.ts'
import { noStore } from '../no-store.ts'

export function createHealthRoutes(deps: { redis: Redis }): Router {
  const router = express.Router()
  router.use(['/healthz', '/readyz'], noStore)
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })
  router.get('/readyz', async (_req, res) => {
    const ready = await deps.redis
      .ping()
      .then((pong) => pong === 'PONG')
      .catch(() => false)
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'unavailable', redis: ready ? 'ok' : 'down' })
  })
  return router
}
