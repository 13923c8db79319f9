// One running job's console output (docs/jobs.md "Logs" and "Progress"): the Deno process's
// stdout and stderr arrive in chunks (InvokeInput.onOutput); they are cut into lines, and a
// line carrying the progress mark (written by the context's reportProgress,
// functions/runtime/handler-source.ts) becomes a progress report instead of a log line.
// Log lines are numbered from 1 and handed out in batches (the worker writes them to
// jobs.job_logs and announces them live); a job's lines are bounded in count and length so a
// chatty job cannot fill the database.

export const PROGRESS_MARK = '\u001efluxbase:progress ';

export interface LogLine {
  line_number: number;
  level: 'info' | 'error';
  message: string;
  timestamp: Date;
}

export interface ProgressReport {
  percent: number;
  message: string | null;
  data: unknown;
}

/** Longest kept log line, in characters (the rest is cut with a mark). */
export const MAX_LINE_CHARS = 8_192;
/** Longest progress line accepted (its data included). */
const MAX_PROGRESS_CHARS = 65_536;

export class JobOutput {
  private readonly partial = { stdout: '', stderr: '' };
  private pending: LogLine[] = [];
  private next = 1;
  private dropped = 0;
  private bytes = 0;

  constructor(
    private readonly maxLines: number,
    /** Bytes of log text kept (jobs.max_output_size); lines past it are dropped and counted. */
    private readonly maxBytes: number,
    private readonly onProgress: (p: ProgressReport) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  push(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const text = this.partial[stream] + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial[stream] = lines.pop() ?? '';
    // A line that never ends is kept to a bound, then cut as if it ended.
    if (this.partial[stream].length > MAX_PROGRESS_CHARS) {
      lines.push(this.partial[stream]);
      this.partial[stream] = '';
    }
    for (const line of lines) this.line(stream, line);
  }

  /** The unfinished last lines, once the process has ended. */
  end(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] !== '') this.line(stream, this.partial[stream]);
      this.partial[stream] = '';
    }
    if (this.dropped > 0) {
      this.add('error', `[LOG TRUNCATED: ${this.dropped} more lines were dropped; a job keeps at most ${this.maxLines} lines and ${this.maxBytes} bytes (jobs.max_output_size)]`, true);
      this.dropped = 0;
    }
  }

  /** The lines not yet handed out. */
  take(): LogLine[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  get lineCount(): number {
    return this.next - 1;
  }

  private line(stream: 'stdout' | 'stderr', raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (stream === 'stderr' && line.startsWith(PROGRESS_MARK)) {
      const report = parseProgress(line.slice(PROGRESS_MARK.length));
      if (report) {
        this.onProgress(report);
        return;
      }
    }
    this.add(stream === 'stdout' ? 'info' : 'error', line, false);
  }

  private add(level: 'info' | 'error', message: string, force: boolean): void {
    const text = message.length > MAX_LINE_CHARS ? `${message.slice(0, MAX_LINE_CHARS)} [line cut at ${MAX_LINE_CHARS} characters]` : message;
    if (!force && (this.next > this.maxLines || this.bytes + text.length > this.maxBytes)) {
      this.dropped++;
      return;
    }
    this.bytes += text.length;
    this.pending.push({ line_number: this.next++, level, message: text, timestamp: this.now() });
  }
}

/** A progress line's JSON, or null when it is not one (then it stays a log line). Percent is clamped to 0–100. */
export function parseProgress(json: string): ProgressReport | null {
  if (json.length > MAX_PROGRESS_CHARS) return null;
  try {
    const v = JSON.parse(json) as { percent?: unknown; message?: unknown; data?: unknown };
    if (typeof v.percent !== 'number' || !Number.isFinite(v.percent)) return null;
    return {
      percent: Math.min(100, Math.max(0, Math.round(v.percent))),
      message: typeof v.message === 'string' ? v.message.slice(0, 1_000) : null,
      data: v.data ?? null,
    };
  } catch {
    return null;
  }
}
