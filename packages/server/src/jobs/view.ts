// The Job JSON (API.md §11.2): the row as stored, with its ETA worked out from the progress
// so far: (100 − p) ÷ (p ÷ elapsed) seconds, elapsed from the start to the last report.
import type { JobFunctionRow } from './function-store.ts';
import type { JobLogRow } from './job-store.ts';
import type { JobRow } from './queue-store.ts';

export interface JobView extends Omit<JobRow, 'cancel_requested_at' | 'kind' | 'traceparent'> {
  estimated_seconds_left: number | null;
  estimated_completion_at: string | null;
}

export function eta(job: JobRow, now: number): { estimated_seconds_left: number | null; estimated_completion_at: string | null } {
  const p = job.progress_percent;
  if (job.status !== 'running' || p === null || p <= 0 || p >= 100 || !job.started_at) return { estimated_seconds_left: null, estimated_completion_at: null };
  const elapsed = ((job.last_progress_at ?? new Date(now)).getTime() - job.started_at.getTime()) / 1000;
  if (elapsed <= 0) return { estimated_seconds_left: null, estimated_completion_at: null };
  const left = Math.max(0, Math.round(((100 - p) * elapsed) / p));
  const from = job.last_progress_at?.getTime() ?? now;
  return { estimated_seconds_left: left, estimated_completion_at: new Date(from + left * 1000).toISOString() };
}

export function jobView(job: JobRow, now: number): JobView {
  const { cancel_requested_at: _c, kind: _k, traceparent: _t, ...rest } = job;
  return { ...rest, ...eta(job, now) };
}

export function progressView(job: JobRow, now: number) {
  return {
    job_id: job.id, status: job.status, progress_percent: job.progress_percent, progress_message: job.progress_message,
    progress_data: job.progress_data, ...eta(job, now), last_progress_at: job.last_progress_at,
  };
}

export function logsView(rows: JobLogRow[]) {
  const logs = rows.map((r) => ({ line_number: r.line_number, level: r.level, message: r.message, timestamp: r.created_at }));
  return { logs, count: logs.length };
}

/** A job function as the admin API shows it (all of its row). */
export function functionView(row: JobFunctionRow): JobFunctionRow {
  return row;
}
