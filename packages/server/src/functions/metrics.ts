// Function metrics (docs/functions.md "Metrics"), registered in the app's registry. The
// invocation counter and duration histogram are the wire contract (API.md §14:
// fluxbase_function_*{namespace,name}); the fluxbase_functions_* rest are extras. A function is
// always labelled by namespace and name, never by one joined string.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface FunctionMetrics {
  invocations: Counter<'namespace' | 'name' | 'status'>;
  duration: Histogram<'namespace' | 'name'>;
  errors: Counter<'namespace' | 'name' | 'reason'>;
  starts: Counter<'kind'>;
  recycles: Counter<'reason'>;
  truncations: Counter<'stream'>;
  rejected: Counter<'reason'>;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createFunctionMetrics(registry: Registry, read: { workers(): number; busy(): number; running(): number }): FunctionMetrics {
  const registers = [registry];
  new Gauge({ name: 'fluxbase_functions_warm_workers', help: 'Warm Deno workers alive', registers, collect() { this.set(read.workers()); } });
  new Gauge({ name: 'fluxbase_functions_warm_workers_busy', help: 'Warm Deno workers serving a request', registers, collect() { this.set(read.busy()); } });
  new Gauge({ name: 'fluxbase_functions_running', help: 'Invocations in progress (warm and cold)', registers, collect() { this.set(read.running()); } });
  return {
    invocations: new Counter({
      name: 'fluxbase_function_invocations_total', help: 'Function invocations by outcome (success, error, timeout)', labelNames: ['namespace', 'name', 'status'], registers,
    }),
    duration: new Histogram({
      name: 'fluxbase_function_duration_seconds', help: 'Invocation wall time, from the request to the function\'s response', labelNames: ['namespace', 'name'], buckets: DURATION_BUCKETS, registers,
    }),
    errors: new Counter({
      name: 'fluxbase_functions_errors_total', help: 'Failed invocations by reason (exception, exit, out_of_memory, invalid_response, timeout, spawn_failed)', labelNames: ['namespace', 'name', 'reason'], registers,
    }),
    starts: new Counter({ name: 'fluxbase_functions_starts_total', help: 'Invocations served by a warm worker (warm) or a new process (cold)', labelNames: ['kind'], registers }),
    recycles: new Counter({ name: 'fluxbase_functions_worker_recycles_total', help: 'Warm workers stopped, by reason', labelNames: ['reason'], registers }),
    truncations: new Counter({ name: 'fluxbase_functions_output_truncations_total', help: 'Invocations whose captured stdout or stderr was cut at functions.max_output_size', labelNames: ['stream'], registers }),
    rejected: new Counter({ name: 'fluxbase_functions_rejected_total', help: 'Invocations refused before running (rate_limited, busy)', labelNames: ['reason'], registers }),
  };
}
