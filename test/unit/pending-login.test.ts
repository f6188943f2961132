// The state a sign-in is sent with proves by itself that this app issued it and when, and
// the pending sign-in sealed for its cookie opens only unchanged, under its own name, with a
// configured secret. Both are what the callback relies on before it touches Redis.
import { describe, expect, it } from 'vitest'
import { createPendingLogins, type PendingLogin } from '../../src/auth/pending-login.ts'

const SECRET_A = 'a'.repeat(32)
const SECRET_B = 'b'.repeat(32)
const TTL_SECONDS = 600
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0)

const logins = (secrets = [SECRET_A]) => createPendingLogins({ secrets, ttlSeconds: TTL_SECONDS })

function loginFor(state: string): PendingLogin {
  return {
    state,
    provider: 'demo',
    issuer: 'http://localhost:4000/',
    nonce: 'n'.repeat(43),
    codeVerifier: 'v'.repeat(43),
    returnTo: '/resource',
    createdAt: NOW,
  }
}

/** The state with one bit of byte `index` flipped, re-encoded. */
function flipped(state: string, index: number): string {
  const bytes = Buffer.from(state, 'base64url')
  bytes[index] = (bytes[index] ?? 0) ^ 1
  return bytes.toString('base64url')
}

describe('states', () => {
  it('when a state is minted, then it looks like openid-client’s (43 base64url characters) and is new each time', () => {
    const pending = logins()
    const states = new Set(Array.from({ length: 50 }, () => pending.newState(NOW)))
    expect(states.size).toBe(50)
    for (const state of states) expect(state).toMatch(/^[\w-]{43}$/)
  })

  it('when a state comes back within its lifetime, then it is ours; after it, expired', () => {
    const pending = logins()
    const state = pending.newState(NOW)
    expect(pending.checkState(state, NOW)).toBe('issued')
    expect(pending.checkState(state, NOW + TTL_SECONDS * 1000 - 1)).toBe('issued')
    expect(pending.checkState(state, NOW + TTL_SECONDS * 1000)).toBe('expired')
    expect(pending.expiresAt(state)).toBe(NOW + TTL_SECONDS * 1000)
  })

  it.each([
    ['a random value', 'x'.repeat(43)],
    ['an empty value', ''],
    ['a value one byte short', 'A'.repeat(42)],
    ['a value that is not base64url', `${'A'.repeat(42)}!`],
  ])('when the callback brings %s, then it is forged', (_shape, state) => {
    expect(logins().checkState(state, NOW)).toBe('forged')
  })

  it('when any byte of a state is changed (its random part, its time or its tag), then it is forged', () => {
    const pending = logins()
    const state = pending.newState(NOW)
    for (const index of [0, 15, 16, 19, 20, 31]) {
      expect(pending.checkState(flipped(state, index), NOW)).toBe('forged')
    }
  })

  it('when a state is spelled differently but decodes to the same bytes, then it is forged (one spelling per state)', () => {
    const pending = logins()
    const state = pending.newState(NOW)
    // The last character carries 2 unused bits: changing them keeps the bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = alphabet.indexOf(state.at(-1) ?? 'A')
    const variant = `${state.slice(0, -1)}${alphabet[last ^ 1]}`
    expect(Buffer.from(variant, 'base64url').equals(Buffer.from(state, 'base64url'))).toBe(true)
    expect(pending.checkState(variant, NOW)).toBe('forged')
  })

  it('when SESSION_SECRET rotates, then states of the old secret still count while it is listed, and not after', () => {
    const old = logins([SECRET_A]).newState(NOW)
    expect(logins([SECRET_B, SECRET_A]).checkState(old, NOW)).toBe('issued')
    expect(logins([SECRET_B]).checkState(old, NOW)).toBe('forged')
  })
})

describe('sealed pending sign-ins', () => {
  it('when a pending sign-in is sealed, then it opens to the same values under the same name, and shows none of them', () => {
    const pending = logins()
    const login = loginFor(pending.newState(NOW))
    const sealed = pending.seal(login, 'ci.login.abc')
    expect(pending.open(sealed, 'ci.login.abc')).toEqual(login)
    for (const value of [login.state, login.nonce, login.codeVerifier, login.returnTo]) {
      expect(sealed).not.toContain(value)
    }
  })

  it('when a sealed sign-in is moved to another cookie name, changed, or opened without its secret, then it does not open', () => {
    const pending = logins()
    const sealed = pending.seal(loginFor(pending.newState(NOW)), 'ci.login.abc')
    expect(pending.open(sealed, 'ci.login.xyz')).toBeUndefined()
    const parts = sealed.split('.')
    const body = Buffer.from(String(parts[3]), 'base64url')
    body[0] = (body[0] ?? 0) ^ 1
    parts[3] = body.toString('base64url')
    expect(pending.open(parts.join('.'), 'ci.login.abc')).toBeUndefined()
    expect(pending.open('garbage', 'ci.login.abc')).toBeUndefined()
    expect(logins([SECRET_B]).open(sealed, 'ci.login.abc')).toBeUndefined()
    expect(logins([SECRET_B, SECRET_A]).open(sealed, 'ci.login.abc')).toBeDefined()
  })

  it('when a connect flow is sealed, then it opens with its intent and person; a sign-in opens without any', () => {
    const pending = logins()
    const personId = '33333333-3333-4333-8333-333333333333'
    const connect = { ...loginFor(pending.newState(NOW)), connect: { personId } }
    expect(pending.open(pending.seal(connect, 'ci.login.abc'), 'ci.login.abc')).toEqual(connect)
    const signIn = pending.open(
      pending.seal(loginFor(pending.newState(NOW)), 'ci.login.abc'),
      'ci.login.abc',
    )
    expect(signIn).toBeDefined()
    expect(signIn?.connect).toBeUndefined()
  })

  it('when returnTo has its longest allowed value, then the sealed sign-in stays under 1,100 characters', () => {
    const pending = logins()
    const login = { ...loginFor(pending.newState(NOW)), returnTo: `/${'a'.repeat(511)}` }
    expect(pending.seal(login, 'ci.login.abc').length).toBeLessThan(1100)
  })
})
