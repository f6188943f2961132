// The only reader of the environment. loadConfig() validates every variable at start-up and
// reports all problems in one ConfigError, so an operator fixes them in one pass; main.ts
// exits before listening when it throws. Every secret may also be given as NAME_FILE.
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import { type CountryCode, isSupportedCountry } from 'libphonenumber-js/max'
import { z } from 'zod'
import { presetFor, TENANT_ID } from './config/provider-presets.ts'
import { withoutCredentials } from './log.ts'

export type Env = Readonly<Record<string, string | undefined>>

export interface ProviderConfig {
  /** Lower-case id used in URLs (`/auth/callback/<id>`) and, upper-cased, in variable names. */
  id: string
  label: string
  /** OpenID Provider issuer identifier; discovery derives every endpoint from it. */
  issuer: URL
  clientId: string
  clientSecret: string
  scopes: string[]
  /** `people`: Google People API v1; `graph`: Microsoft Graph v1.0 contacts. */
  contactsApi: 'people' | 'graph'
  /** Base URL of the contacts API. Tokens are only ever sent here (RFC 9700 §4.9.1). */
  contactsUrl: URL
  /** RFC 8707 resource indicator, sent on every authorization and token request. */
  resource: string | undefined
  /** Extra authorization request parameters (Google: access_type=offline). */
  authParams: Array<[string, string]>
  /** Exactly `${APP_URL}/auth/callback/<id>`: what the operator registers at the provider. */
  redirectUri: URL
  /**
   * The scopes the contacts API needs: the configured ones other than the sign-in scopes
   * (SIGN_IN_SCOPES). A sign-in whose token response grants fewer is refused.
   */
  contactsScopes: string[]
  /**
   * PKCE S256 is documented by the provider though its discovery document does not list it
   * (Microsoft Entra): flows start with PKCE all the same instead of being refused.
   */
  pkceDocumented: boolean
}

/**
 * Scopes that identify the person or keep the grant alive, never the contacts permission
 * (README "Decisions": how the contacts scope is known).
 */
export const SIGN_IN_SCOPES: ReadonlySet<string> = new Set([
  'openid',
  'email',
  'profile',
  'offline_access',
])

export interface Config {
  appUrl: URL
  /** Address to listen on: loopback unless all interfaces are asked for (0.0.0.0, ::). */
  host: string
  port: number
  /** How long the HTTP server waits for slow clients, and how many it serves at once. */
  server: {
    /** A request's headers must have arrived this long after its first byte (slowloris). */
    headersTimeoutMs: number
    /** The whole request, body included, must have arrived by then (slow bodies). */
    requestTimeoutMs: number
    /** An idle keep-alive connection is closed after this long. */
    keepAliveTimeoutMs: number
    /** Requests one keep-alive connection may carry before it is closed. */
    maxRequestsPerSocket: number
    /** Connections open at once; more are refused at accept. */
    maxConnections: number
  }
  /** Express `trust proxy`: false, a hop count, or a list of addresses/subnets. */
  trustProxy: boolean | number | string
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** APP_URL is http on a loopback host (demo and tests): plain-http issuers are allowed. */
  localHttp: boolean
  redis: { url: string; keyPrefix: string }
  database: {
    /**
     * PostgreSQL, the record of people and their connections. Optional here because the
     * demo and the tests fill it in; `npm start` (main.ts) refuses to run without it.
     */
    url: string | undefined
    /** Most connections one process holds open. */
    poolSize: number
    /** PostgreSQL cancels a statement that runs longer (`statement_timeout`). */
    statementTimeoutMs: number
  }
  session: {
    secrets: string[]
    cookieName: string
    /** Name prefix of the per-flow cookies that carry pending sign-ins (auth/login-cookies.ts). */
    loginCookiePrefix: string
    secure: boolean
    ttlSeconds: number
    maxAgeSeconds: number
  }
  /** Requests per minute; 0 turns a limit off (web/rate-limit.ts). */
  rateLimits: { loginPerMinute: number; actionsPerMinute: number; exportsPerMinute: number }
  tokens: { encryptionKeys: Buffer[]; refreshSkewSeconds: number; idleSeconds: number }
  contacts: { defaultPhoneRegion: CountryCode | undefined }
  http: { timeoutSeconds: number }
  /** The import worker (imports/): where it runs, how much at once, how often it syncs. */
  worker: {
    /** Run the worker inside the web process (`npm start`); `npm run worker` always does. */
    enabled: boolean
    /** Imports one process runs at once. */
    concurrency: number
    /** Every connection is synced incrementally this often; undefined: only on demand. */
    syncEveryHours: number | undefined
  }
  providers: ProviderConfig[]
}

