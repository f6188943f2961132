// The demo servers' request logs, which the tests and the benchmark read. Bounded, because
// the demo runs for days on people's machines and would otherwise keep every request it ever
// saw. Still an array (tests filter, map and index it), but old entries leave from the front,
// so an index taken earlier moves: to read "the requests after this point", take mark() and
// ask since(mark), never slice(length).

/** Entries a log keeps: the most recent ones. */
export const REQUEST_LOG_LIMIT = 1_000

export class RequestLog<T> extends Array<T> {
  // filter(), map(), slice()… build plain arrays: they must not trim, nor call our constructor
  // with Array's (length) signature.
  static override get [Symbol.species](): ArrayConstructor {
    return Array
  }

  // Private fields, not properties: an array's own properties would take part in toEqual().
  readonly #limit: number
  #dropped = 0

  constructor(limit = REQUEST_LOG_LIMIT) {
    super()
    if (!Number.isInteger(limit) || limit < 1) {
      throw new TypeError(`a request log needs a positive integer limit, got ${limit}`)
    }
    this.#limit = limit
  }

  override push(...entries: T[]): number {
    super.push(...entries)
    const excess = this.length - this.#limit
    if (excess > 0) {
      super.splice(0, excess)
      this.#dropped += excess
    }
    return this.length
  }

  /** A position in the log that stays valid while entries leave: how many were ever logged. */
  mark(): number {
    return this.#dropped + this.length
  }

  /** The entries logged after `mark`. Throws when some of them have left the log already. */
  since(mark: number): T[] {
    if (mark < this.#dropped) {
      throw new RangeError(
        `${this.#dropped - mark} of the requests since this mark have left the log (it keeps the last ${this.#limit})`,
      )
    }
    return this.slice(mark - this.#dropped)
  }
}
