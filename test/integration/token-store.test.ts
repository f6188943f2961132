// The token record on a real Redis: encrypted, versioned, bound to its key, rotatable.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createLogger } from '../../src/log.ts'
import { createRedis, type Redis } from '../../src/redis.ts'
import { createRedisKeys } from '../../src/redis-keys.ts'
import { createCipher } from '../../src/tokens/cipher.ts'
import { createTokenStore, type TokenSet } from '../../src/tokens/token-store.ts'

const prefix = `ts${randomBytes(4).toString('hex')}:`
const keys = createRedisKeys(prefix)
const log = createLogger({ level: 'silent' })
const newKey = () => randomBytes(32)
let redis: Redis

beforeAll(async () => {
  redis = createRedis(inject('redisUrl'))
  await redis.connect()
})
afterAll(async () => {
  const written = await redis.keys(`${prefix}*`)
  if (written.length) await redis.del(...written)
  await redis.quit()
})

const storeWith = (...encryptionKeys: Buffer[]) =>
  createTokenStore({ redis, keys, log, cipher: createCipher(encryptionKeys), idleSeconds: 3600 })

const tokens = (overrides: Partial<TokenSet> = {}): TokenSet => ({
  provider: 'demo',
  subject: 'alice',
  accessToken: `at-${randomBytes(16).toString('hex')}`,
  refreshToken: `rt-${randomBytes(16).toString('hex')}`,
  idToken: `id-${randomBytes(16).toString('hex')}`,
  expiresAt: Math.floor(Date.now() / 1000) + 300,
  scope: ['openid', 'contacts.read'],
  createdAt: Math.floor(Date.now() / 1000),
  refreshedAt: undefined,
  ...overrides,
})

const grant = () => randomBytes(12).toString('base64url')
/** The record as a connection asks for it: its grant, provider and subject. */
const ref = (grantId: string, subject = 'alice', provider = 'demo') => ({
  grantId,
  provider,
  subject,
})

describe('token records at rest', () => {
  it('when tokens are stored, then the raw Redis value contains none of them and reads back intact', async () => {
    const store = storeWith(newKey())
    const id = grant()
    const set = tokens()
    await store.create(id, set)
    const raw = JSON.stringify(await redis.hgetall(keys.tokens(id)))
    for (const secret of [set.accessToken, set.refreshToken, set.idToken]) {
      expect(raw).not.toContain(String(secret))
    }
    expect(raw).not.toContain('alice')
    expect(await store.load(ref(id))).toEqual({ ...set, version: 1 })
    const ttl = await redis.pttl(keys.tokens(id))
    expect(ttl).toBeGreaterThan(3_500_000)
    expect(ttl).toBeLessThanOrEqual(3_600_000)
  })

  it('when a stored ciphertext is tampered with, then reading fails closed (no record)', async () => {
    const store = storeWith(newKey())
    const id = grant()
    await store.create(id, tokens())
    const sealed = String(await redis.hget(keys.tokens(id), 'd'))
    const parts = sealed.split('.')
    const body = Buffer.from(String(parts[3]), 'base64url')
    body[0] = (body[0] ?? 0) ^ 1
    parts[3] = body.toString('base64url')
    await redis.hset(keys.tokens(id), 'd', parts.join('.'))
    expect(await store.load(ref(id))).toBeUndefined()
  })

  it("when a record is copied under another grant's key, then it does not decrypt there", async () => {
    const store = storeWith(newKey())
    const victim = grant()
    const attacker = grant()
    await store.create(victim, tokens())
    await store.create(attacker, tokens({ subject: 'mallory' }))
    await redis.hset(keys.tokens(attacker), 'd', String(await redis.hget(keys.tokens(victim), 'd')))
    expect(await store.load(ref(attacker, 'mallory'))).toBeUndefined()
    expect((await store.load(ref(victim)))?.subject).toBe('alice')
  })

  it('when the key is rotated (new key first, old second), then old records still read and are re-encrypted with the new key on their next write', async () => {
    const oldKey = newKey()
    const freshKey = newKey()
    const id = grant()
    await storeWith(oldKey).create(id, tokens())

    const rotated = storeWith(freshKey, oldKey)
    const loaded = await rotated.load(ref(id))
    expect(loaded?.subject).toBe('alice')
    const updated = await rotated.update(ref(id), Number(loaded?.version), {
      ...tokens(),
      refreshedAt: 1,
    })
    expect(updated?.version).toBe(2)

    // Written with the new key now: the old key alone cannot read it, the new key alone can.
    expect(await storeWith(oldKey).load(ref(id))).toBeUndefined()
    expect((await storeWith(freshKey).load(ref(id)))?.refreshedAt).toBe(1)
  })

  it('when a key is removed from the list, then records sealed with it are unreadable (fail closed)', async () => {
    const id = grant()
    await storeWith(newKey()).create(id, tokens())
    expect(await storeWith(newKey()).load(ref(id))).toBeUndefined()
  })
})

