// Node's side of the warm worker socket protocol (warm-bootstrap-source.ts): 8-byte
// prefix (u32 head length, u32 body length, big-endian), JSON head, raw body. A request
// whose body is streamed has `stream: true` in its head and is followed by `{chunk: true}`
// frames and one `{end: true}` frame (with `error` when the body failed or was abandoned).
import { type Socket } from 'node:net';
import type { Readable } from 'node:stream';

/** A head larger than this is a protocol violation, not a response. */
const MAX_HEAD_BYTES = 16 * 1024 * 1024;

export interface WarmRequestHead {
  method: string;
  url: string;
  headers: Record<string, string>;
  context: Record<string, unknown>;
  env: Record<string, string>;
  nonce: string;
  stream?: true;
}

/** The frames after a streamed request's head. */
export type WarmRequestBodyHead = { chunk: true } | { end: true; error?: string };

/**
 * A whole response; or, for a streamed body, a head (`stream: true`, with the first bytes),
 * then `chunk` frames, then an `end` frame (with `error` when the body failed midway).
 */
export type WarmResponseHead =
  | { status: number; headers: [string, string][]; marks: Marks; retire: boolean; stream?: boolean }
  | { error: { kind: string; name: string; message: string }; marks: Marks; retire: boolean }
  | { chunk: true }
  | { end: true; marks: Marks; retire: boolean; error?: { kind: string; name: string; message: string } };

export interface Marks {
  stdout: boolean;
  stderr: boolean;
}

/** One write per frame; false when the socket's buffer is full (wait for 'drain'). */
export function writeFrame(socket: Socket, head: WarmRequestHead | WarmRequestBodyHead, body: Buffer): boolean {
  const h = Buffer.from(JSON.stringify(head), 'utf8');
  const pre = Buffer.alloc(8);
  pre.writeUInt32BE(h.length, 0);
  pre.writeUInt32BE(body.length, 4);
  return socket.write(Buffer.concat([pre, h, body]));
}

/** Accumulates socket bytes and yields whole frames; `error` is set once the stream is unusable. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  error: string | null = null;

  /** `maxBody`: a larger response body is refused before it is buffered (functions.max_response_size). */
  constructor(private readonly maxBody: number = Number.MAX_SAFE_INTEGER) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  next(): { head: WarmResponseHead; body: Buffer } | null {
    if (this.error !== null || this.buf.length < 8) return null;
    const headLen = this.buf.readUInt32BE(0);
    const bodyLen = this.buf.readUInt32BE(4);
    if (headLen > MAX_HEAD_BYTES) {
      this.error = 'the function response frame is malformed';
      return null;
    }
    if (bodyLen > this.maxBody) {
      this.error = responseTooLarge(bodyLen, this.maxBody);
      return null;
    }
    if (this.buf.length < 8 + headLen + bodyLen) return null;
    const head = parseWarmHead(this.buf.subarray(8, 8 + headLen).toString('utf8'));
    const body = Buffer.from(this.buf.subarray(8 + headLen, 8 + headLen + bodyLen));
    this.buf = this.buf.subarray(8 + headLen + bodyLen);
    if (head === null) {
      this.error = 'the function response frame is malformed';
      return null;
    }
    return { head, body };
  }
}

function parseWarmHead(text: string): WarmResponseHead | null {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const m = (v.marks ?? {}) as Record<string, unknown>;
    const marks = { stdout: m.stdout === true, stderr: m.stderr === true };
    const retire = v.retire === true;
    if (v.chunk === true) return { chunk: true };
    const error = typeof v.error === 'object' && v.error !== null
      ? (({ kind, name, message }) => ({ kind: String(kind), name: String(name), message: String(message) }))(v.error as Record<string, unknown>)
      : undefined;
    if (v.end === true) return { end: true, marks, retire, ...(error ? { error } : {}) };
    if (error) return { error, marks, retire };
    const okHeaders = Array.isArray(v.headers) && v.headers.every((h) => Array.isArray(h) && h.length === 2 && h.every((s) => typeof s === 'string'));
    if (typeof v.status === 'number' && Number.isInteger(v.status) && v.status >= 200 && v.status <= 599 && okHeaders) {
      return { status: v.status, headers: v.headers as [string, string][], marks, retire, ...(v.stream === true ? { stream: true } : {}) };
    }
    return null;
  } catch {
    return null;
  }
}

export function responseTooLarge(bytes: number, max: number): string {
  return `the response body (${bytes} bytes) is over the ${max}-byte limit (functions.max_response_size)`;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Streams a request body to the worker as chunk frames, pausing `body` while the socket's
 * buffer is full, then one end frame. `finish()` (the response is complete, or the worker is
 * gone) sends the end frame if the body has not ended, so the worker stops waiting for it,
 * and detaches; the rest of an unread body is drained, not forwarded.
 */
export function pumpRequestBody(socket: Socket, body: Readable): { finish(): void } {
  let ended = false;
  const resume = () => body.resume();
  const onData = (chunk: Buffer) => {
    if (!writeFrame(socket, { chunk: true }, chunk)) {
      body.pause();
      socket.once('drain', resume);
    }
  };
  const end = (error?: string) => {
    if (ended) return;
    ended = true;
    body.off('data', onData);
    body.off('end', onEnd);
    body.off('error', onError);
    body.off('close', onClose);
    socket.off('drain', resume);
    if (!socket.destroyed) writeFrame(socket, error === undefined ? { end: true } : { end: true, error }, NO_BYTES);
  };
  const onEnd = () => end();
  const onError = (e: Error) => end(`the request body failed: ${e.message}`);
  const onClose = () => end('the request body ended early (the client went away)');
  body.on('data', onData);
  body.once('end', onEnd);
  body.once('error', onError);
  body.once('close', onClose);
  return {
    finish() {
      if (ended) return;
      end('the function answered before reading the whole request body');
      body.on('error', () => {});
      body.resume();
    },
  };
}
