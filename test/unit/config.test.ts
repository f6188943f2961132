// loadConfig() is the only gate between the environment and the app: everything an
// operator can get wrong must be refused at start-up, all problems in one report.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  ConfigError,
  describeDatabaseUrl,
  type Env,
  loadConfig,
  loadMigrateConfig,
  readEnv,
} from '../../src/config.ts'

const SESSION_SECRET = 's'.repeat(32)
const KEY_A = Buffer.alloc(32, 0xa1)
const KEY_B = Buffer.alloc(32, 0xb2)

/** A complete, valid environment for the local demo; overrides replace or (undefined) remove. */
function validEnv(overrides: Env = {}): Env {
  const env: Record<string, string | undefined> = {
    APP_URL: 'http://localhost:3000',
    SESSION_SECRET,
    TOKEN_ENCRYPTION_KEY: KEY_A.toString('base64'),
    PROVIDERS: 'demo',
    DEMO_ISSUER: 'http://localhost:4000',
    DEMO_CLIENT_ID: 'contacts-importer',
    DEMO_CLIENT_SECRET: 'demo: 100% s3cret +/&=? ~',
    DEMO_SCOPES: 'openid profile email offline_access contacts.read',
    DEMO_CONTACTS_URL: 'http://localhost:4001',
    ...overrides,
  }
  return env
}

/** A production-shaped environment: https everywhere, behind one proxy. */
function httpsEnv(overrides: Env = {}): Env {
  return validEnv({
    APP_URL: 'https://contacts.example.com',
    TRUST_PROXY: '1',
    DEMO_ISSUER: 'https://id.example.com',
    DEMO_CONTACTS_URL: 'https://people.example.com',
    ...overrides,
  })
}

function configErrorOf(env: Env): ConfigError {
  return thrownConfigError(() => loadConfig(env))
}

function thrownConfigError(load: () => unknown): ConfigError {
  try {
    load()
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('the environment was accepted; a ConfigError was expected')
}

/** The variable each problem names ("NAME: what is wrong"). */
const named = (err: ConfigError) => err.problems.map((p) => p.slice(0, p.indexOf(':')))

const tempDirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ci-config-test-'))
  tempDirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
})