export class ConfigError extends Error {
  override name = 'ConfigError'
  readonly problems: string[]

  constructor(problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    )
    this.problems = problems
  }
}

/** The process environment, with `.env` (when present) filling in what is not set. */
export function readEnv(env: Env = process.env, dir = process.cwd()): Env {
  let fromFile: Record<string, string> = {}
  try {
    fromFile = parseEnv(readFileSync(join(dir, '.env'), 'utf8')) as Record<string, string>
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOENT')
      throw new ConfigError([`.env: cannot read ${join(dir, '.env')} (${code})`])
  }
  // A variable set but blank in the environment does not hide the value in .env.
  return { ...fromFile, ...withoutBlanks(env) }
}

/** localhost, 127.0.0.0/8 or ::1 (bracketed, as in a URL, or not, as in pg's `?host=`). */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return (
    host === 'localhost' ||
    host === '[::1]' ||
    host === '::1' ||
    (isIP(host) === 4 && host.startsWith('127.'))
  )
}
/** What a provider id looks like (in URLs, variable names, links). */
export const PROVIDER_ID = /^[a-z][a-z0-9_]{0,31}$/
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const text = (hint?: string) => {
  const required = hint ? `is required (${hint})` : 'is required'
  return z
    .string({ error: (issue) => (issue.input === undefined ? required : 'must be text') })
    .trim()
    .min(1, required)
}

