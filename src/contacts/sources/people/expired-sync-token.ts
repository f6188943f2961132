// Whether People refused a sync token because it expired (contacts-apis.md §3.3, adapter
// rule): HTTP 400 with an ErrorInfo reason EXPIRED_SYNC_TOKEN, or the legacy HTTP 410, or a
// message starting "Sync token is expired". Captured responses disagree on the `status`
// string (FAILED_PRECONDITION or INVALID_ARGUMENT), so it is never looked at. Expiry is
// common and harmless; handlers written only for 410 loop forever on Google's 400.
import { isObject, list, str } from './json.ts'

export const EXPIRED_SYNC_TOKEN_REASON = 'EXPIRED_SYNC_TOKEN'
const EXPIRED_MESSAGE = /^Sync token is expired/

/** `body` is the parsed error body, or undefined when there was none to read. */
export function isExpiredSyncToken(status: number, body: unknown): boolean {
  if (status === 410) return true
  if (status !== 400) return false
  const error = isObject(body) && isObject(body.error) ? body.error : undefined
  if (!error) return false
  // google.rpc.Status details, and the legacy `errors[]` form some responses still carry.
  const reasons = [...list(error.details), ...list(error.errors)].map((d) => str(d.reason))
  return (
    reasons.includes(EXPIRED_SYNC_TOKEN_REASON) || EXPIRED_MESSAGE.test(str(error.message) ?? '')
  )
}