describe('a valid environment', () => {
  it('when every required variable is set for the local demo, then the config carries the parsed values and the defaults', () => {
    const config = loadConfig(validEnv())

    expect(config.appUrl.href).toBe('http://localhost:3000/')
    expect(config.localHttp).toBe(true)
    expect(config.port).toBe(3000)
    expect(config.trustProxy).toBe(false)
    expect(config.logLevel).toBe('info')
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', keyPrefix: 'ci:' })
    // DATABASE_URL stays optional here: the demo and the tests fill it in, main() demands it.
    expect(config.database).toEqual({ url: undefined, poolSize: 10, statementTimeoutMs: 15000 })
    expect(config.session).toEqual({
      secrets: [SESSION_SECRET],
      cookieName: 'ci.sid',
      loginCookiePrefix: 'ci.login.',
      secure: false,
      ttlSeconds: 86400,
      maxAgeSeconds: 7 * 24 * 3600,
    })
    // Far above what a person does (two requests per sign-in), far below a flood.
    expect(config.rateLimits).toEqual({
      loginPerMinute: 60,
      actionsPerMinute: 30,
      exportsPerMinute: 5,
    })
    expect(config.tokens.encryptionKeys).toEqual([KEY_A])
    expect(config.tokens.refreshSkewSeconds).toBe(60)
    expect(config.http.timeoutSeconds).toBe(10)
    expect(config.host).toBe('127.0.0.1')
    expect(config.server).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxRequestsPerSocket: 1000,
      maxConnections: 10_000,
    })
    expect(Object.isFrozen(config)).toBe(true)

    expect(config.providers).toHaveLength(1)
    const [demo] = config.providers
    expect(demo?.id).toBe('demo')
    expect(demo?.label).toBe('Demo')
    expect(demo?.issuer.href).toBe('http://localhost:4000/')
    expect(demo?.clientId).toBe('contacts-importer')
    expect(demo?.clientSecret).toBe('demo: 100% s3cret +/&=? ~')
    expect(demo?.scopes).toEqual(['openid', 'profile', 'email', 'offline_access', 'contacts.read'])
    expect(demo?.contactsApi).toBe('people')
    expect(demo?.contactsUrl.href).toBe('http://localhost:4001/')
    expect(demo?.resource).toBeUndefined()
    expect(demo?.redirectUri.href).toBe('http://localhost:3000/auth/callback/demo')
  })

  it('when the optional variables are set, then they replace the defaults', () => {
    const config = loadConfig(
      validEnv({
        PORT: '8080',
        REDIS_URL: 'rediss://cache.internal:6380/2',
        DATABASE_URL: 'postgresql://importer:pw@db.internal:5432/contacts?sslmode=verify-full',
        DATABASE_POOL_SIZE: '20',
        DATABASE_STATEMENT_TIMEOUT_MS: '5000',
        REDIS_KEY_PREFIX: 'importer:',
        SESSION_TTL_SECONDS: '3600',
        SESSION_MAX_AGE_SECONDS: '86400',
        TOKEN_REFRESH_SKEW_SECONDS: '120',
        CONNECTION_IDLE_DAYS: '7',
        HTTP_TIMEOUT_SECONDS: '5',
        LOG_LEVEL: 'debug',
        DEMO_RESOURCE: 'http://localhost:4001/',
        DEMO_LABEL: 'Demo Provider',
      }),
    )
    expect(config.port).toBe(8080)
    expect(config.redis).toEqual({ url: 'rediss://cache.internal:6380/2', keyPrefix: 'importer:' })
    expect(config.database).toEqual({
      url: 'postgresql://importer:pw@db.internal:5432/contacts?sslmode=verify-full',
      poolSize: 20,
      statementTimeoutMs: 5000,
    })
    expect(config.session.ttlSeconds).toBe(3600)
    expect(config.session.maxAgeSeconds).toBe(86400)
    expect(config.tokens.refreshSkewSeconds).toBe(120)
    expect(config.tokens.idleSeconds).toBe(7 * 24 * 3600)
    expect(config.http.timeoutSeconds).toBe(5)
    expect(config.logLevel).toBe('debug')
    expect(config.providers[0]?.resource).toBe('http://localhost:4001/')
    expect(config.providers[0]?.label).toBe('Demo Provider')
  })

  it('when the lifetimes are not set, then a sign-in lasts 7 days at most and unused tokens 30 days', () => {
    const config = loadConfig(validEnv())
    expect(config.session.maxAgeSeconds).toBe(7 * 24 * 3600)
    expect(config.tokens.idleSeconds).toBe(30 * 24 * 3600)
  })

  it('when DEFAULT_PHONE_REGION is set in any case, then it is the upper-case region; unset, there is none', () => {
    expect(loadConfig(validEnv({ DEFAULT_PHONE_REGION: 'de' })).contacts.defaultPhoneRegion).toBe(
      'DE',
    )
    expect(loadConfig(validEnv()).contacts.defaultPhoneRegion).toBeUndefined()
  })

  it.each([
    ['DEFAULT_PHONE_REGION', 'XX'],
    ['DEFAULT_PHONE_REGION', 'Germany'],
    ['SESSION_MAX_AGE_SECONDS', '59'],
    ['SESSION_MAX_AGE_SECONDS', 'a week'],
    ['CONNECTION_IDLE_DAYS', '0'],
    ['CONNECTION_IDLE_DAYS', '366'],
  ])('when %s is %j, then it is refused by name', (name, value) => {
    expect(named(configErrorOf(validEnv({ [name]: value })))).toContain(name)
  })

  it('when APP_URL is https behind a proxy, then the cookie is Secure and named __Host-ci.sid', () => {
    const config = loadConfig(httpsEnv())
    expect(config.appUrl.origin).toBe('https://contacts.example.com')
    expect(config.localHttp).toBe(false)
    expect(config.trustProxy).toBe(1)
    expect(config.session.cookieName).toBe('__Host-ci.sid')
    expect(config.session.loginCookiePrefix).toBe('__Host-ci.login.')
    expect(config.session.secure).toBe(true)
    expect(config.providers[0]?.redirectUri.href).toBe(
      'https://contacts.example.com/auth/callback/demo',
    )
  })

  it('when TRUST_PROXY names proxy addresses, then they are passed on', () => {
    const config = loadConfig(httpsEnv({ TRUST_PROXY: '10.0.0.0/8, loopback, ::1' }))
    expect(config.trustProxy).toBe('10.0.0.0/8,loopback,::1')
  })

  it('when TRUST_PROXY is neither a hop count nor addresses, then it is refused before Express sees it', () => {
    for (const value of ['yes', 'TRUE', '10.0.0.0/99', 'proxy.example', '1.2.3.4/8/1']) {
      expect(named(configErrorOf(httpsEnv({ TRUST_PROXY: value })))).toEqual(['TRUST_PROXY'])
    }
  })

  it('when TRUST_PROXY is 0 with an https APP_URL, then it is refused (no hop would be trusted)', () => {
    expect(named(configErrorOf(httpsEnv({ TRUST_PROXY: '0' })))).toEqual(['TRUST_PROXY'])
  })

  it('when a secret holds a space, then it stays one secret (only commas separate)', () => {
    const secret = 'a secret with spaces that is long enough!!'
    expect(loadConfig(validEnv({ SESSION_SECRET: secret })).session.secrets).toEqual([secret])
  })

  it('when the encryption key is missing, then the message says how to make one', () => {
    const env = validEnv({ TOKEN_ENCRYPTION_KEY: undefined })
    expect(configErrorOf(env).problems.join('\n')).toContain('openssl rand -base64 32')
  })

  it('when X_AUTH_PARAMS adds provider extras, then they are kept, and protected parameters are refused', () => {
    const config = loadConfig(
      validEnv({ DEMO_AUTH_PARAMS: 'access_type=offline&include_granted_scopes=true' }),
    )
    expect(config.providers[0]?.authParams).toEqual([
      ['access_type', 'offline'],
      ['include_granted_scopes', 'true'],
    ])
    for (const value of [
      'state=x',
      'redirect_uri=https://evil.example',
      'code_challenge_method=plain',
    ]) {
      expect(named(configErrorOf(validEnv({ DEMO_AUTH_PARAMS: value })))).toEqual([
        'DEMO_AUTH_PARAMS',
      ])
    }
  })

  it('when APP_URL is http on 127.0.0.1 or [::1], then it counts as local http', () => {
    for (const appUrl of ['http://127.0.0.1:3000', 'http://[::1]:3000']) {
      const config = loadConfig(validEnv({ APP_URL: appUrl }))
      expect(config.localHttp).toBe(true)
      expect(config.session.cookieName).toBe('ci.sid')
    }
  })

  it('when several providers are listed, then each gets its own settings and redirect URI', () => {
    const config = loadConfig(
      httpsEnv({
        PROVIDERS: 'demo, google',
        GOOGLE_ISSUER: 'https://accounts.google.com',
        GOOGLE_CLIENT_ID: 'g-client',
        GOOGLE_CLIENT_SECRET: 'g-secret',
        GOOGLE_SCOPES: 'openid,https://www.googleapis.com/auth/contacts.readonly',
        GOOGLE_CONTACTS_URL: 'https://people.googleapis.com',
        GOOGLE_LABEL: 'Google',
      }),
    )
    expect(config.providers.map((p) => p.id)).toEqual(['demo', 'google'])
    const google = config.providers[1]
    expect(google?.clientId).toBe('g-client')
    expect(google?.scopes).toEqual(['openid', 'https://www.googleapis.com/auth/contacts.readonly'])
    expect(google?.redirectUri.href).toBe('https://contacts.example.com/auth/callback/google')
  })
})

