// Fetching and writing overlap, one page ahead and no more.

import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createRequestGate, MAX_SEND_WAIT_MS, writeAhead } from '../../src/imports/page-pipeline.ts'

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

  it('when the next page is fetched from a slow provider, then the write starts once its request is on the wire, not when the answer comes', async () => {
    const log: string[] = []
    const server = createServer((_req, res) => {
      log.push('provider got the request')
      setTimeout(() => res.end('{}'), 300)
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const gate = createRequestGate({ origin })
      const pages = (async function* () {
        yield 1
        gate.sent()
        const answer = await fetch(`${origin}/page/2`)
        await answer.text()
        log.push('page 2 arrived')
        yield 2
      })()
      const started = performance.now()
      let firstWriteAt = 0
      await writeAhead(
        pages,
        async (page) => {
          if (page === 1) firstWriteAt = performance.now() - started
          log.push(`write ${page}`)
        },
        undefined,
        gate,
      )

      expect(log).toEqual(['write 1', 'provider got the request', 'page 2 arrived', 'write 2'])
      // On the wire within a few turns of the event loop, far below the provider's 300 ms.
      expect(firstWriteAt).toBeLessThan(150)
    } finally {
      server.close()
    }
  })

  it('when the request goes out by a fetch that says nothing, then the write waits at most the cap', async () => {
    const gate = createRequestGate({ origin: 'http://127.0.0.1:9' })
    const pages = (async function* () {
      yield 1
      gate.sent()
      await new Promise((resolve) => setTimeout(resolve, 1000))
      yield 2
    })()
    const started = performance.now()
    let firstWriteAt = 0
    await writeAhead(
      pages,
      async (page) => {
        if (page === 1) firstWriteAt = performance.now() - started
      },
      undefined,
      gate,
    )

    expect(firstWriteAt).toBeGreaterThanOrEqual(MAX_SEND_WAIT_MS - 5)
    expect(firstWriteAt).toBeLessThan(500)
  })
})