const absoluteUrl = () =>
  text().transform((value, ctx) => {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be an absolute URL (got "${value}")` })
      return z.NEVER
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL' })
      return z.NEVER
    }
    if (url.username || url.password || url.hash || url.search) {
      ctx.addIssue({ code: 'custom', message: 'must not carry credentials, a query or a fragment' })
      return z.NEVER
    }
    return url
  })

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .optional()
    .transform((v) => (v === undefined ? fallback : Number(v)))
    .pipe(z.number().int().min(min).max(max))

const list = (value: string) =>
  value
    .split(/[,\s]+/)
    .map((v) => v.trim())
    .filter(Boolean)

/** Secrets are separated by commas only: a space may be part of a secret. */
const secretList = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean)

/** Express `trust proxy` values: its keywords, IP addresses and CIDR subnets. */
const PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal'])
function isProxyAddress(item: string): boolean {
  const [address = '', prefix, extra] = item.split('/')
  if (extra !== undefined) return false
  const family = isIP(address)
  if (prefix === undefined) return PROXY_KEYWORDS.has(item) || family !== 0
  const bits = Number(prefix)
  return /^\d+$/.test(prefix) && family !== 0 && bits <= (family === 4 ? 32 : 128)
}

const trustProxy = z
  .string()
  .trim()
  .optional()
  .transform((value, ctx): boolean | number | string => {
    if (value === undefined || value === 'false' || value === '0') return false
    if (/^\d+$/.test(value)) return Number(value)
    // `true` trusts every X-Forwarded-* header, so any client could spoof its address and
    // scheme (RFC 9700 §4.13): name the hops or the proxy addresses instead.
    if (value === 'true') {
      ctx.addIssue({
        code: 'custom',
        message:
          'must be a hop count (e.g. 1) or proxy addresses, not "true" (that trusts spoofed X-Forwarded-* headers)',
      })
      return z.NEVER
    }
    const items = value.split(',').map((v) => v.trim())
    if (!items.every(isProxyAddress)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'must be a hop count, or addresses / subnets / loopback, linklocal, uniquelocal, separated by commas',
      })
      return z.NEVER
    }
    return items.join(',')
  })

const sessionSecrets = text('generate one: openssl rand -base64 48')
  .transform(secretList)
  .refine((secrets) => secrets.every((s) => s.length >= 32), {
    message: 'each secret needs at least 32 characters (generate one: openssl rand -base64 48)',
  })

const encryptionKeys = text('generate one: openssl rand -base64 32')
  .transform(secretList)
  .transform((keys, ctx) => {
    const decoded = keys.map((k) => Buffer.from(k, 'base64'))
    if (decoded.some((k, i) => k.length !== 32 || k.toString('base64') !== keys[i])) {
      ctx.addIssue({
        code: 'custom',
        message:
          'each key must be 32 random bytes in base64 (generate one: openssl rand -base64 32)',
      })
      return z.NEVER
    }
    return decoded
  })

/**
 * libpq's sslmode values, plus pg's `no-verify`. pg 8 reads sslmode from the URL itself
 * (pg-connection-string): `disable` turns TLS off; every other value turns it on and, except
 * `no-verify`, verifies the certificate and the host name — `prefer`, `require` and
 * `verify-ca` are treated as `verify-full`, stricter than libpq. Anything else is a typo.
 */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify']

const databaseUrl = z
  .string()
  .trim()
  .optional()
  .superRefine((value, ctx) => {
    if (value === undefined) return
    // The messages never repeat the value: it normally holds a password.
    if (!/^postgres(ql)?:\/\//.test(value) || !URL.canParse(value)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'must be a postgres:// or postgresql:// URL (postgres://user:password@host:5432/db)',
      })
      return
    }
    const sslmodes = new URL(value).searchParams.getAll('sslmode')
    if (!sslmodes.every((sslmode) => SSL_MODES.includes(sslmode))) {
      ctx.addIssue({ code: 'custom', message: `sslmode must be one of ${SSL_MODES.join(', ')}` })
    }
  })

/** sslmode values that make pg use TLS and verify the server (pg treats require as verify-full). */
const VERIFIED_SSL_MODES = ['require', 'verify-ca', 'verify-full']

/**
 * Whether the database is on this machine: a loopback address or a unix socket (a host
 * that is a path, given in the host part or as `?host=`, which pg-connection-string
 * prefers). An empty host is not assumed to be local: pg would then go to PGHOST.
 */
function isLocalDatabase(url: string): boolean {
  const parsed = new URL(url)
  // pg-connection-string lets the last of repeated query parameters win.
  let host = parsed.searchParams.getAll('host').at(-1) ?? parsed.hostname
  try {
    host = decodeURIComponent(host)
  } catch {
    return false
  }
  return host.startsWith('/') || isLoopbackHost(host)
}

function isTlsOrLocalRedis(url: string): boolean {
  const parsed = new URL(url)
  return parsed.protocol === 'rediss:' || isLoopbackHost(parsed.hostname)
}

function isTlsOrLocalDatabase(url: string): boolean {
  const sslmode = new URL(url).searchParams.getAll('sslmode').at(-1)
  return (sslmode !== undefined && VERIFIED_SSL_MODES.includes(sslmode)) || isLocalDatabase(url)
}

/** Express and Node listen on an IP address or a name that resolves to one. */
const listenHost = z
  .string()
  .trim()
  .default('127.0.0.1')
  .refine((v) => isIP(v) !== 0 || /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i.test(v), {
    message:
      'must be an address to listen on: 127.0.0.1 (the default), ::1, 0.0.0.0 or :: for every interface, or a host name (IPv6 without brackets)',
  })

/** DATABASE_URL for messages and logs: without the user's password (or any credential). */
export function describeDatabaseUrl(url: string): string {
  const shown = withoutCredentials(url)
  if (!URL.canParse(shown)) return shown
  const parsed = new URL(shown)
  // pg-connection-string also takes the password from the query string.
  if (!parsed.searchParams.has('password')) return shown
  parsed.searchParams.delete('password')
  return parsed.href
}

const SECRET_NAMES = ['SESSION_SECRET', 'TOKEN_ENCRYPTION_KEY', 'REDIS_URL', 'DATABASE_URL']

/** Authorization parameters that carry the flow's protections: never from configuration. */
const PROTECTED_AUTH_PARAMS = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'resource',
  'request',
  'request_uri',
  'response_mode',
])

/**
 * Reads `NAME_FILE` for every secret that may come from a file (Docker and Kubernetes
 * secrets). Giving both NAME and NAME_FILE is an error: which one wins would be a guess.
 */
function resolveSecretFiles(env: Env, names: string[], problems: string[]): Env {
  const resolved: Record<string, string | undefined> = { ...env }
  for (const name of names) {
    const file = env[`${name}_FILE`]
    if (file === undefined || file === '') continue
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`${name}: set either ${name} or ${name}_FILE, not both`)
      continue
    }
    try {
      resolved[name] = readFileSync(file, 'utf8').trim()
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`)
    }
  }
  return resolved
}