describe('reporting every problem at once', () => {
  it('when the environment is empty, then one ConfigError lists SESSION_SECRET, TOKEN_ENCRYPTION_KEY and PROVIDERS', () => {
    const err = configErrorOf({})
    expect(named(err).sort()).toEqual(['PROVIDERS', 'SESSION_SECRET', 'TOKEN_ENCRYPTION_KEY'])
    for (const problem of err.problems) expect(err.message).toContain(problem)
    expect(err.message).toContain('3 problems')
  })

  it('when several values are bad at once, then every one of them is reported', () => {
    const err = configErrorOf(
      validEnv({
        SESSION_SECRET: 'too-short',
        TOKEN_ENCRYPTION_KEY: 'not base64 at all!',
        PORT: '99999',
        LOG_LEVEL: 'loud',
        TRUST_PROXY: 'true',
      }),
    )
    expect(named(err).sort()).toEqual([
      'LOG_LEVEL',
      'PORT',
      'SESSION_SECRET',
      'TOKEN_ENCRYPTION_KEY',
      'TRUST_PROXY',
    ])
    for (const problem of err.problems) expect(err.message).toContain(problem)
  })

  it('when a bad value and an insecure APP_URL come together, then both are reported in the same error', () => {
    // The operator must be able to fix everything in one pass (README "Configuration").
    const err = configErrorOf(
      validEnv({ APP_URL: 'http://contacts.example.com', SESSION_SECRET: 'too-short' }),
    )
    // The demo provider's http URLs are refused too, now that the app is not local.
    expect(named(err).sort()).toEqual([
      'APP_URL',
      'DEMO_CONTACTS_URL',
      'DEMO_ISSUER',
      'SESSION_SECRET',
    ])
  })

  it('when a value is blank (as in a copied .env.example), then it counts as unset', () => {
    const config = loadConfig(validEnv({ PORT: '', LOG_LEVEL: ' ', TRUST_PROXY: '' }))
    expect(config.port).toBe(3000)
    expect(config.logLevel).toBe('info')
    expect(config.trustProxy).toBe(false)
  })

  it('when TOKEN_ENCRYPTION_KEY decodes to 16 bytes, then it is refused', () => {
    const err = configErrorOf(
      validEnv({ TOKEN_ENCRYPTION_KEY: Buffer.alloc(16, 1).toString('base64') }),
    )
    expect(named(err)).toEqual(['TOKEN_ENCRYPTION_KEY'])
    expect(err.problems[0]).toContain('32 random bytes')
  })

  it('when a number is not a whole number, then it is refused', () => {
    const err = configErrorOf(validEnv({ SESSION_TTL_SECONDS: '1.5', HTTP_TIMEOUT_SECONDS: '-1' }))
    expect(named(err).sort()).toEqual(['HTTP_TIMEOUT_SECONDS', 'SESSION_TTL_SECONDS'])
  })

  it('when a rate limit is not a whole number of requests, then it is refused with the others', () => {
    const err = configErrorOf(
      validEnv({ RATE_LIMIT_LOGIN_PER_MINUTE: 'lots', RATE_LIMIT_ACTIONS_PER_MINUTE: '-5' }),
    )
    expect(named(err).sort()).toEqual([
      'RATE_LIMIT_ACTIONS_PER_MINUTE',
      'RATE_LIMIT_LOGIN_PER_MINUTE',
    ])
  })

  it('when a rate limit is set, then it replaces the default, and 0 turns it off', () => {
    const config = loadConfig(
      validEnv({ RATE_LIMIT_LOGIN_PER_MINUTE: '600', RATE_LIMIT_ACTIONS_PER_MINUTE: '0' }),
    )
    expect(config.rateLimits).toMatchObject({ loginPerMinute: 600, actionsPerMinute: 0 })
  })

  it('when REDIS_URL is not a redis URL, then it is refused', () => {
    const err = configErrorOf(validEnv({ REDIS_URL: 'http://127.0.0.1:6379' }))
    expect(named(err)).toEqual(['REDIS_URL'])
  })
})

describe('the HTTP server', () => {
  it('when HOST and the SERVER_* limits are set, then they replace the defaults (seconds become milliseconds)', () => {
    const config = loadConfig(
      validEnv({
        HOST: '0.0.0.0',
        SERVER_HEADERS_TIMEOUT_SECONDS: '5',
        SERVER_REQUEST_TIMEOUT_SECONDS: '60',
        SERVER_KEEP_ALIVE_TIMEOUT_SECONDS: '75',
        SERVER_MAX_REQUESTS_PER_SOCKET: '100',
        SERVER_MAX_CONNECTIONS: '500',
      }),
    )
    expect(config.host).toBe('0.0.0.0')
    expect(config.server).toEqual({
      headersTimeoutMs: 5_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 75_000,
      maxRequestsPerSocket: 100,
      maxConnections: 500,
    })
  })

  it('when HOST is an IPv6 address or a host name, then it is accepted as given', () => {
    for (const host of ['::', '::1', 'localhost', 'app.internal']) {
      expect(loadConfig(validEnv({ HOST: host })).host).toBe(host)
    }
  })

  it('when HOST is not an address to listen on, then it is refused', () => {
    for (const host of ['[::1]', 'http://0.0.0.0', '0.0.0.0:3000', 'a b']) {
      const err = configErrorOf(validEnv({ HOST: host }))
      expect(named(err)).toEqual(['HOST'])
    }
  })

  it('when a limit is zero (Node reads 0 as "no limit") or out of range, then it is refused', () => {
    const err = configErrorOf(
      validEnv({
        SERVER_HEADERS_TIMEOUT_SECONDS: '0',
        SERVER_REQUEST_TIMEOUT_SECONDS: '0',
        SERVER_KEEP_ALIVE_TIMEOUT_SECONDS: '0',
        SERVER_MAX_REQUESTS_PER_SOCKET: '0',
        SERVER_MAX_CONNECTIONS: '10000000',
      }),
    )
    expect(named(err).sort()).toEqual([
      'SERVER_HEADERS_TIMEOUT_SECONDS',
      'SERVER_KEEP_ALIVE_TIMEOUT_SECONDS',
      'SERVER_MAX_CONNECTIONS',
      'SERVER_MAX_REQUESTS_PER_SOCKET',
      'SERVER_REQUEST_TIMEOUT_SECONDS',
    ])
  })

  it('when the header deadline is later than the request deadline, then it is refused with the other problems', () => {
    const err = configErrorOf(
      validEnv({
        SERVER_HEADERS_TIMEOUT_SECONDS: '60',
        SERVER_REQUEST_TIMEOUT_SECONDS: '30',
        SESSION_SECRET: 'too-short',
      }),
    )
    expect(named(err).sort()).toEqual(['SERVER_HEADERS_TIMEOUT_SECONDS', 'SESSION_SECRET'])
    expect(err.problems.join('\n')).toContain('must not exceed SERVER_REQUEST_TIMEOUT_SECONDS')
  })
})

