// Keeps the first `limit` bytes of a child's stream and counts the rest, which is read
// and dropped so the child never blocks on a full pipe (hardening 2.6). A short tail is
// kept separately so a fatal message after megabytes of output can still be classified.

const TAIL_BYTES = 4096;

export class OutputCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;
  private tailBuf: Buffer = Buffer.alloc(0);

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.kept;
    if (room >= chunk.length) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
    } else {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.kept += Math.max(room, 0);
      this.dropped += chunk.length - Math.max(room, 0);
    }
    const joined = Buffer.concat([this.tailBuf, chunk]);
    this.tailBuf = joined.length > TAIL_BYTES ? Buffer.from(joined.subarray(joined.length - TAIL_BYTES)) : joined;
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  /** The kept text, ending with the truncation line of docs/functions.md when bytes were dropped. */
  text(): string {
    const body = Buffer.concat(this.chunks).toString('utf8');
    if (this.dropped === 0) return body;
    return `${body}${body.endsWith('\n') ? '' : '\n'}[OUTPUT TRUNCATED: ${this.dropped} bytes dropped]\n`;
  }

  tail(): string {
    return this.tailBuf.toString('utf8');
  }
}
