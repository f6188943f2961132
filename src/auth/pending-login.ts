// Pending sign-ins, kept by the browser rather than the server, so that an anonymous
// visitor costs Redis nothing. /login mints a `state` that proves by itself that this app
// issued it, and when: 16 random bytes, the issue time and an HMAC over both (43 base64url
// characters, like openid-client's randomState()). What the callback needs — provider,
// issuer, nonce, PKCE verifier, returnTo, and for a connect flow the person it is for — is
// sealed with AES-256-GCM (tokens/cipher.ts) under a key derived from SESSION_SECRET with
// HKDF, into a cookie of the flow's own (auth/login-cookies.ts). Each secret of the list yields its own keys: the first seals and
// signs, all open and verify, so rotating SESSION_SECRET does not break sign-ins under way.
// One-time use is enforced at the callback (auth/consumed-states.ts).
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { type Cipher, createCipher } from '../tokens/cipher.ts'

export interface PendingLogin {
  state: string
  /** Configured id of the provider the authorization request went to. */
  provider: string
  /** Its issuer at that time: an answer for another one is a mix-up (RFC 9700 §4.4). */
  issuer: string
  nonce: string
  codeVerifier: string
  returnTo: string
  /** Epoch ms: the newest sign-ins of a browser are the ones it keeps. */
  createdAt: number
  /**
   * Set when a signed-in person connects another source (auth/start-connect.ts): the intent
   * is "connect", for this person only. Absent: a sign-in.
   */
  connect?: { personId: string }
}

/** `issued`: by us, still within its lifetime; `expired`: by us, too late; `forged`: not ours. */
export type StateCheck = 'issued' | 'expired' | 'forged'

export interface PendingLogins {
  /** How long a sign-in may take, from /login to the callback. */
  readonly ttlSeconds: number
  newState(now?: number): string
  /** Tells, without any I/O, whether `state` is one of ours and still usable. */
  checkState(state: string, now?: number): StateCheck
  /** When the sign-in begun with this (issued) state can no longer finish, in epoch ms. */
  expiresAt(state: string): number
  seal(login: PendingLogin, associatedData: string): string
  /** The sealed sign-in, or undefined for anything that does not authenticate. */
  open(sealed: string, associatedData: string): PendingLogin | undefined
}

const RANDOM_BYTES = 16
const TIME_BYTES = 4
const TAG_BYTES = 12 // 96-bit tag: a forged state is found without touching Redis
const STATE_BYTES = RANDOM_BYTES + TIME_BYTES + TAG_BYTES

const derive = (secret: string, purpose: string) =>
  Buffer.from(hkdfSync('sha256', secret, '', `contacts-importer/${purpose}/v1`, 32))

export function createPendingLogins(deps: {
  secrets: readonly string[]
  ttlSeconds: number
}): PendingLogins {
  if (deps.secrets.length === 0) throw new TypeError('createPendingLogins needs a secret')
  const macKeys = deps.secrets.map((secret) => derive(secret, 'state'))
  const cipher: Cipher = createCipher(deps.secrets.map((secret) => derive(secret, 'pending-login')))
  const tag = (key: Buffer, body: Buffer) =>
    createHmac('sha256', key).update(body).digest().subarray(0, TAG_BYTES)

  /** The state's bytes when it is one of ours (any key), else undefined. */
  function authentic(state: string): Buffer | undefined {
    const bytes = Buffer.from(state, 'base64url')
    // Exactly one spelling per state: the one-time marker is keyed by the string.
    if (bytes.length !== STATE_BYTES || bytes.toString('base64url') !== state) return undefined
    const body = bytes.subarray(0, RANDOM_BYTES + TIME_BYTES)
    const given = bytes.subarray(RANDOM_BYTES + TIME_BYTES)
    return macKeys.some((key) => timingSafeEqual(tag(key, body), given)) ? bytes : undefined
  }

  const issuedAtMs = (bytes: Buffer) => bytes.readUInt32BE(RANDOM_BYTES) * 1000
  const [signingKey] = macKeys as [Buffer, ...Buffer[]]

  return {
    ttlSeconds: deps.ttlSeconds,

    newState(now = Date.now()) {
      const body = Buffer.alloc(RANDOM_BYTES + TIME_BYTES)
      randomBytes(RANDOM_BYTES).copy(body)
      body.writeUInt32BE(Math.floor(now / 1000), RANDOM_BYTES)
      return Buffer.concat([body, tag(signingKey, body)]).toString('base64url')
    },

    checkState(state, now = Date.now()) {
      const bytes = authentic(state)
      if (!bytes) return 'forged'
      return now < issuedAtMs(bytes) + deps.ttlSeconds * 1000 ? 'issued' : 'expired'
    },

    expiresAt(state) {
      return issuedAtMs(Buffer.from(state, 'base64url')) + deps.ttlSeconds * 1000
    },

    seal(login, associatedData) {
      const { state, provider, issuer, nonce, codeVerifier, returnTo, createdAt } = login
      // An array, not an object: the names would add a fifth to every cookie. A connect
      // flow has an eighth field, its person; a sign-in's cookie stays as it was.
      const fields: unknown[] = [state, provider, issuer, nonce, codeVerifier, returnTo, createdAt]
      if (login.connect) fields.push(login.connect.personId)
      return cipher.seal(JSON.stringify(fields), associatedData)
    },

    open(sealed, associatedData) {
      let fields: unknown
      try {
        fields = JSON.parse(cipher.open(sealed, associatedData))
      } catch {
        return undefined
      }
      if (!Array.isArray(fields) || (fields.length !== 7 && fields.length !== 8)) return undefined
      const [state, provider, issuer, nonce, codeVerifier, returnTo, createdAt, personId] = fields
      const texts = [state, provider, issuer, nonce, codeVerifier, returnTo]
      if (!texts.every((f) => typeof f === 'string') || typeof createdAt !== 'number') {
        return undefined
      }
      if (fields.length === 8 && (typeof personId !== 'string' || personId === '')) return undefined
      return {
        state,
        provider,
        issuer,
        nonce,
        codeVerifier,
        returnTo,
        createdAt,
        ...(fields.length === 8 ? { connect: { personId } } : {}),
      } as PendingLogin
    },
  }
}