describe('the database', () => {
  it('when DATABASE_URL is postgres:// or postgresql://, then it is kept as given (sslmode included)', () => {
    for (const url of [
      'postgres://importer:pw@db.internal/contacts',
      'postgresql://db.internal:6432/contacts?sslmode=require',
      'postgres://importer@127.0.0.1:5432/contacts?sslmode=disable',
      'postgres://importer:pw@db.internal/contacts?sslmode=no-verify',
    ]) {
      expect(loadConfig(validEnv({ DATABASE_URL: url })).database.url).toBe(url)
    }
  })

  it('when DATABASE_URL is not a PostgreSQL URL, then it is refused without repeating it (it holds a password)', () => {
    for (const url of [
      'mysql://importer:s3cret-pw@db.internal/contacts',
      'db.internal:5432/contacts',
      'postgres//importer:s3cret-pw@db.internal/contacts',
      'http://importer:s3cret-pw@db.internal/contacts',
    ]) {
      const err = configErrorOf(validEnv({ DATABASE_URL: url }))
      expect(named(err)).toEqual(['DATABASE_URL'])
      expect(err.message).toContain('postgres://')
      expect(err.message).not.toContain('s3cret-pw')
    }
  })

  it('when sslmode is not one pg knows, then it is refused (a typo must not silently change TLS)', () => {
    const err = configErrorOf(
      validEnv({ DATABASE_URL: 'postgres://importer:pw@db.internal/contacts?sslmode=requir' }),
    )
    expect(named(err)).toEqual(['DATABASE_URL'])
    expect(err.problems[0]).toContain('verify-full')
  })

  it('when the pool size or the statement timeout is out of range, then each is refused', () => {
    const err = configErrorOf(
      validEnv({ DATABASE_POOL_SIZE: '0', DATABASE_STATEMENT_TIMEOUT_MS: '15s' }),
    )
    expect(named(err).sort()).toEqual(['DATABASE_POOL_SIZE', 'DATABASE_STATEMENT_TIMEOUT_MS'])
    expect(named(configErrorOf(validEnv({ DATABASE_POOL_SIZE: '1000' })))).toEqual([
      'DATABASE_POOL_SIZE',
    ])
  })

  it('when DATABASE_URL_FILE points at a file, then its trimmed content is the URL', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'db'), 'postgres://importer:from-file@db.internal/contacts\n')
    const config = loadConfig(validEnv({ DATABASE_URL_FILE: join(dir, 'db') }))
    expect(config.database.url).toBe('postgres://importer:from-file@db.internal/contacts')
  })

  it('when both DATABASE_URL and DATABASE_URL_FILE are set, then it is an error naming DATABASE_URL', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'db'), 'postgres://db.internal/contacts')
    const err = configErrorOf(
      validEnv({ DATABASE_URL: 'postgres://db.internal/x', DATABASE_URL_FILE: join(dir, 'db') }),
    )
    expect(named(err)).toEqual(['DATABASE_URL'])
  })

  it('when a database URL is shown in a message, then the user, the password and ?password= are gone', () => {
    expect(describeDatabaseUrl('postgres://importer:s3cret@db.internal:5432/contacts')).toBe(
      'postgres://db.internal:5432/contacts',
    )
    expect(
      describeDatabaseUrl('postgresql://db.internal/contacts?password=s3cret&sslmode=verify-full'),
    ).toBe('postgresql://db.internal/contacts?sslmode=verify-full')
    expect(describeDatabaseUrl('postgres://127.0.0.1/contacts')).toBe(
      'postgres://127.0.0.1/contacts',
    )
    expect(describeDatabaseUrl('not a url with s3cret')).not.toContain('s3cret')
  })

  it('when `npm run migrate` loads its configuration, then it needs DATABASE_URL and nothing of the app', () => {
    expect(
      loadMigrateConfig({ DATABASE_URL: 'postgres://importer:pw@db.internal/contacts' }),
    ).toEqual({ databaseUrl: 'postgres://importer:pw@db.internal/contacts', logLevel: 'info' })
    expect(named(thrownConfigError(() => loadMigrateConfig({})))).toEqual(['DATABASE_URL'])
    expect(
      named(
        thrownConfigError(() => loadMigrateConfig({ DATABASE_URL: 'x', LOG_LEVEL: 'loud' })),
      ).sort(),
    ).toEqual(['DATABASE_URL', 'LOG_LEVEL'])
  })
})

