// Requests that Node's HTTP parser refuses before Express ever sees them: a header block
// over the 16 kB limit, Content-Length together with Transfer-Encoding (request
// smuggling), a broken chunk or request line, a header or request deadline that passed.
// Node's own answer has no body at all; this one says what happened in one line of text,
// so a person with too many cookies sees more than a blank page. It never shows the
// parser's message (it quotes the request), and it is logged at debug only: a client's
// mistake or a probe, not a fault of ours. (A request without Host is refused by Node's
// server itself, with a bare 400, and never reaches this handler.)
import type { Duplex } from 'node:stream'
import type { Logger } from '../log.ts'

const ANSWERS: Record<string, { status: number; reason: string; text: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    text: 'The request headers are too large. Clearing this site’s cookies may help.',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    reason: 'Content Too Large',
    text: 'The request is too large.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'Request Timeout',
    text: 'The request took too long to arrive.',
  },
}
const BAD_REQUEST = { status: 400, reason: 'Bad Request', text: 'The request could not be read.' }

export function answerClientError(log: Logger) {
  return (err: NodeJS.ErrnoException, socket: Duplex & { bytesWritten?: number }) => {
    log.debug({ code: err.code }, 'request refused by the HTTP parser')
    // As Node itself does: nothing to say on a connection that is gone, or once part of a
    // response was written (a deadline passing on a keep-alive connection).
    if (err.code === 'ECONNRESET' || !socket.writable || (socket.bytesWritten ?? 0) > 0) {
      socket.destroy()
      return
    }
    const answer = (err.code && ANSWERS[err.code]) || BAD_REQUEST
    const body = `${answer.text}\n`
    socket.end(
      [
        `HTTP/1.1 ${answer.status} ${answer.reason}`,
        'Content-Type: text/plain; charset=utf-8',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Cache-Control: no-store',
        'X-Content-Type-Options: nosniff',
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
      // Closed once written: the client has no say in how long the connection stays.
      () => socket.destroy(),
    )
  }
}
