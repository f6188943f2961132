// Fetching and writing overlap, one page ahead and no more.
import { describe, expect, it } from 'vitest'
import { createRequestGate, writeAhead } from '../../src/imports/page-pipeline.ts'

/** A reader of `count` pages that records when each fetch starts and ends. */
function reader(count: number, log: string[], fetchMs = 5) {
  return (async function* () {
    for (let page = 1; page <= count; page++) {
      log.push(`fetch ${page}`)
      await new Promise((resolve) => setTimeout(resolve, fetchMs))
      log.push(`fetched ${page}`)
      yield page
    }
  })()
}

describe('writeAhead', () => {
  it('when page n is being written, then page n+1 is being fetched, and never page n+2', async () => {
    const log: string[] = []
    const outcome = await writeAhead(reader(3, log), async (page) => {
      log.push(`write ${page}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
      log.push(`written ${page}`)
    })

    expect(outcome).toBe('done')
    // Page n+1 is asked for as page n's write begins, page n+2 only once page n is written.
    expect(log).toEqual([
      'fetch 1',
      'fetched 1',
      'fetch 2',
      'write 1',
      'fetched 2',
      'written 1',
      'fetch 3',
      'write 2',
      'fetched 3',
      'written 2',
      'write 3',
      'written 3',
    ])
  })

  it('when a stop is asked for, then the page being written is finished and nothing after it is written', async () => {
    const log: string[] = []
    const controller = new AbortController()
    const outcome = await writeAhead(
      reader(5, log, 30),
      async (page) => {
        log.push(`write ${page}`)
        if (page === 2) controller.abort()
        await new Promise((resolve) => setTimeout(resolve, 5))
        log.push(`written ${page}`)
      },
      controller.signal,
    )

    expect(outcome).toBe('stopped')
    expect(log.filter((l) => l.startsWith('writ'))).toEqual([
      'write 1',
      'written 1',
      'write 2',
      'written 2',
    ])
  })

  it('when the page ahead fails while one is written, then the failure comes after that write, not unhandled', async () => {
    const written: number[] = []
    const pages = (async function* () {
      yield 1
      throw new Error('page 2 failed')
    })()
    await expect(
      writeAhead(pages, async (page) => {
        await new Promise((resolve) => setTimeout(resolve, 10))
        written.push(page)
      }),
    ).rejects.toThrow('page 2 failed')
    expect(written).toEqual([1])
  })

  it('when the run is stopped before the first page came, then its failure is not unhandled', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const stop = new AbortController()
      stop.abort()
      const pages = (async function* () {
        // The first read waits (a backoff after a 429), and its wait is aborted.
        await new Promise((resolve) => setTimeout(resolve, 5))
        throw new DOMException('This operation was aborted', 'AbortError')
      })()
      const written: unknown[] = []
      const outcome = await writeAhead(
        pages,
        async (page) => {
          written.push(page)
        },
        stop.signal,
      )
      await new Promise((resolve) => setTimeout(resolve, 30))

      expect(outcome).toBe('stopped')
      expect(written).toEqual([])
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('when the next page’s request waits for its access token, then the write of this page starts only once that request is out', async () => {
    const log: string[] = []
    const gate = createRequestGate()
    const pages = (async function* () {
      for (let page = 1; page <= 3; page++) {
        // The access token's round trips, then the request.
        await new Promise((resolve) => setTimeout(resolve, 15))
        log.push(`request ${page}`)
        gate.sent()
        await new Promise((resolve) => setTimeout(resolve, 5))
        yield page
      }
    })()
    const outcome = await writeAhead(
      pages,
      async (page) => {
        log.push(`write ${page}`)
      },
      undefined,
      gate,
    )

    expect(outcome).toBe('done')
    // The last page has no request after it: its write goes ahead at once.
    expect(log).toEqual(['request 1', 'request 2', 'write 1', 'request 3', 'write 2', 'write 3'])
  })

  it('when the read ahead fails before any request, then the write is not held up, and the failure comes after it', async () => {
    const written: number[] = []
    const gate = createRequestGate()
    const pages = (async function* () {
      gate.sent()
      yield 1
      throw new Error('no access token')
    })()
    await expect(
      writeAhead(
        pages,
        async (page) => {
          written.push(page)
        },
        undefined,
        gate,
      ),
    ).rejects.toThrow('no access token')
    expect(written).toEqual([1])
  })

  it('when a page arrives while the page before it is being written, then it is handed ahead at once; one arriving between writes is not', async () => {
    const log: string[] = []
    const pages = (async function* () {
      // Page 2 comes back quickly (during write 1); page 3 slowly (after write 2 is done).
      for (const [page, fetchMs] of [
        [1, 1],
        [2, 5],
        [3, 60],
      ] as const) {
        await new Promise((resolve) => setTimeout(resolve, fetchMs))
        yield page
      }
    })()
    const outcome = await writeAhead(
      pages,
      async (page) => {
        log.push(`write ${page}`)
        await new Promise((resolve) => setTimeout(resolve, 30))
        log.push(`written ${page}`)
      },
      undefined,
      undefined,
      (page) => log.push(`ahead ${page}`),
    )

    expect(outcome).toBe('done')
    expect(log).toEqual([
      'write 1',
      'ahead 2',
      'written 1',
      'write 2',
      'written 2',
      'write 3',
      'written 3',
    ])
  })
})
