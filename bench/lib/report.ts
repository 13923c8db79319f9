// The result tables printed at the end of a run.
import type { CompareRow, MeasureRow, Row } from './types.ts';

function table(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function compareVerdict(r: CompareRow): 'PASS' | 'MISS' | 'ERROR' {
  if (r.baseline.non2xx + r.baseline.errors + r.fluxbase.non2xx + r.fluxbase.errors > 0) return 'ERROR';
  if (r.p99Factor !== undefined && p99Ratio(r) > r.p99Factor) return 'MISS';
  return r.ratio >= r.goal ? 'PASS' : 'MISS';
}

/** Fluxbase p99 ÷ baseline p99 (autocannon reports whole milliseconds; 0 ms counts as 1). */
export function p99Ratio(r: CompareRow): number {
  return Math.max(r.fluxbase.p99, 1) / Math.max(r.baseline.p99, 1);
}

function goalText(r: CompareRow): string {
  const rps = `>= ${Math.round(r.goal * 100)}%`;
  return r.p99Factor === undefined ? rps : `${rps}, p99 <= ${r.p99Factor}x`;
}

/** Server CPU per request of each side (median of the rounds), when both pids were known. */
function cpuText(r: CompareRow): string {
  return r.baseline.cpuUs === undefined || r.fluxbase.cpuUs === undefined ? '-' : `${int(r.baseline.cpuUs)} / ${int(r.fluxbase.cpuUs)}`;
}

export function measureVerdict(r: MeasureRow): 'PASS' | 'MISS' | '-' {
  if (r.max === undefined) return '-';
  return r.value <= r.max ? 'PASS' : 'MISS';
}

export function render(rows: Row[]): string {
  const out: string[] = [];
  const compares = rows.filter((r): r is CompareRow => r.kind === 'compare');
  const measures = rows.filter((r): r is MeasureRow => r.kind === 'measure');
  if (compares.length > 0) {
    out.push(table(
      ['benchmark', 'baseline req/s', 'fluxbase req/s', 'baseline p99', 'fluxbase p99', 'p99 ratio', 'CPU µs/req (b / f)', 'ratio', 'goal', 'result'],
      compares.map((r) => [
        `${r.bench} (${r.what})`, int(r.baseline.rps), int(r.fluxbase.rps), `${r.baseline.p99} ms`, `${r.fluxbase.p99} ms`,
        `${p99Ratio(r).toFixed(2)}x`, cpuText(r), `${(r.ratio * 100).toFixed(1)}%`, goalText(r), compareVerdict(r),
      ]),
      [false, true, true, true, true, true, true, true, false, false],
    ));
    const bad = compares.filter((r) => compareVerdict(r) === 'ERROR');
    for (const r of bad) {
      out.push(`  ${r.bench}: ERROR: baseline ${r.baseline.non2xx} non-2xx / ${r.baseline.errors} errors, fluxbase ${r.fluxbase.non2xx} non-2xx / ${r.fluxbase.errors} errors`);
    }
  }
  if (measures.length > 0) {
    if (out.length > 0) out.push('');
    out.push(table(
      ['benchmark', 'metric', 'value', 'goal', 'result', 'detail'],
      measures.map((r) => [r.bench, r.metric, `${int(r.value)} ${r.unit}`, r.max === undefined ? '-' : `<= ${int(r.max)} ${r.unit}`, measureVerdict(r), r.detail ?? '']),
      [false, false, true, false, false, false],
    ));
  }
  return out.join('\n');
}
