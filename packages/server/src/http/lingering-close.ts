// A lingering close (nginx's `lingering_close`): after refusing a request whose body is
// still arriving (413), do not close the connection at once. Closing a socket with unread
// data makes the kernel send a reset, and a client that writes its whole body before
// reading (most do) then sees "connection reset" instead of the 413. So: send the answer
// with `Connection: close`, half-close our side, keep reading and discarding what the
// client sends for a bounded time and size, and close when it stops or a bound is hit.
import type { Socket } from 'node:net';

export interface LingerBounds {
  /** Longest time to keep reading after the answer (default 5 s). */
  ms: number;
  /** Most bytes to read and discard after the answer (default 16 MiB). */
  bytes: number;
}

export const DEFAULT_LINGER: LingerBounds = { ms: 5000, bytes: 16 * 1024 * 1024 };

const LINGERING = Symbol('fluxbase.lingering');

/**
 * Make the close Node's HTTP server does after a `Connection: close` answer a lingering
 * one. Node closes with `socket.destroySoon()` once the answer is written; this replaces
 * it, for this socket only, with: end our side, drain the peer, then destroy.
 */
export function lingerOnClose(socket: Socket, bounds: LingerBounds = DEFAULT_LINGER): void {
  const s = socket as Socket & { [LINGERING]?: boolean };
  if (s[LINGERING] || s.destroyed) return;
  s[LINGERING] = true;
  s.destroySoon = () => {
    // bytesRead counts at the socket, whoever consumes the data (Node's HTTP parser reads
    // the handle directly and drops the rest of the refused body).
    const start = socket.bytesRead;
    const done = () => {
      clearTimeout(timer);
      clearInterval(meter);
      socket.destroy();
    };
    const timer = setTimeout(done, bounds.ms);
    const meter = setInterval(() => {
      if (socket.bytesRead - start > bounds.bytes) done();
    }, 50);
    timer.unref();
    meter.unref();
    socket.once('end', done); // the client finished sending (or closed): nothing left to drain
    socket.once('error', done);
    socket.once('close', () => {
      clearTimeout(timer);
      clearInterval(meter);
    });
    socket.end(); // our answer is complete: FIN, while we keep reading
    socket.resume();
  };
}
