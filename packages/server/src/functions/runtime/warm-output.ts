// Routes one warm worker stream (stdout or stderr) to the request in flight. Output while
// no request is in flight is read and dropped, so the worker never blocks on a full pipe.
// A request's output ends at the bootstrap's end marker (outputMarker), written after
// the handler settles and before the response frame, so a console.log just before
// `return` is never lost to pipe/socket reordering. Bytes that could be the start of a
// marker split across chunks are held back until the next chunk or `end()`.
import type { OutputCapture } from './output-capture.ts';

export class MarkedStream {
  private target: OutputCapture | null = null;
  private marker: Buffer | null = null;
  private carry: Buffer = Buffer.alloc(0);
  private found = false;
  private onFound: (() => void) | null = null;

  begin(target: OutputCapture, marker: Buffer): void {
    this.target = target;
    this.marker = marker;
    this.carry = Buffer.alloc(0);
    this.found = false;
    this.onFound = null;
  }

  push(chunk: Buffer): void {
    if (this.target === null || this.marker === null || this.found) return;
    const data = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const at = data.indexOf(this.marker);
    if (at >= 0) {
      if (at > 0) this.target.push(data.subarray(0, at));
      this.carry = Buffer.alloc(0);
      this.found = true;
      this.onFound?.();
      return;
    }
    const keep = Math.min(this.marker.length - 1, data.length);
    if (data.length > keep) this.target.push(data.subarray(0, data.length - keep));
    this.carry = Buffer.from(data.subarray(data.length - keep));
  }

  /** Resolves once the marker has been seen. */
  markerSeen(): Promise<void> {
    if (this.found) return Promise.resolve();
    return new Promise((resolve) => {
      this.onFound = resolve;
    });
  }

  /** Ends the request: held-back bytes go to it, later output is dropped. */
  end(): void {
    if (this.target !== null && this.carry.length > 0) this.target.push(this.carry);
    this.target = null;
    this.marker = null;
    this.carry = Buffer.alloc(0);
    this.onFound = null;
  }
}
