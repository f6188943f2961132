// The demo provider's storage: in memory, one bounded store per model.
//
// oidc-provider's development adapter keeps every model in one LRU of 1,000 entries, so
// about 2,000 anonymous /authorize requests (each stores an Interaction) evicted every Grant
// and RefreshToken: everybody signed in lost their connection. Here each model has its own
// store with its own bound, so the records anyone can create without signing in (Interaction,
// Session) only ever push out records of their own kind. Grants and tokens are bounded too,
// far higher, so the demo's memory stays bounded whatever arrives.
//
// Modelled on oidc-provider's lib/adapters/memory_adapter.js: the same TTL semantics
// (expiresIn seconds plus clockTolerance), consume(), and the same lookups (Session by uid,
// DeviceCode by user code, the grantable models by grantId). Records are copied in and out,
// as a database would, so a caller's changes never reach the store behind its back.
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider'

/** Records each model keeps; past it, that model's least recently used record goes. */
export const DEFAULT_MODEL_LIMIT = 10_000

const DEFAULT_LIMITS: Record<string, number> = {
  // Created by anyone who can reach /authorize; someone whose sign-in is pushed out by a
  // flood sees "this sign-in has expired" and starts again, nobody loses a grant.
  Interaction: 1_000,
  Session: 2_000,
}

// The models oidc-provider revokes by grant (lib/helpers/revoke.js calls each of them).
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
])

interface Entry {
  payload: AdapterPayload
  /** Epoch milliseconds; undefined: until evicted. */
  expiresAt: number | undefined
}

/** One model's records, least recently used first (a Map keeps insertion order). */
class ModelStore {
  readonly #limit: number
  readonly #indexGrants: boolean
  readonly #indexUids: boolean
  readonly #records = new Map<string, Entry>()
  readonly #byUid = new Map<string, string>()
  readonly #byUserCode = new Map<string, string>()
  readonly #byGrant = new Map<string, Set<string>>()

  constructor(model: string, limit: number) {
    this.#limit = limit
    this.#indexGrants = GRANTABLE.has(model)
    this.#indexUids = model === 'Session'
  }

  get size(): number {
    return this.#records.size
  }

  /** The stored record itself (callers copy it), refreshed as most recently used. */
  get(id: string): AdapterPayload | undefined {
    const entry = this.#records.get(id)
    if (!entry) return undefined
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.delete(id)
      return undefined
    }
    this.#records.delete(id)
    this.#records.set(id, entry)
    return entry.payload
  }

  set(id: string, payload: AdapterPayload, expiresAt: number | undefined): void {
    this.delete(id)
    this.#records.set(id, { payload, expiresAt })
    if (this.#indexUids && payload.uid) this.#byUid.set(payload.uid, id)
    if (payload.userCode) this.#byUserCode.set(payload.userCode, id)
    if (this.#indexGrants && payload.grantId) {
      const members = this.#byGrant.get(payload.grantId) ?? new Set()
      members.add(id)
      this.#byGrant.set(payload.grantId, members)
    }
    for (const oldest of this.#records.keys()) {
      if (this.#records.size <= this.#limit) break
      this.delete(oldest)
    }
  }

  delete(id: string): void {
    const entry = this.#records.get(id)
    if (!entry) return
    this.#records.delete(id)
    const { uid, userCode, grantId } = entry.payload
    // Only when the index still points here: a newer record may have taken the name over.
    if (uid && this.#byUid.get(uid) === id) this.#byUid.delete(uid)
    if (userCode && this.#byUserCode.get(userCode) === id) this.#byUserCode.delete(userCode)
    const members = grantId ? this.#byGrant.get(grantId) : undefined
    if (grantId && members) {
      members.delete(id)
      if (members.size === 0) this.#byGrant.delete(grantId)
    }
  }

  idByUid(uid: string): string | undefined {
    return this.#byUid.get(uid)
  }

  idByUserCode(userCode: string): string | undefined {
    return this.#byUserCode.get(userCode)
  }

  idsOfGrant(grantId: string): string[] {
    return [...(this.#byGrant.get(grantId) ?? [])]
  }
}

class MemoryAdapter implements Adapter {
  readonly #store: ModelStore
  readonly #clockTolerance: number

  constructor(store: ModelStore, clockTolerance: number) {
    this.#store = store
    this.#clockTolerance = clockTolerance
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt =
      typeof expiresIn === 'number'
        ? Date.now() + (expiresIn + this.#clockTolerance) * 1000
        : undefined
    this.#store.set(id, structuredClone(payload), expiresAt)
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const payload = this.#store.get(id)
    return payload === undefined ? undefined : structuredClone(payload)
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.#store.idByUid(uid)
    return id === undefined ? undefined : this.find(id)
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = this.#store.idByUserCode(userCode)
    return id === undefined ? undefined : this.find(id)
  }

  async consume(id: string): Promise<void> {
    // A record already gone has nothing left to consume; the caller's check fails anyway.
    const payload = this.#store.get(id)
    if (payload) payload.consumed = Math.floor(Date.now() / 1000)
  }

  async destroy(id: string): Promise<void> {
    this.#store.delete(id)
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const id of this.#store.idsOfGrant(grantId)) this.#store.delete(id)
  }
}

export interface MemoryAdapterOptions {
  /** Records per model name (e.g. `{ Interaction: 1000 }`); others keep their default. */
  limits?: Record<string, number>
  /** Seconds added to every expiresIn, as oidc-provider's `clockTolerance`. */
  clockTolerance?: number
}

export type MemoryAdapterFactory = AdapterFactory & {
  /** How many records each model holds now (for tests and for looking at a running demo). */
  sizes(): Record<string, number>
}

export function createMemoryAdapter(options: MemoryAdapterOptions = {}): MemoryAdapterFactory {
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  for (const [model, limit] of Object.entries(limits)) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new TypeError(`limits.${model} must be a positive integer, got ${limit}`)
    }
  }
  const clockTolerance = options.clockTolerance ?? 0
  if (!Number.isFinite(clockTolerance) || clockTolerance < 0) {
    throw new TypeError(`clockTolerance must be a non-negative number, got ${clockTolerance}`)
  }

  const stores = new Map<string, ModelStore>()
  const storeOf = (model: string) => {
    let store = stores.get(model)
    if (!store) {
      store = new ModelStore(model, limits[model] ?? DEFAULT_MODEL_LIMIT)
      stores.set(model, store)
    }
    return store
  }
  const factory = (model: string): Adapter => new MemoryAdapter(storeOf(model), clockTolerance)
  return Object.assign(factory, {
    sizes: () => Object.fromEntries([...stores].map(([model, store]) => [model, store.size])),
  })
}
