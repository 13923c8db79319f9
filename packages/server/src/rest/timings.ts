// Stage timings of one REST request, sent as Server-Timing (parse, plan, execute, render).
/** Stage timings for Server-Timing (ms since the handler began). */
export class Timings {
  private readonly start = performance.now();
  private last = this.start;
  private readonly parts: string[] = [];
  mark(name: 'parse' | 'plan' | 'execute' | 'render'): void {
    const now = performance.now();
    this.parts.push(`${name};dur=${(now - this.last).toFixed(1)}`);
    this.last = now;
  }
  header(): string {
    return this.parts.join(', ');
  }
}