function providerSchema(envName: string) {
  return {
    [`${envName}_ISSUER`]: absoluteUrl(),
    [`${envName}_CLIENT_ID`]: text(),
    [`${envName}_CLIENT_SECRET`]: text().refine((s) => /^[\x20-\x7e]+$/.test(s), {
      // RFC 6749 Appendix A: client-secret = *VSCHAR (printable ASCII).
      message: 'must be printable ASCII (RFC 6749 Appendix A)',
    }),
    [`${envName}_SCOPES`]: text()
      .transform(list)
      .refine((scopes) => scopes.includes('openid'), {
        message: 'must include "openid" (the ID token identifies the person and carries the nonce)',
      }),
    [`${envName}_CONTACTS_API`]: z
      .enum(['people', 'graph'], {
        error:
          'must be "people" (the Google People API v1 shape) or "graph" (Microsoft Graph v1.0)',
      })
      .default('people'),
    [`${envName}_CONTACTS_URL`]: absoluteUrl(),
    [`${envName}_RESOURCE`]: z
      .string()
      .trim()
      .optional()
      .transform((v) => (v ? v : undefined))
      .refine((v) => v === undefined || URL.canParse(v), {
        message: 'must be an absolute URI (RFC 8707 §2)',
      }),
    [`${envName}_LABEL`]: z.string().trim().optional(),
    [`${envName}_AUTH_PARAMS`]: z
      .string()
      .optional()
      .transform((v) => [...new URLSearchParams(v ?? '')])
      .refine((pairs) => pairs.every(([name]) => !PROTECTED_AUTH_PARAMS.has(name)), {
        message: `may not set ${[...PROTECTED_AUTH_PARAMS].join(', ')} (the app sets those itself)`,
      }),
  }
}

/**
 * Entra's tenant segment (`<ID>_TENANT`, Microsoft identity platform docs): `common` (work,
 * school and personal accounts), `organizations` (work and school), `consumers` (personal),
 * or one directory, by its id (a GUID) or one of its domain names.
 */
const TENANT_ALIASES = ['common', 'organizations', 'consumers']
const DOMAIN_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/

