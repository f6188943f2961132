// Liveness and readiness for the orchestrator: /healthz says the process runs, /readyz
// says it can serve (Redis and PostgreSQL both answer). Neither touches a session.
import express, { type Router } from 'express'
import type { Database } from '../../db/database.ts'
import type { Redis } from '../../redis.ts'
import { noStore } from '../no-store.ts'

export function createHealthRoutes(deps: { redis: Redis; db: Database }): Router {
  const router = express.Router()
  router.use(['/healthz', '/readyz'], noStore)
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })
  router.get('/readyz', async (_req, res) => {
    // Both at once: the probe takes as long as the slower one (each is bounded at 2 s).
    const [redis, database] = await Promise.all([
      deps.redis.ping().then(
        (pong) => pong === 'PONG',
        () => false,
      ),
      deps.db.ping().then(
        () => true,
        () => false,
      ),
    ])
    const ready = redis && database
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unavailable',
      redis: redis ? 'ok' : 'down',
      database: database ? 'ok' : 'down',
    })
  })
  return router
}
