// Guards the demo contacts RS: RFC 6750 bearer credentials carrying RFC 9068 JWT access tokens.
// - Credentials only in the Authorization header. A token in the URI (RFC 6750 §2.3) ends up in
//   logs and history, and more than one method in a request is invalid_request (§2); the form-body
//   method (§2.2) is refused too, so every other method answers invalid_request.
// - jose checks signature, pinned alg, typ at+jwt, exact iss and aud, exp with a small leeway and
//   the RFC 9068 §2.2 required claims (oauth-client-security.md §8.2).
// - A sender-constrained token (cnf) must not be usable as a plain bearer token (RFC 9449 §7.2,
//   RFC 8705 §3).
// - error_description is a fixed string: RFC 6750 §3 forbids '"' and '\' in it, and jose's
//   messages contain quotes. Tokens are secrets and are never logged (RFC 9700 §4.9.3).
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { JWTPayload, JWTVerifyGetKey } from 'jose'
import { errors, jwtVerify } from 'jose'
import type { GoogleErrorBody } from './google-errors.ts'
import { googleErrors, sendGoogleError } from './google-errors.ts'

export interface BearerAuthOptions {
  issuer: string
  audience: string
  keys: JWTVerifyGetKey
  /** The scope the token must carry; with a list, any one of them (Graph: Contacts.Read or ReadWrite). */
  requiredScope: string | readonly string[]
  clockToleranceSeconds: number
  realm?: string
  /** The body of each refusal, in the API's own error shape; Google's by default. */
  refusals?: BearerRefusals
}

export type BearerRefusal = 'missing' | 'malformed' | 'invalid' | 'scope' | 'unavailable'
/** Sends the refusal's status and body; the WWW-Authenticate challenge is already set. */
export type BearerRefusals = (res: Response, refusal: BearerRefusal) => void

const GOOGLE_BODIES = {
  missing: googleErrors.credentialsMissing,
  malformed: googleErrors.malformedCredentials,
  invalid: googleErrors.invalidCredentials,
  scope: googleErrors.scopeInsufficient,
  unavailable: googleErrors.unavailable,
} satisfies Record<BearerRefusal, () => GoogleErrorBody>

const googleRefusals: BearerRefusals = (res, refusal) =>
  sendGoogleError(res, GOOGLE_BODIES[refusal]())

/** What a valid access token grants; read it with `readGrant(res)`. */
export interface AccessGrant {
  sub: string
  clientId: string
  scopes: ReadonlySet<string>
}

// RFC 6750 §2.1 b64token
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

// jose failures that mean "this token is not acceptable" (RFC 6750 §3.1 invalid_token). Anything
// else jose or fetch throws while resolving keys is our side failing: answer 503, not 401, so the
// client does not throw away a good token.
const TOKEN_REJECTED = new Set<string>([
  errors.JWTExpired.code,
  errors.JWTClaimValidationFailed.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JWSInvalid.code,
  errors.JWTInvalid.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
])

type Credentials = { kind: 'none' } | { kind: 'malformed' } | { kind: 'bearer'; token: string }

function readCredentials(req: Request): Credentials {
  const query = new URL(req.originalUrl, 'http://rs.invalid').searchParams
  const body: unknown = req.body
  const inBody = typeof body === 'object' && body !== null && Object.hasOwn(body, 'access_token')
  if (query.has('access_token') || inBody) return { kind: 'malformed' }

  const header = req.headers.authorization
  if (header === undefined) return { kind: 'none' }
  const [scheme = '', ...rest] = header.split(' ')
  if (scheme.toLowerCase() !== 'bearer') return { kind: 'none' }
  const parts = rest.filter((part) => part !== '')
  const token = parts[0]
  if (parts.length !== 1 || token === undefined || !B64TOKEN.test(token)) {
    return { kind: 'malformed' }
  }
  return { kind: 'bearer', token }
}

function scopesOf(payload: JWTPayload): Set<string> {
  return new Set(typeof payload.scope === 'string' ? payload.scope.split(' ') : [])
}

export function readGrant(res: Response): AccessGrant | undefined {
  return res.locals.accessGrant as AccessGrant | undefined
}

export function createBearerAuth(options: BearerAuthOptions): RequestHandler {
  const realm = `Bearer realm="${options.realm ?? 'contacts'}"`
  const verifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    typ: 'at+jwt',
    algorithms: ['RS256'],
    requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'],
    clockTolerance: options.clockToleranceSeconds,
  }

  const refuse = options.refusals ?? googleRefusals
  const required =
    typeof options.requiredScope === 'string' ? [options.requiredScope] : options.requiredScope
  function deny(res: Response, challenge: string, refusal: BearerRefusal): void {
    res.set('WWW-Authenticate', challenge)
    refuse(res, refusal)
  }
  const invalidToken = (res: Response) =>
    deny(
      res,
      `${realm}, error="invalid_token", error_description="The access token is invalid or expired"`,
      'invalid',
    )

  return async function bearerAuth(req: Request, res: Response, next: NextFunction) {
    const credentials = readCredentials(req)
    // RFC 6750 §3: no error code when the request carried no authentication information.
    if (credentials.kind === 'none') return deny(res, realm, 'missing')
    if (credentials.kind === 'malformed') {
      return deny(
        res,
        `${realm}, error="invalid_request", error_description="Malformed or duplicated credentials"`,
        'malformed',
      )
    }

    let payload: JWTPayload
    try {
      payload = (await jwtVerify(credentials.token, options.keys, verifyOptions)).payload
    } catch (err) {
      if (err instanceof errors.JOSEError && TOKEN_REJECTED.has(err.code)) return invalidToken(res)
      if (err instanceof errors.JOSEError || err instanceof TypeError) {
        return refuse(res, 'unavailable')
      }
      throw err
    }

    if (
      payload.cnf !== undefined ||
      typeof payload.sub !== 'string' ||
      payload.sub === '' ||
      typeof payload.client_id !== 'string'
    ) {
      return invalidToken(res)
    }
    // RFC 6750 §3.1 insufficient_scope: 403, and name the scope that would do.
    const scopes = scopesOf(payload)
    if (!required.some((scope) => scopes.has(scope))) {
      return deny(
        res,
        `${realm}, error="insufficient_scope", scope="${required.join(' ')}"`,
        'scope',
      )
    }

    const grant: AccessGrant = {
      sub: payload.sub,
      clientId: payload.client_id,
      scopes: scopesOf(payload),
    }
    res.locals.accessGrant = grant
    next()
  }
}