const tenant = (fallback: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .default(fallback)
    .refine((v) => TENANT_ALIASES.includes(v) || TENANT_ID.test(v) || DOMAIN_NAME.test(v), {
      message:
        'must be common, organizations, consumers, a directory (tenant) id such as 8eaef023-2b34-4da1-9baa-8bc8c9d6a490, or a domain name such as contoso.onmicrosoft.com',
    })

/**
 * The environment with the preset of each listed provider the app knows by name (google,
 * microsoft) filled in under what is set: those need only a client id and secret, and every
 * value stays overridable with the generic variable. Other ids get nothing.
 */
function withPresets(env: Env, ids: string[], problems: string[]): Env {
  const filled: Record<string, string> = {}
  for (const id of ids) {
    const preset = presetFor(id)
    if (!preset) continue
    const name = providerEnvName(id)
    let tenantSegment = preset.tenant
    if (preset.tenant !== undefined) {
      const parsed = tenant(preset.tenant).safeParse(env[`${name}_TENANT`])
      if (parsed.success) tenantSegment = parsed.data
      else problems.push(`${name}_TENANT: ${parsed.error.issues[0]?.message ?? 'is invalid'}`)
    }
    for (const [key, value] of Object.entries(preset.defaults)) {
      filled[`${name}_${key}`] =
        tenantSegment === undefined ? value : value.replace('{tenant}', tenantSegment)
    }
  }
  return { ...filled, ...env }
}

const baseSchema = {
  APP_URL: absoluteUrl().default(new URL('http://localhost:3000')),
  // Loopback by default: a process meant to sit behind a proxy should not also answer on
  // every interface by accident. HOST=0.0.0.0 (or ::) in a container.
  HOST: listenHost,
  PORT: integer(1, 65535, 3000),
  // Bounds on slow and greedy clients (Node's own defaults let a body trickle in for 300 s
  // and accept connections without limit). The proxy in front should enforce the same.
  // Headers must arrive within this many seconds of a request's first byte (slowloris).
  SERVER_HEADERS_TIMEOUT_SECONDS: integer(1, 300, 10),
  // The whole request, body included, within this many seconds (a body sent byte by byte).
  SERVER_REQUEST_TIMEOUT_SECONDS: integer(1, 3600, 30),
  // An idle keep-alive connection is closed after this many seconds; the proxy's idle
  // timeout towards the app must be shorter, or it may reuse a connection being closed.
  SERVER_KEEP_ALIVE_TIMEOUT_SECONDS: integer(1, 600, 5),
  // Requests one keep-alive connection may carry, so no client holds one forever.
  SERVER_MAX_REQUESTS_PER_SOCKET: integer(1, 1_000_000, 1000),
  // Connections open at once; further ones are closed at accept, before any work.
  SERVER_MAX_CONNECTIONS: integer(1, 1_000_000, 10_000),
  REDIS_URL: z
    .string()
    .trim()
    .default('redis://127.0.0.1:6379')
    .refine((v) => /^rediss?:\/\/.+/.test(v) && URL.canParse(v), {
      message: 'must be a redis:// or rediss:// URL',
    }),
  REDIS_KEY_PREFIX: z
    .string()
    .trim()
    .default('ci:')
    .refine((v) => /^[\w:.-]{1,32}$/.test(v), {
      message: 'must be 1-32 characters of letters, digits, ":", ".", "_" or "-"',
    }),
  DATABASE_URL: databaseUrl,
  DATABASE_POOL_SIZE: integer(1, 100, 10),
  DATABASE_STATEMENT_TIMEOUT_MS: integer(100, 3_600_000, 15_000),
  SESSION_SECRET: sessionSecrets,
  SESSION_TTL_SECONDS: integer(60, 30 * 24 * 3600, 24 * 3600),
  // Absolute lifetime of a sign-in, whatever the activity: a stolen or forgotten session
  // does not live on forever by being used.
  SESSION_MAX_AGE_SECONDS: integer(60, 365 * 24 * 3600, 7 * 24 * 3600),
  TOKEN_ENCRYPTION_KEY: encryptionKeys,
  TOKEN_REFRESH_SKEW_SECONDS: integer(0, 600, 60),
  // How long a connection's tokens are kept without being used (when the provider does not
  // say how long its refresh token lives): background imports need them after sign-out of
  // the tab, but an abandoned grant should not live forever.
  CONNECTION_IDLE_DAYS: integer(1, 365, 30),
  // Region assumed for phone numbers written without a country code, to compute their E.164
  // form when the provider gives none (ISO 3166-1 alpha-2, e.g. DE). Unset: only numbers
  // with a country code get one.
  DEFAULT_PHONE_REGION: z
    .string()
    .trim()
    .toUpperCase()
    .optional()
    .refine((v) => v === undefined || isSupportedCountry(v), {
      message: 'must be a two-letter ISO 3166-1 region with phone numbers, e.g. DE or US',
    })
    .transform((v) => v as CountryCode | undefined),
  HTTP_TIMEOUT_SECONDS: integer(1, 120, 10),
  // The import worker runs inside `npm start` unless turned off here, for deployments that
  // run `npm run worker` processes of their own.
  WORKER: z
    .enum(['on', 'off'], { error: 'must be "on" or "off"' })
    .default('on')
    .transform((v) => v === 'on'),
  // Imports one process runs at once; each holds one page ahead in memory and one
  // database connection while it writes.
  WORKER_CONCURRENCY: integer(1, 64, 4),
  // Hours between incremental syncs of every active connection; off: only on demand.
  SYNC_EVERY_HOURS: z
    .string()
    .trim()
    .default('off')
    .refine((v) => v === 'off' || (/^\d{1,4}$/.test(v) && Number(v) >= 1 && Number(v) <= 8760), {
      message: 'must be "off" or a whole number of hours from 1 to 8760',
    })
    .transform((v) => (v === 'off' ? undefined : Number(v))),
  TRUST_PROXY: trustProxy,
  // Sign-in requests (/login and the callback together) one client address may make per
  // minute: a person needs two per sign-in, a flood needs thousands. 0 turns it off.
  RATE_LIMIT_LOGIN_PER_MINUTE: integer(0, 1_000_000, 60),
  // State-changing POSTs (sign-out, disconnect, add-or-switch) one signed-in person may
  // make per minute, across every instance. 0 turns it off.
  RATE_LIMIT_ACTIONS_PER_MINUTE: integer(0, 1_000_000, 30),
  // Address book downloads (vCard and CSV together) one person may start per minute: each
  // reads the whole book. 0 turns it off.
  RATE_LIMIT_EXPORTS_PER_MINUTE: integer(0, 1_000_000, 5),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  PROVIDERS: text()
    .transform(list)
    .refine((ids) => ids.every((id) => PROVIDER_ID.test(id)), {
      message: 'ids are lower-case letters, digits and "_", starting with a letter (e.g. demo)',
    })
    .refine((ids) => new Set(ids).size === ids.length, { message: 'lists an id twice' }),
}

/** `demo` → `DEMO`: the prefix of a provider's variables. */
export function providerEnvName(id: string): string {
  return id.toUpperCase()
}

/** Blank values count as unset, so `PORT=` in a copied .env.example means "the default". */
function withoutBlanks(env: Env): Env {
  return Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''),
  )
}