describe('provider settings', () => {
  it('when a listed provider has none of its variables, then each missing one is named', () => {
    const err = configErrorOf({
      SESSION_SECRET,
      TOKEN_ENCRYPTION_KEY: KEY_A.toString('base64'),
      PROVIDERS: 'demo',
    })
    expect(named(err).sort()).toEqual([
      'DEMO_CLIENT_ID',
      'DEMO_CLIENT_SECRET',
      'DEMO_CONTACTS_URL',
      'DEMO_ISSUER',
      'DEMO_SCOPES',
    ])
  })

  it('when the scopes leave out openid, then they are refused', () => {
    const err = configErrorOf(validEnv({ DEMO_SCOPES: 'profile email contacts.read' }))
    expect(named(err)).toEqual(['DEMO_SCOPES'])
    expect(err.problems[0]).toContain('openid')
  })

  it('when the client secret is not printable ASCII, then it is refused', () => {
    for (const secret of ['sécret-with-accents', 'line\u0001break', 'tab\tinside']) {
      const err = configErrorOf(validEnv({ DEMO_CLIENT_SECRET: secret }))
      expect(named(err)).toEqual(['DEMO_CLIENT_SECRET'])
    }
  })

  it('when the contacts API shape is unknown, then it is refused', () => {
    const err = configErrorOf(validEnv({ DEMO_CONTACTS_API: 'carddav' }))
    expect(named(err)).toEqual(['DEMO_CONTACTS_API'])
  })

  it('when the contacts API shape is graph, then the provider reads Microsoft Graph', () => {
    const config = loadConfig(validEnv({ DEMO_CONTACTS_API: 'graph' }))
    expect(config.providers[0]?.contactsApi).toBe('graph')
  })

  it('when the issuer carries a query, credentials or is not http(s), then it is refused', () => {
    for (const issuer of [
      'https://id.example.com/?tenant=x',
      'https://user:pw@id.example.com',
      'ftp://id.example.com',
      'id.example.com',
    ]) {
      const err = configErrorOf(httpsEnv({ DEMO_ISSUER: issuer }))
      expect(named(err)).toEqual(['DEMO_ISSUER'])
    }
  })

  it('when PROVIDERS holds an invalid id, then it is refused', () => {
    for (const providers of ['Demo', 'demo-x', '1demo', 'demo,bad id!']) {
      const err = configErrorOf(validEnv({ PROVIDERS: providers }))
      expect(named(err)).toEqual(['PROVIDERS'])
    }
  })

  it('when PROVIDERS lists an id twice, then it is refused', () => {
    const err = configErrorOf(validEnv({ PROVIDERS: 'demo,demo' }))
    expect(named(err)).toEqual(['PROVIDERS'])
    expect(err.problems[0]).toContain('twice')
  })
})

describe('transport security', () => {
  it('when the issuer is plain http while APP_URL is https, then it is refused', () => {
    const err = configErrorOf(httpsEnv({ DEMO_ISSUER: 'http://id.example.com' }))
    expect(named(err)).toEqual(['DEMO_ISSUER'])
  })

  it('when the contacts URL is plain http while APP_URL is https, then it is refused', () => {
    const err = configErrorOf(httpsEnv({ DEMO_CONTACTS_URL: 'http://people.example.com' }))
    expect(named(err)).toEqual(['DEMO_CONTACTS_URL'])
  })

  it('when the issuer is plain http and APP_URL is http://localhost, then it is accepted', () => {
    const config = loadConfig(validEnv({ DEMO_ISSUER: 'http://127.0.0.1:4000' }))
    expect(config.providers[0]?.issuer.href).toBe('http://127.0.0.1:4000/')
  })

  it('when APP_URL is plain http on a host that is not loopback, then it is refused', () => {
    for (const appUrl of [
      'http://contacts.example.com',
      'http://localhost.example.com:3000',
      'http://127.0.0.1.nip.io:3000',
      'http://10.0.0.5:3000',
    ]) {
      const err = configErrorOf(validEnv({ APP_URL: appUrl }))
      expect(named(err)).toContain('APP_URL')
    }
  })

  it('when APP_URL is https and TRUST_PROXY is not set, then it is refused', () => {
    const err = configErrorOf(httpsEnv({ TRUST_PROXY: undefined }))
    expect(named(err)).toEqual(['TRUST_PROXY'])
  })

  it('when APP_URL is https and REDIS_URL is plain redis:// to another machine, then it is refused', () => {
    for (const url of [
      'redis://cache.internal:6379',
      'redis://:pw@10.0.0.7:6379/2',
      'redis://[fd00::7]',
    ]) {
      const err = configErrorOf(httpsEnv({ REDIS_URL: url }))
      expect(named(err)).toEqual(['REDIS_URL'])
      expect(err.problems[0]).toContain('rediss://')
      expect(err.message).not.toContain(':pw@')
    }
  })

  it('when APP_URL is https and REDIS_URL is rediss:// or on loopback, then it is accepted', () => {
    for (const url of [
      'rediss://cache.internal:6380',
      'redis://127.0.0.1:6379',
      'redis://127.10.0.3:6379',
      'redis://localhost:6379',
      'redis://LOCALHOST',
      'redis://[::1]:6379',
    ]) {
      expect(loadConfig(httpsEnv({ REDIS_URL: url })).redis.url).toBe(url)
    }
  })

  it('when APP_URL is https and DATABASE_URL to another machine lacks a verifying sslmode, then it is refused', () => {
    for (const url of [
      'postgres://importer:pw@db.internal/contacts',
      'postgres://importer:pw@db.internal/contacts?sslmode=disable',
      'postgres://importer:pw@db.internal/contacts?sslmode=allow',
      'postgres://importer:pw@db.internal/contacts?sslmode=prefer',
      'postgres://importer:pw@db.internal/contacts?sslmode=no-verify',
      // pg takes the last of repeated parameters.
      'postgres://importer:pw@db.internal/contacts?sslmode=verify-full&sslmode=disable',
      // A loopback name in the URL does not help when ?host= sends pg elsewhere.
      'postgres://importer:pw@localhost/contacts?host=db.internal',
      'postgres://importer:pw@127.0.0.1.nip.io/contacts',
    ]) {
      const err = configErrorOf(httpsEnv({ DATABASE_URL: url }))
      expect(named(err), url).toEqual(['DATABASE_URL'])
      expect(err.problems[0]).toContain('sslmode=verify-full')
      expect(err.message).not.toContain('pw')
    }
  })

  it('when APP_URL is https and DATABASE_URL verifies TLS, or stays on this machine, then it is accepted', () => {
    for (const url of [
      'postgres://importer:pw@db.internal/contacts?sslmode=require',
      'postgres://importer:pw@db.internal/contacts?sslmode=verify-ca',
      'postgresql://importer:pw@db.internal:5432/contacts?sslmode=verify-full',
      'postgres://importer:pw@127.0.0.1:5432/contacts',
      'postgres://importer:pw@localhost/contacts?sslmode=disable',
      'postgres://importer:pw@[::1]:5432/contacts',
      'postgres://importer@%2Fvar%2Frun%2Fpostgresql/contacts',
      'postgres://importer@ignored/contacts?host=/var/run/postgresql',
    ]) {
      expect(loadConfig(httpsEnv({ DATABASE_URL: url })).database.url, url).toBe(url)
    }
  })

  it('when APP_URL is http on localhost, then Redis and PostgreSQL may be plain (the demo and tests)', () => {
    const config = loadConfig(
      validEnv({
        REDIS_URL: 'redis://cache.internal:6379',
        DATABASE_URL: 'postgres://importer:pw@db.internal/contacts',
      }),
    )
    expect(config.redis.url).toBe('redis://cache.internal:6379')
  })

  it('when APP_URL is https and both links are plain, then both are listed with the other problems', () => {
    const err = configErrorOf(
      httpsEnv({
        REDIS_URL: 'redis://cache.internal:6379',
        DATABASE_URL: 'postgres://importer:pw@db.internal/contacts',
        SESSION_SECRET: 'too-short',
      }),
    )
    expect(named(err).sort()).toEqual(['DATABASE_URL', 'REDIS_URL', 'SESSION_SECRET'])
  })

  it('when APP_URL has a path, then it is refused', () => {
    for (const appUrl of ['https://example.com/contacts', 'http://localhost:3000/app/']) {
      const err = configErrorOf(httpsEnv({ APP_URL: appUrl }))
      expect(named(err)).toEqual(['APP_URL'])
    }
  })
})

