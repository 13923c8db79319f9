// Job metrics (hardening 5.4; API.md "Metrics", exactly these names; docs/jobs.md "Metrics").
// Queue depth is read from the database, so every instance reports the whole queue, at most
// once per DEPTH_EVERY_MS however often Prometheus scrapes.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { JobOutcome } from './worker.ts';

export interface JobMetrics {
  record(outcome: JobOutcome): void;
}

const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
export const DEPTH_EVERY_MS = 5_000;

export interface JobMetricsSources {
  /** Jobs waiting, by namespace and priority (job-store.ts queueDepth). */
  depth(): Promise<{ namespace: string; priority: number; count: number }[]>;
  /** This instance's workers: claiming or not, busy slots and capacity. */
  workers(): { active: boolean; busy: number; capacity: number }[];
  now?: () => number;
}

export function createJobMetrics(registry: Registry, src: JobMetricsSources): JobMetrics {
  const registers = [registry];
  const now = src.now ?? Date.now;
  let depthAt = -Infinity;
  let depth: { namespace: string; priority: number; count: number }[] = [];
  new Gauge({
    name: 'fluxbase_jobs_queue_depth', help: 'Jobs waiting to run (pending or interrupted), by namespace and priority, from the database', labelNames: ['namespace', 'priority'], registers,
    async collect() {
      if (now() - depthAt >= DEPTH_EVERY_MS) {
        depthAt = now();
        depth = await src.depth().catch(() => depth);
      }
      this.reset();
      for (const d of depth) this.set({ namespace: d.namespace, priority: String(d.priority) }, d.count);
    },
  });
  new Gauge({ name: 'fluxbase_jobs_processing', help: 'Jobs running on this instance', registers, collect() { this.set(src.workers().reduce((a, w) => a + w.busy, 0)); } });
  new Gauge({ name: 'fluxbase_job_workers_active', help: 'Job workers on this instance that are claiming jobs', registers, collect() { this.set(src.workers().filter((w) => w.active).length); } });
  new Gauge({
    name: 'fluxbase_job_worker_utilization', help: 'Busy share of this instance\'s job slots (0.0-1.0)', registers,
    collect() {
      const ws = src.workers();
      const capacity = ws.reduce((a, w) => a + w.capacity, 0);
      this.set(capacity === 0 ? 0 : ws.reduce((a, w) => a + w.busy, 0) / capacity);
    },
  });
  const completed = new Counter({ name: 'fluxbase_jobs_completed_total', help: 'Jobs completed', labelNames: ['namespace', 'name'], registers });
  const failed = new Counter({ name: 'fluxbase_jobs_failed_total', help: 'Jobs failed for good (retries spent), by reason', labelNames: ['namespace', 'name', 'reason'], registers });
  const retries = new Counter({ name: 'fluxbase_jobs_retries_total', help: 'Failed attempts sent back to pending with backoff', labelNames: ['namespace', 'name', 'reason'], registers });
  const interrupted = new Counter({ name: 'fluxbase_jobs_interrupted_total', help: 'Jobs interrupted by a shutdown past jobs.graceful_shutdown_timeout', labelNames: ['namespace', 'name'], registers });
  const cancelled = new Counter({ name: 'fluxbase_jobs_cancelled_total', help: 'Running jobs stopped by a cancel', labelNames: ['namespace', 'name'], registers });
  const duration = new Histogram({ name: 'fluxbase_job_execution_duration_seconds', help: 'Job attempt wall time', labelNames: ['namespace', 'name'], buckets: DURATION_BUCKETS, registers });
  return {
    record(o) {
      const labels = { namespace: o.job.namespace, name: o.job.job_name };
      duration.observe(labels, o.durationMs / 1000);
      switch (o.status) {
        case 'completed': completed.inc(labels); break;
        case 'failed': failed.inc({ ...labels, reason: o.reason ?? 'error' }); break;
        case 'retrying': retries.inc({ ...labels, reason: o.reason ?? 'error' }); break;
        case 'interrupted': interrupted.inc(labels); break;
        case 'cancelled': cancelled.inc(labels); break;
        case 'lost': break;
      }
    },
  };
}