/** Parses each variable of `shape` on its own; what fails becomes a problem naming it. */
function parseEach(
  shape: Record<string, z.ZodType>,
  env: Env,
  problems: string[],
): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const [name, schema] of Object.entries(shape)) {
    const parsed = schema.safeParse(env[name])
    if (parsed.success) {
      values[name] = parsed.data
    } else if (!problems.some((p) => p.startsWith(`${name}_FILE:`) || p.startsWith(`${name}:`))) {
      // (A problem already reported for NAME_FILE explains the missing NAME.)
      problems.push(`${name}: ${parsed.error.issues[0]?.message ?? 'is invalid'}`)
    }
  }
  return values
}

export interface MigrateConfig {
  databaseUrl: string
  logLevel: Config['logLevel']
}

/**
 * The configuration of `npm run migrate`: only DATABASE_URL (required here) and LOG_LEVEL,
 * so a release step can run the migrations holding the database's credentials and nothing
 * else of the app's.
 */
export function loadMigrateConfig(rawEnv: Env = readEnv()): MigrateConfig {
  const problems: string[] = []
  const env = resolveSecretFiles(withoutBlanks(rawEnv), ['DATABASE_URL'], problems)
  const { DATABASE_URL, LOG_LEVEL } = baseSchema
  const values = parseEach({ DATABASE_URL, LOG_LEVEL }, env, problems)
  const url = values.DATABASE_URL as string | undefined
  if (url === undefined && !problems.some((p) => p.startsWith('DATABASE_URL'))) {
    problems.push('DATABASE_URL: is required (the database to migrate)')
  }
  if (problems.length > 0 || url === undefined) throw new ConfigError(problems)
  return Object.freeze({ databaseUrl: url, logLevel: values.LOG_LEVEL as Config['logLevel'] })
}

