// The refresh coordination itself, on a real Redis, with a scripted provider client in
// place of the network so every interleaving is exact: two "processes" are two
// createAccessTokens() instances sharing one Redis, as two app instances would.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { AppError, ErrorCode } from '../../src/errors.ts'
import { createLogger } from '../../src/log.ts'
import type { IssuedTokens, ProviderClient } from '../../src/oidc/provider-client.ts'
import { createRedis, type Redis } from '../../src/redis.ts'
import { createRedisKeys } from '../../src/redis-keys.ts'
import { createAccessTokens } from '../../src/tokens/access-tokens.ts'
import { createCipher } from '../../src/tokens/cipher.ts'
import { createRefreshLock } from '../../src/tokens/refresh-lock.ts'
import { createTokenStore, type TokenStore } from '../../src/tokens/token-store.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const now = () => Math.floor(Date.now() / 1000)
const log = createLogger({ level: 'silent' })
const prefix = `at${randomBytes(4).toString('hex')}:`
const keys = createRedisKeys(prefix)
let redis: Redis
let store: TokenStore

beforeAll(async () => {
  redis = createRedis(inject('redisUrl'))
  await redis.connect()
  store = createTokenStore({
    redis,
    keys,
    log,
    cipher: createCipher([randomBytes(32)]),
    idleSeconds: 3600,
  })
})
afterAll(async () => {
  const written = await redis.keys(`${prefix}*`)
  if (written.length) await redis.del(...written)
  await redis.quit()
})

/** A provider whose refresh answers what the test says, counting every call. */
function scriptedProvider(
  answer: (call: number) => Promise<Partial<IssuedTokens>> | Partial<IssuedTokens>,
) {
  let calls = 0
  const provider = {
    settings: { id: 'demo' },
    async refresh() {
      calls++
      const issued = await answer(calls)
      return {
        accessToken: `at-${calls}-${randomBytes(4).toString('hex')}`,
        refreshToken: `rt-${calls}`,
        idToken: undefined,
        expiresAt: now() + 300,
        scope: undefined,
        claims: undefined,
        refreshExpiresAt: undefined,
        ...issued,
      } satisfies IssuedTokens
    },
  } as unknown as ProviderClient
  return { provider, calls: () => calls }
}

function instance(
  provider: ProviderClient,
  options: { skewSeconds?: number; leaseMs?: number } = {},
) {
  const leaseMs = options.leaseMs ?? 2000
  return createAccessTokens({
    store,
    locks: createRefreshLock({ redis, keys, log, leaseMs }),
    providers: new Map([['demo', provider]]),
    log,
    skewSeconds: options.skewSeconds ?? 0,
    waitTimeoutMs: leaseMs + 3000,
  })
}

async function grantExpiringIn(seconds: number, lifetime = 300) {
  const grantId = randomBytes(8).toString('hex')
  const createdAt = now() + seconds - lifetime
  await store.create(grantId, {
    provider: 'demo',
    subject: 'alice',
    accessToken: 'at-0',
    refreshToken: 'rt-0',
    idToken: undefined,
    expiresAt: now() + seconds,
    scope: ['contacts.read'],
    createdAt,
    refreshedAt: undefined,
  })
  return { grantId, provider: 'demo', subject: 'alice' }
}

describe('sharing one refresh', () => {
  it('when a caller refused the token that a waiting refresh is about to return, then it is not handed that refused token', async () => {
    const { provider, calls } = scriptedProvider(async (call) => {
      if (call === 1) await sleep(300)
      return {}
    })
    const processA = instance(provider)
    const processB = instance(provider)
    const grant = await grantExpiringIn(-1)
    const refreshInB = processB.get(grant)
    await sleep(50)
    // A's request waits on B's lease…
    const waitingInA = processA.get(grant)
    const t2 = await refreshInB
    // …and before A sees B's result, another request in A was refused exactly that token.
    const refusedInA = await processA.get(grant, { rejected: t2.accessToken })
    expect(refusedInA.accessToken).not.toBe(t2.accessToken)
    expect((await waitingInA).accessToken).toBeDefined()
    expect(calls()).toBe(2)
  })

  it('when callers with different refused tokens arrive together, then each gets a token it did not refuse', async () => {
    const { provider } = scriptedProvider(async () => {
      await sleep(100)
      return {}
    })
    const tokens = instance(provider)
    const grant = await grantExpiringIn(300)
    const current = (await store.load(grant))?.accessToken
    const [a, b] = await Promise.all([tokens.get(grant), tokens.get(grant, { rejected: current })])
    expect(a.accessToken).toBe(current) // still valid for this caller
    expect(b.accessToken).not.toBe(current)
  })

  it('when the skew is longer than the tokens live, then a fresh token is still used instead of refreshing on every call', async () => {
    const { provider, calls } = scriptedProvider(() => ({ expiresAt: now() + 60 }))
    const tokens = instance(provider, { skewSeconds: 600 })
    const grant = await grantExpiringIn(-1, 60)
    for (let i = 0; i < 5; i++) await tokens.get(grant)
    expect(calls()).toBe(1)
  })

  it('when another process refreshed to a token that is already short-lived, then waiters take it rather than refreshing again', async () => {
    const { provider, calls } = scriptedProvider(async () => {
      await sleep(200)
      return { expiresAt: now() + 2 } // usable by no skew, but newer than what they saw
    })
    const processA = instance(provider, { skewSeconds: 60 })
    const processB = instance(provider, { skewSeconds: 60 })
    const grant = await grantExpiringIn(-1)
    const results = await Promise.all([
      processA.get(grant),
      processB.get(grant),
      processB.get(grant),
    ])
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(1)
    expect(calls()).toBe(1)
  })
})

describe('when the holder fails', () => {
  it('when the holder in another process fails for a transient reason, then its waiters fail fast with a retry message and the tokens stay', async () => {
    const { provider, calls } = scriptedProvider(async () => {
      await sleep(300)
      throw new AppError(ErrorCode.PROVIDER_UNAVAILABLE, 'down', { status: 502, retryable: true })
    })
    const processA = instance(provider, { leaseMs: 5000 })
    const processB = instance(provider, { leaseMs: 5000 })
    const grant = await grantExpiringIn(-1)
    const holder = processA.get(grant)
    await sleep(50)
    const started = Date.now()
    const waiter = processB.get(grant).catch((err: unknown) => err)
    await expect(holder).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' })
    expect(await waiter).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true })
    expect(Date.now() - started).toBeLessThan(2000) // not the 8 s wait budget
    expect(calls()).toBe(1)
    expect((await store.load(grant))?.refreshToken).toBe('rt-0')
  })

  it('when storing the refreshed tokens hits a Redis hiccup, then the write is retried and the new refresh token is not lost', async () => {
    const { provider } = scriptedProvider(() => ({}))
    let failures = 1
    const flaky: TokenStore = {
      ...store,
      async update(ref, version, tokens) {
        if (failures-- > 0) throw new Error('Connection is closed.')
        return store.update(ref, version, tokens)
      },
    }
    const tokens = createAccessTokens({
      store: flaky,
      locks: createRefreshLock({ redis, keys, log, leaseMs: 2000 }),
      providers: new Map([['demo', provider]]),
      log,
      skewSeconds: 0,
      waitTimeoutMs: 5000,
    })
    const grant = await grantExpiringIn(-1)
    const refreshed = await tokens.get(grant)
    expect(refreshed.refreshToken).toBe('rt-1')
    expect((await store.load(grant))?.refreshToken).toBe('rt-1')
  })
})