describe('secrets from files (NAME_FILE)', () => {
  it('when SESSION_SECRET_FILE, TOKEN_ENCRYPTION_KEY_FILE and DEMO_CLIENT_SECRET_FILE point at files, then their trimmed contents are used', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'session'), `${'f'.repeat(40)}\n`)
    writeFileSync(join(dir, 'key'), `${KEY_B.toString('base64')}\n`)
    writeFileSync(join(dir, 'client'), 'from-a-file\n')

    const config = loadConfig(
      validEnv({
        SESSION_SECRET: undefined,
        SESSION_SECRET_FILE: join(dir, 'session'),
        TOKEN_ENCRYPTION_KEY: undefined,
        TOKEN_ENCRYPTION_KEY_FILE: join(dir, 'key'),
        DEMO_CLIENT_SECRET: undefined,
        DEMO_CLIENT_SECRET_FILE: join(dir, 'client'),
      }),
    )
    expect(config.session.secrets).toEqual(['f'.repeat(40)])
    expect(config.tokens.encryptionKeys).toEqual([KEY_B])
    expect(config.providers[0]?.clientSecret).toBe('from-a-file')
  })

  it('when both NAME and NAME_FILE are set, then it is an error naming the variable', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'session'), 'f'.repeat(40))
    const err = configErrorOf(validEnv({ SESSION_SECRET_FILE: join(dir, 'session') }))
    expect(named(err)).toEqual(['SESSION_SECRET'])
    expect(err.problems[0]).toContain('SESSION_SECRET_FILE')
  })

  it('when NAME_FILE cannot be read, then the error names that variable and nothing is reported twice', () => {
    const missing = join(tempDir(), 'does-not-exist')
    const err = configErrorOf(
      validEnv({ TOKEN_ENCRYPTION_KEY: undefined, TOKEN_ENCRYPTION_KEY_FILE: missing }),
    )
    expect(named(err)).toEqual(['TOKEN_ENCRYPTION_KEY_FILE'])
    expect(err.problems[0]).toContain(missing)
  })

  it('when a provider client secret file cannot be read, then the error names DEMO_CLIENT_SECRET_FILE', () => {
    const err = configErrorOf(
      validEnv({
        DEMO_CLIENT_SECRET: undefined,
        DEMO_CLIENT_SECRET_FILE: join(tempDir(), 'nope'),
      }),
    )
    expect(named(err)).toEqual(['DEMO_CLIENT_SECRET_FILE'])
  })
})

describe('key rotation', () => {
  it('when SESSION_SECRET and TOKEN_ENCRYPTION_KEY are comma-separated lists, then they become arrays in order', () => {
    const newSecret = 'n'.repeat(32)
    const oldSecret = 'o'.repeat(48)
    const config = loadConfig(
      validEnv({
        SESSION_SECRET: `${newSecret}, ${oldSecret}`,
        TOKEN_ENCRYPTION_KEY: `${KEY_B.toString('base64')},${KEY_A.toString('base64')}`,
      }),
    )
    expect(config.session.secrets).toEqual([newSecret, oldSecret])
    expect(config.tokens.encryptionKeys).toEqual([KEY_B, KEY_A])
  })

  it('when one secret of the list is too short, then the list is refused', () => {
    const err = configErrorOf(validEnv({ SESSION_SECRET: `${SESSION_SECRET},short` }))
    expect(named(err)).toEqual(['SESSION_SECRET'])
  })

  it('when one key of the list is not 32 bytes, then the list is refused', () => {
    const err = configErrorOf(
      validEnv({
        TOKEN_ENCRYPTION_KEY: `${KEY_A.toString('base64')},${Buffer.alloc(31).toString('base64')}`,
      }),
    )
    expect(named(err)).toEqual(['TOKEN_ENCRYPTION_KEY'])
  })
})

