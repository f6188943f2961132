// One transaction on one pooled connection: BEGIN, the work, COMMIT — or ROLLBACK when the
// work throws — and the connection always goes back to the pool (or, broken, is dropped).
import type { PoolClient } from 'pg'
import type { Database } from './database.ts'

export async function inTransaction<T>(
  db: Pick<Database, 'pool'>,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await db.pool.connect()
  let broken = false
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true
    })
    throw err
  } finally {
    client.release(broken)
  }
}