export function loadConfig(rawEnv: Env = readEnv()): Config {
  const problems: string[] = []
  const input = withoutBlanks(rawEnv)
  const providerIds = baseSchema.PROVIDERS.safeParse(input.PROVIDERS)
  const ids = providerIds.success ? providerIds.data : []
  const secretNames = [...SECRET_NAMES, ...ids.map((id) => `${providerEnvName(id)}_CLIENT_SECRET`)]
  const env = resolveSecretFiles(withPresets(input, ids, problems), secretNames, problems)

  // Each variable is parsed on its own, so one bad value never hides another problem, and
  // the checks that combine variables still run on every value that did parse.
  const shape: Record<string, z.ZodType> = Object.assign(
    {},
    baseSchema,
    ...ids.map((id) => providerSchema(providerEnvName(id))),
  )
  const values = parseEach(shape, env, problems)

  const appUrl = values.APP_URL as URL | undefined
  const localHttp = appUrl?.protocol === 'http:' && isLoopbackHost(appUrl.hostname)
  if (appUrl) {
    if (appUrl.pathname !== '/') {
      problems.push('APP_URL: must be an origin without a path (e.g. https://contacts.example.com)')
    }
    // Tokens, codes and session cookies must never cross the network in clear (RFC 6749
    // §10.3, RFC 9700 §2.6); plain http is only for a browser talking to its own machine.
    if (appUrl.protocol === 'http:' && !localHttp) {
      problems.push(
        'APP_URL: must be https (plain http is allowed only on localhost, 127.0.0.1 or [::1])',
      )
    }
    // The app listens on plain http; an https APP_URL means a TLS proxy in front, and
    // without trusting it express-session never issues the Secure cookie: every sign-in
    // would loop.
    if (appUrl.protocol === 'https:' && values.TRUST_PROXY === false) {
      problems.push(
        'TRUST_PROXY: APP_URL is https, so the app runs behind a TLS proxy; set TRUST_PROXY to the hop count (e.g. 1) or the proxy address',
      )
    }
    // Session ids, pending sign-ins and sealed token records travel to Redis, and who is
    // connected to what to PostgreSQL: a deployment that protects the browser's link with
    // TLS must protect those links too (RFC 9700 §2.6), unless they never leave the machine.
    if (appUrl.protocol === 'https:') {
      const redisUrl = values.REDIS_URL as string | undefined
      if (redisUrl !== undefined && !isTlsOrLocalRedis(redisUrl)) {
        problems.push(
          'REDIS_URL: APP_URL is https, so Redis must be reached over TLS (rediss://…) unless it is on this machine (localhost, 127.0.0.0/8 or [::1])',
        )
      }
      const databaseUrl = values.DATABASE_URL as string | undefined
      if (databaseUrl !== undefined && !isTlsOrLocalDatabase(databaseUrl)) {
        problems.push(
          `DATABASE_URL: APP_URL is https, so PostgreSQL must be reached over verified TLS: add sslmode=${VERIFIED_SSL_MODES.join(', sslmode=')} (sslmode=verify-full is the clearest), unless it is on this machine (localhost, 127.0.0.0/8, [::1] or a unix socket)`,
        )
      }
    }
  }
  const headersTimeout = values.SERVER_HEADERS_TIMEOUT_SECONDS as number | undefined
  const requestTimeout = values.SERVER_REQUEST_TIMEOUT_SECONDS as number | undefined
  // Node refuses to start a server whose header deadline is later than its request deadline.
  if (
    headersTimeout !== undefined &&
    requestTimeout !== undefined &&
    headersTimeout > requestTimeout
  ) {
    problems.push(
      `SERVER_HEADERS_TIMEOUT_SECONDS: must not exceed SERVER_REQUEST_TIMEOUT_SECONDS (${requestTimeout}): the headers are part of the request`,
    )
  }
  for (const id of ids) {
    // Without a scope of its own, nothing could tell that the contacts permission was granted.
    const scopes = values[`${providerEnvName(id)}_SCOPES`] as string[] | undefined
    if (scopes?.every((scope) => SIGN_IN_SCOPES.has(scope))) {
      problems.push(
        `${providerEnvName(id)}_SCOPES: must include the contacts API's scope, not only ${[...SIGN_IN_SCOPES].join(', ')}`,
      )
    }
    for (const key of [`${providerEnvName(id)}_ISSUER`, `${providerEnvName(id)}_CONTACTS_URL`]) {
      const url = values[key] as URL | undefined
      if (url?.protocol === 'http:' && appUrl && !localHttp) {
        problems.push(
          `${key}: must be https (http is allowed only while APP_URL is http on localhost, for the demo and tests)`,
        )
      }
    }
  }
  if (problems.length > 0 || !appUrl) throw new ConfigError(problems)

  const providers: ProviderConfig[] = ids.map((id) => {
    const name = providerEnvName(id)
    const label = values[`${name}_LABEL`] as string | undefined
    return {
      id,
      label: label || id.charAt(0).toUpperCase() + id.slice(1),
      issuer: values[`${name}_ISSUER`] as URL,
      clientId: values[`${name}_CLIENT_ID`] as string,
      clientSecret: values[`${name}_CLIENT_SECRET`] as string,
      scopes: values[`${name}_SCOPES`] as string[],
      contactsApi: values[`${name}_CONTACTS_API`] as 'people' | 'graph',
      contactsUrl: values[`${name}_CONTACTS_URL`] as URL,
      resource: values[`${name}_RESOURCE`] as string | undefined,
      authParams: values[`${name}_AUTH_PARAMS`] as Array<[string, string]>,
      redirectUri: new URL(`/auth/callback/${id}`, appUrl.origin),
      contactsScopes: (values[`${name}_SCOPES`] as string[]).filter((s) => !SIGN_IN_SCOPES.has(s)),
      pkceDocumented: presetFor(id)?.pkceDocumented ?? false,
    }
  })

  const base = values as z.output<z.ZodObject<typeof baseSchema>>
  const secure = appUrl.protocol === 'https:'
  return Object.freeze({
    appUrl,
    host: base.HOST,
    port: base.PORT,
    server: {
      headersTimeoutMs: base.SERVER_HEADERS_TIMEOUT_SECONDS * 1000,
      requestTimeoutMs: base.SERVER_REQUEST_TIMEOUT_SECONDS * 1000,
      keepAliveTimeoutMs: base.SERVER_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
      maxRequestsPerSocket: base.SERVER_MAX_REQUESTS_PER_SOCKET,
      maxConnections: base.SERVER_MAX_CONNECTIONS,
    },
    trustProxy: base.TRUST_PROXY,
    logLevel: base.LOG_LEVEL,
    localHttp,
    redis: { url: base.REDIS_URL, keyPrefix: base.REDIS_KEY_PREFIX },
    database: {
      url: base.DATABASE_URL,
      poolSize: base.DATABASE_POOL_SIZE,
      statementTimeoutMs: base.DATABASE_STATEMENT_TIMEOUT_MS,
    },
    session: {
      secrets: base.SESSION_SECRET,
      // `__Host-` makes the browser refuse the cookie unless it is Secure, host-only and
      // Path=/, so a sibling subdomain cannot plant or overwrite it (RFC 6265bis §4.1.3.2).
      cookieName: secure ? '__Host-ci.sid' : 'ci.sid',
      // The same protection for the pending sign-ins: a planted flow cookie would be a
      // login CSRF (another person's sign-in finishing in this browser). `__Host-` needs
      // Path=/, so these cookies come along on every request until the callback clears them.
      loginCookiePrefix: secure ? '__Host-ci.login.' : 'ci.login.',
      secure,
      ttlSeconds: base.SESSION_TTL_SECONDS,
      maxAgeSeconds: base.SESSION_MAX_AGE_SECONDS,
    },
    rateLimits: {
      loginPerMinute: base.RATE_LIMIT_LOGIN_PER_MINUTE,
      actionsPerMinute: base.RATE_LIMIT_ACTIONS_PER_MINUTE,
      exportsPerMinute: base.RATE_LIMIT_EXPORTS_PER_MINUTE,
    },
    tokens: {
      encryptionKeys: base.TOKEN_ENCRYPTION_KEY,
      refreshSkewSeconds: base.TOKEN_REFRESH_SKEW_SECONDS,
      idleSeconds: base.CONNECTION_IDLE_DAYS * 24 * 3600,
    },
    contacts: { defaultPhoneRegion: base.DEFAULT_PHONE_REGION },
    http: { timeoutSeconds: base.HTTP_TIMEOUT_SECONDS },
    worker: {
      enabled: base.WORKER,
      concurrency: base.WORKER_CONCURRENCY,
      syncEveryHours: base.SYNC_EVERY_HOURS,
    },
    providers,
  })
}