describe('readEnv', () => {
  it('when .env exists in the directory, then it fills in what the environment does not set and real values win', () => {
    const dir = tempDir()
    writeFileSync(
      join(dir, '.env'),
      '# comment\nPROVIDERS=demo\nLOG_LEVEL=debug\nPORT=4000\nDEMO_LABEL="Demo Provider"\n',
    )
    const env = readEnv({ PORT: '5000', SESSION_SECRET }, dir)
    expect(env.PORT).toBe('5000')
    expect(env.LOG_LEVEL).toBe('debug')
    expect(env.PROVIDERS).toBe('demo')
    expect(env.DEMO_LABEL).toBe('Demo Provider')
    expect(env.SESSION_SECRET).toBe(SESSION_SECRET)
  })

  it('when the directory has no .env, then the environment is returned as it is', () => {
    const env = readEnv({ PORT: '5000' }, tempDir())
    expect(env).toEqual({ PORT: '5000' })
  })

  it('when .env and the environment together are complete, then loadConfig accepts them', () => {
    const dir = tempDir()
    const { SESSION_SECRET: secret, ...rest } = validEnv({ LOG_LEVEL: 'warn' })
    writeFileSync(
      join(dir, '.env'),
      Object.entries(rest)
        .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
        .join('\n'),
    )
    const config = loadConfig(readEnv({ SESSION_SECRET: secret, LOG_LEVEL: 'error' }, dir))
    expect(config.logLevel).toBe('error')
    expect(config.providers[0]?.clientSecret).toBe('demo: 100% s3cret +/&=? ~')
  })
})

describe('the import worker', () => {
  it('when nothing is set, then the worker runs inside the web process, 4 imports at once, with no periodic sync', () => {
    expect(loadConfig(validEnv()).worker).toEqual({
      enabled: true,
      concurrency: 4,
      syncEveryHours: undefined,
    })
  })

  it('when WORKER=off, WORKER_CONCURRENCY and SYNC_EVERY_HOURS are set, then they are read as given', () => {
    const config = loadConfig(
      validEnv({ WORKER: 'off', WORKER_CONCURRENCY: '8', SYNC_EVERY_HOURS: '24' }),
    )
    expect(config.worker).toEqual({ enabled: false, concurrency: 8, syncEveryHours: 24 })
    expect(loadConfig(validEnv({ SYNC_EVERY_HOURS: 'off' })).worker.syncEveryHours).toBe(undefined)
  })

  it('when the values are wrong, then each is named with what it must be, all in one report', () => {
    const err = configErrorOf(
      validEnv({ WORKER: 'yes', WORKER_CONCURRENCY: 'four', SYNC_EVERY_HOURS: '0.5' }),
    )
    expect(err.problems).toEqual([
      'WORKER: must be "on" or "off"',
      'WORKER_CONCURRENCY: must be a whole number from 1 to 64',
      'SYNC_EVERY_HOURS: must be "off" or a whole number of hours from 1 to 8760',
    ])
  })
})