describe('records belong to one connection', () => {
  it('when a record is presented for another account (another subject or provider), then it is refused and left alone', async () => {
    const store = storeWith(newKey())
    const id = grant()
    await store.create(id, tokens())
    expect(await store.load(ref(id, 'mallory'))).toBeUndefined()
    expect(await store.load(ref(id, 'alice', 'google'))).toBeUndefined()
    expect(await store.update(ref(id, 'mallory'), 1, tokens({ subject: 'mallory' }))).toBeDefined()
    // A write under the wrong owner seals for that owner: the real owner cannot open it.
    expect(await store.load(ref(id))).toBeUndefined()
  })

  it('when the stored version is changed beside the ciphertext, then the record fails to open', async () => {
    const store = storeWith(newKey())
    const id = grant()
    await store.create(id, tokens())
    await redis.hset(keys.tokens(id), 'v', '7')
    expect(await store.load(ref(id))).toBeUndefined()
  })
})

describe('compare-and-set updates', () => {
  it('when two writers update from the same version, then only the first wins and the record keeps its tokens', async () => {
    const store = storeWith(newKey())
    const id = grant()
    await store.create(id, tokens())
    const first = tokens({ refreshToken: 'rt-first' })
    const second = tokens({ refreshToken: 'rt-second' })
    const [a, b] = await Promise.all([
      store.update(ref(id), 1, first),
      store.update(ref(id), 1, second),
    ])
    expect([a?.version, b?.version].filter(Boolean)).toEqual([2])
    const winner = a ? 'rt-first' : 'rt-second'
    expect((await store.load(ref(id)))?.refreshToken).toBe(winner)
    // A stale writer (version 1) can no longer put old tokens back.
    expect(await store.update(ref(id), 1, tokens({ refreshToken: 'rt-stale' }))).toBeUndefined()
    expect((await store.load(ref(id)))?.refreshToken).toBe(winner)
  })

  it('when an update targets a deleted record, then nothing is written back', async () => {
    const store = storeWith(newKey())
    const id = grant()
    await store.create(id, tokens())
    await store.remove(id)
    expect(await store.update(ref(id), 1, tokens())).toBeUndefined()
    expect(await redis.exists(keys.tokens(id))).toBe(0)
  })

  it('when tokens come without a refresh token, then the record lives no longer than the access token', async () => {
    const store = storeWith(newKey())
    const id = grant()
    await store.create(
      id,
      tokens({ refreshToken: undefined, expiresAt: Math.floor(Date.now() / 1000) + 30 }),
    )
    const ttl = await redis.pttl(keys.tokens(id))
    expect(ttl).toBeGreaterThan(25_000)
    expect(ttl).toBeLessThanOrEqual(30_000)
  })
})

describe('keeping records alive', () => {
  it('when the provider says when the refresh token ends, then the record ends then too, touched or not', async () => {
    const store = storeWith(newKey())
    const id = grant()
    await store.create(id, tokens({ refreshExpiresAt: Math.floor(Date.now() / 1000) + 60 }))
    expect(await redis.pttl(keys.tokens(id))).toBeLessThanOrEqual(60_000)
    await store.touch(id)
    const ttl = await redis.pttl(keys.tokens(id))
    expect(ttl).toBeGreaterThan(50_000)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })

  it('when a record is created with a short first lifetime, then a touch gives it the idle lifetime', async () => {
    const store = storeWith(newKey())
    const id = grant()
    await store.create(id, tokens(), { ttlSeconds: 600 })
    expect(await redis.pttl(keys.tokens(id))).toBeLessThanOrEqual(600_000)
    await store.touch(id)
    expect(await redis.pttl(keys.tokens(id))).toBeGreaterThan(3_500_000)
  })

  it('when a record with a refresh token is touched, then it lives the idle lifetime again', async () => {
    const store = storeWith(newKey())
    const id = grant()
    await store.create(id, tokens())
    await redis.pexpire(keys.tokens(id), 5000)
    await store.touch(id)
    expect(await redis.pttl(keys.tokens(id))).toBeGreaterThan(3_500_000)
  })

  it('when a record without a refresh token is touched, then it still ends when its access token does', async () => {
    const store = storeWith(newKey())
    const id = grant()
    await store.create(
      id,
      tokens({ refreshToken: undefined, expiresAt: Math.floor(Date.now() / 1000) + 30 }),
    )
    await store.touch(id)
    expect(await redis.pttl(keys.tokens(id))).toBeLessThanOrEqual(30_000)
  })
})
