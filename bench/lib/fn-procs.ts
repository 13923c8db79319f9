// Process-tree readers for the functions benchmarks (Linux /proc): a side's descendants
// (Fluxbase's Deno workers, the baseline's Deno server), the CPU time of the whole tree,
// and resident set sizes.
import { readdirSync, readFileSync } from 'node:fs';

/** Direct children of a process (every thread's /proc/<pid>/task/<tid>/children). */
export function children(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (c.trim() !== '') out.push(Number(c));
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** Every live descendant of a process, breadth first. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = children(pid);
  while (queue.length > 0) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...children(p));
  }
  return out;
}

/** utime + stime (+ cutime + cstime: reaped children) of one process, µs (clock ticks of 10 ms). */
function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10_000;
  } catch {
    return 0;
  }
}

/**
 * CPU time of a process and all its descendants so far, µs: the live ones' own time plus what
 * their reaped children used (a Deno worker that exited counts in its parent's cutime/cstime).
 * Descendants are read before the root, so a worker ending in between is counted (twice at worst).
 */
export function treeCpuMicros(pid: number): number | undefined {
  const rest = descendants(pid).reduce((n, p) => n + cpuOf(p), 0);
  try {
    readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return rest + cpuOf(pid);
}

/** VmRSS of a process in bytes, or undefined when it is gone. */
export function rssOf(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