describe('provider presets (google, microsoft)', () => {
  /** An https deployment whose only providers are the listed ones, with nothing else set. */
  function presetEnv(overrides: Env): Env {
    return {
      APP_URL: 'https://contacts.example.com',
      TRUST_PROXY: '1',
      SESSION_SECRET,
      TOKEN_ENCRYPTION_KEY: KEY_A.toString('base64'),
      ...overrides,
    }
  }
  const only = (config: ReturnType<typeof loadConfig>) => {
    expect(config.providers).toHaveLength(1)
    return config.providers[0]
  }

  it("when PROVIDERS=google has only its client id and secret, then issuer, scopes, parameters, API and label are Google's", () => {
    const google = only(
      loadConfig(
        presetEnv({
          PROVIDERS: 'google',
          GOOGLE_CLIENT_ID: 'g-client.apps.googleusercontent.com',
          GOOGLE_CLIENT_SECRET: 'GOCSPX-secret',
        }),
      ),
    )
    expect(google).toEqual({
      id: 'google',
      label: 'Google',
      issuer: new URL('https://accounts.google.com'),
      clientId: 'g-client.apps.googleusercontent.com',
      clientSecret: 'GOCSPX-secret',
      scopes: ['openid', 'email', 'profile', 'https://www.googleapis.com/auth/contacts.readonly'],
      contactsScopes: ['https://www.googleapis.com/auth/contacts.readonly'],
      contactsApi: 'people',
      contactsUrl: new URL('https://people.googleapis.com'),
      resource: undefined,
      authParams: [
        ['access_type', 'offline'],
        ['prompt', 'consent'],
        ['include_granted_scopes', 'true'],
      ],
      redirectUri: new URL('https://contacts.example.com/auth/callback/google'),
      pkceDocumented: false,
    })
  })

  it('when PROVIDERS=microsoft has only its client id and secret, then it signs in through the common tenant and reads Graph', () => {
    const microsoft = only(
      loadConfig(
        presetEnv({
          PROVIDERS: 'microsoft',
          MICROSOFT_CLIENT_ID: '00000000-1111-2222-3333-444444444444',
          MICROSOFT_CLIENT_SECRET: 'Abc8Q~secret',
        }),
      ),
    )
    expect(microsoft).toEqual({
      id: 'microsoft',
      label: 'Microsoft',
      issuer: new URL('https://login.microsoftonline.com/common/v2.0'),
      clientId: '00000000-1111-2222-3333-444444444444',
      clientSecret: 'Abc8Q~secret',
      scopes: ['openid', 'email', 'profile', 'offline_access', 'Contacts.Read'],
      contactsScopes: ['Contacts.Read'],
      contactsApi: 'graph',
      contactsUrl: new URL('https://graph.microsoft.com'),
      resource: undefined,
      authParams: [],
      redirectUri: new URL('https://contacts.example.com/auth/callback/microsoft'),
      // Entra documents PKCE but its discovery document does not list it.
      pkceDocumented: true,
    })
  })

  it("when MICROSOFT_TENANT names an audience, a directory id or a domain, then the issuer is that tenant's", () => {
    const cases = [
      ['organizations', 'organizations'],
      ['consumers', 'consumers'],
      ['8EAEF023-2B34-4DA1-9BAA-8BC8C9D6A490', '8eaef023-2b34-4da1-9baa-8bc8c9d6a490'],
      ['contoso.onmicrosoft.com', 'contoso.onmicrosoft.com'],
      [' Contoso.com ', 'contoso.com'],
    ]
    for (const [tenant, segment] of cases) {
      const microsoft = only(
        loadConfig(
          presetEnv({
            PROVIDERS: 'microsoft',
            MICROSOFT_CLIENT_ID: 'm-client',
            MICROSOFT_CLIENT_SECRET: 'm-secret',
            MICROSOFT_TENANT: tenant,
          }),
        ),
      )
      expect(microsoft?.issuer.href).toBe(`https://login.microsoftonline.com/${segment}/v2.0`)
    }
  })

  it('when MICROSOFT_TENANT is not a tenant, then it is the one problem reported, saying what a tenant looks like', () => {
    for (const tenant of [
      'contoso',
      '{tenantid}',
      'common/../../evil.example',
      'evil.example/x',
      'evil.example?x=1',
      '8eaef023-2b34-4da1-9baa',
      'two words.com',
    ]) {
      const err = configErrorOf(
        presetEnv({
          PROVIDERS: 'microsoft',
          MICROSOFT_CLIENT_ID: 'm-client',
          MICROSOFT_CLIENT_SECRET: 'm-secret',
          MICROSOFT_TENANT: tenant,
        }),
      )
      expect(named(err), tenant).toEqual(['MICROSOFT_TENANT'])
      expect(err.problems[0]).toContain('common, organizations, consumers')
    }
  })

  it('when a generic variable is set for a preset provider, then it wins over the preset value', () => {
    const [google, microsoft] = loadConfig(
      presetEnv({
        PROVIDERS: 'google,microsoft',
        GOOGLE_CLIENT_ID: 'g-client',
        GOOGLE_CLIENT_SECRET: 'g-secret',
        GOOGLE_ISSUER: 'https://accounts.example.com',
        GOOGLE_SCOPES: 'openid email https://www.googleapis.com/auth/contacts',
        GOOGLE_AUTH_PARAMS: 'access_type=offline&hd=example.com',
        GOOGLE_CONTACTS_URL: 'https://people.example.com',
        GOOGLE_LABEL: 'Example Workspace',
        GOOGLE_RESOURCE: 'https://people.example.com/',
        MICROSOFT_CLIENT_ID: 'm-client',
        MICROSOFT_CLIENT_SECRET: 'm-secret',
        MICROSOFT_TENANT: 'organizations',
        MICROSOFT_ISSUER: 'https://login.microsoftonline.com/contoso.com/v2.0',
        MICROSOFT_CONTACTS_API: 'people',
        MICROSOFT_CONTACTS_URL: 'https://contacts.example.com',
      }),
    ).providers
    expect(google).toMatchObject({
      issuer: new URL('https://accounts.example.com'),
      scopes: ['openid', 'email', 'https://www.googleapis.com/auth/contacts'],
      contactsScopes: ['https://www.googleapis.com/auth/contacts'],
      authParams: [
        ['access_type', 'offline'],
        ['hd', 'example.com'],
      ],
      contactsUrl: new URL('https://people.example.com'),
      label: 'Example Workspace',
      resource: 'https://people.example.com/',
    })
    expect(microsoft).toMatchObject({
      issuer: new URL('https://login.microsoftonline.com/contoso.com/v2.0'),
      contactsApi: 'people',
      contactsUrl: new URL('https://contacts.example.com'),
      label: 'Microsoft',
    })
  })

  it('when a preset value is overridden with a bad one, then the generic variable is named as for any provider', () => {
    const err = configErrorOf(
      presetEnv({
        PROVIDERS: 'google',
        GOOGLE_CLIENT_ID: 'g-client',
        GOOGLE_CLIENT_SECRET: 'g-secret',
        GOOGLE_SCOPES: 'email profile',
        GOOGLE_AUTH_PARAMS: 'redirect_uri=https://evil.example',
        GOOGLE_ISSUER: 'http://accounts.google.com',
      }),
    )
    expect(named(err).sort()).toEqual(['GOOGLE_AUTH_PARAMS', 'GOOGLE_ISSUER', 'GOOGLE_SCOPES'])
  })

  it('when a preset provider lacks its client id or secret, then exactly those are named; a secret may come from a file', () => {
    const err = configErrorOf(presetEnv({ PROVIDERS: 'google,microsoft' }))
    expect(named(err).sort()).toEqual([
      'GOOGLE_CLIENT_ID',
      'GOOGLE_CLIENT_SECRET',
      'MICROSOFT_CLIENT_ID',
      'MICROSOFT_CLIENT_SECRET',
    ])

    const file = join(tempDir(), 'microsoft-secret')
    writeFileSync(file, 'from-a-file\n')
    const microsoft = only(
      loadConfig(
        presetEnv({
          PROVIDERS: 'microsoft',
          MICROSOFT_CLIENT_ID: 'm-client',
          MICROSOFT_CLIENT_SECRET_FILE: file,
        }),
      ),
    )
    expect(microsoft?.clientSecret).toBe('from-a-file')
  })

  it('when another id is listed, then no preset applies to it, whatever its name or variables', () => {
    for (const id of ['work', 'google2', 'constructor', 'tostring']) {
      const name = id.toUpperCase()
      const err = configErrorOf(
        presetEnv({
          PROVIDERS: id,
          [`${name}_CLIENT_ID`]: 'c',
          [`${name}_CLIENT_SECRET`]: 's',
          [`${name}_TENANT`]: 'not a tenant',
        }),
      )
      expect(named(err).sort(), id).toEqual([
        `${name}_CONTACTS_URL`,
        `${name}_ISSUER`,
        `${name}_SCOPES`,
      ])
    }
    const demo = only(loadConfig(validEnv()))
    expect(demo?.pkceDocumented).toBe(false)
    expect(demo?.contactsScopes).toEqual(['contacts.read'])
  })

  it('when the scopes are only sign-in scopes, then they are refused: no grant could prove the contacts permission', () => {
    const err = configErrorOf(validEnv({ DEMO_SCOPES: 'openid email profile offline_access' }))
    expect(named(err)).toEqual(['DEMO_SCOPES'])
    expect(err.problems[0]).toContain("contacts API's scope")
  })
})
