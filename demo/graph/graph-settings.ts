// The Graph fake's switches (contacts-apis.md §8.3–8.5), changed by tests while it runs.
export interface GraphSettings {
  /** `$top` above 1000 is clamped instead of a 400. */
  clampTop: boolean
  /** List nextLinks carry an opaque `$skiptoken` instead of `$top`/`$skip`. */
  opaqueNextLinks: boolean
  /** The first page of an initial delta round is empty, with a nextLink (real, per M4). */
  emitEmptyIntermediatePage: boolean
  /** Updated contacts come in delta answers with only their changed properties. */
  partialUpdates: boolean
  /** The last item of each delta page comes twice. */
  replayLastChange: boolean
  /** `@removed.reason` of deletions and moves. */
  removedReason: 'deleted' | 'changed'
  /** How a delta token that is no longer known is answered (all 410). */
  expiredAnswer: 'SyncStateNotFound' | 'resyncRequired' | 'location'
  /** Delta tokens older than this are expired; default never (Outlook's TTL is not fixed). */
  deltaTokenTtlMs: number
  /** Page size of delta without `Prefer: odata.maxpagesize`; and its maximum (200). */
  deltaDefaultPageSize: number
  deltaMaxPageSize: number
  /** Time per 1,000 contacts on a page, ms. */
  pageLatencyMs: number
}

export const defaultGraphSettings = (): GraphSettings => ({
  clampTop: false,
  opaqueNextLinks: false,
  emitEmptyIntermediatePage: false,
  partialUpdates: false,
  replayLastChange: false,
  removedReason: 'deleted',
  expiredAnswer: 'SyncStateNotFound',
  deltaTokenTtlMs: Number.POSITIVE_INFINITY,
  deltaDefaultPageSize: 10,
  deltaMaxPageSize: 200,
  pageLatencyMs: 0,
})
