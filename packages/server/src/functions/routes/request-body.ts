// The request body of a function call. Small bodies (a Content-Length of at most 64 KB: most
// JSON calls) are read whole, so they travel to the function in one frame. Larger bodies,
// and chunked ones of unknown length, are streamed: the function starts at once and reads
// `request.body` as the client sends it, with backpressure (the client is slowed, not
// buffered). The limit (server.body_limits.bulk_limit) holds either way: a Content-Length
// over it is refused before the function starts, and a streamed body that outgrows it is cut
// (the function's body read fails) and the call answered 413.
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';

/** Bodies up to this Content-Length are read whole before the function starts. */
export const INLINE_BODY_BYTES = 64 * 1024;

/** A streamed body; `exceeded` once it outgrew the limit (then it errors with `tooLarge()`). */
export class LimitedBody extends PassThrough {
  exceeded = false;

  constructor(readonly tooLarge: () => Error) {
    super();
    // Errors reach the runtime's listeners; none may crash the server when nobody reads.
    this.on('error', () => {});
  }

  /** The call is answered: whatever is left is read and dropped, so the connection can serve its next request. */
  drain(): void {
    this.resume();
  }
}

export function readRequestBody(raw: IncomingMessage, payload: Readable, limit: number, tooLarge: () => Error): Promise<Buffer | LimitedBody> {
  const header = raw.headers['content-length'];
  const length = header === undefined ? undefined : Number(header);
  if (length !== undefined && length > limit) return Promise.reject(tooLarge());
  if (length !== undefined && length <= INLINE_BODY_BYTES) return readWhole(payload);
  return Promise.resolve(streamLimited(payload, limit, tooLarge));
}

/** Node's parser holds a body to its Content-Length, so this is at most INLINE_BODY_BYTES. */
function readWhole(payload: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    payload.on('data', (c: Buffer) => chunks.push(c));
    payload.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    payload.once('error', reject);
  });
}

function streamLimited(payload: Readable, limit: number, tooLarge: () => Error): LimitedBody {
  const out = new LimitedBody(tooLarge);
  let total = 0;
  payload.on('data', (chunk: Buffer) => {
    if (out.exceeded || out.destroyed) return; // dropped: the call is answered or refused
    total += chunk.length;
    if (total > limit) {
      out.exceeded = true;
      out.destroy(tooLarge());
      return;
    }
    if (!out.write(chunk)) payload.pause();
  });
  out.on('drain', () => payload.resume());
  out.on('close', () => payload.resume());
  payload.once('end', () => out.end());
  payload.once('error', (e) => out.destroy(e));
  payload.once('close', () => {
    if (!payload.readableEnded) out.destroy(new Error('the client closed the connection before the request body ended'));
  });
  return out;
}
