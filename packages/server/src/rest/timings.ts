// Stage timings of one REST request, sent as Server-Timing (parse, plan, execute, render:
// docs/rest.md "Representations"). Marks keep numbers; the header text is built once, at
// the end.
const STAGES = ['parse', 'plan', 'execute', 'render'] as const;
type Stage = (typeof STAGES)[number];

/** Stage timings for Server-Timing (each stage's ms since the previous mark, the first since the handler began). */
export class Timings {
  private last = performance.now();
  private readonly durations: number[] = [-1, -1, -1, -1];

  mark(name: Stage): void {
    const now = performance.now();
    this.durations[STAGES.indexOf(name)] = now - this.last;
    this.last = now;
  }

  header(): string {
    let out = '';
    for (let i = 0; i < STAGES.length; i++) {
      const d = this.durations[i]!;
      if (d < 0) continue;
      // d.toFixed(1) by integer arithmetic (toFixed is slow, and this runs on every response).
      const tenths = Math.round(d * 10);
      out += `${out === '' ? '' : ', '}${STAGES[i]};dur=${Math.floor(tenths / 10)}.${tenths % 10}`;
    }
    return out;
  }
}
