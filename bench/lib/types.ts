// Shapes shared by the runner, the benchmark files and the child-process entry.

/** The two sides of a side-by-side comparison. */
export type SideName = 'baseline' | 'fluxbase';

/** Everything a side's server needs; passed to the child process as JSON. */
export interface ServeOptions {
  /** Owner URL of the bench database. */
  databaseUrl: string;
  jwtSecret: string;
  encryptionKey: string;
  /** Pool size of both sides (Fluxbase: database.max_connections). */
  maxConnections: number;
  /** Which request a module serving several benchmarks should answer (the REST cases). */
  variant?: string;
  /** OTLP/HTTP endpoint of the runner's span sink (`tracing.ts`). */
  otlpEndpoint?: string;
}

/** A server started by one side, in its own process. */
export interface SideServer {
  url: string;
  close(): Promise<void>;
}

export type ServeMap = Record<SideName, (options: ServeOptions) => Promise<SideServer>>;

export interface BenchOptions {
  /** Seconds each side is loaded per round. */
  durationSec: number;
  connections: number;
  /** Measured rounds per side (A,B,A,B,…); the median is reported. */
  rounds: number;
  /** Seconds of unmeasured load per side before the first round. */
  warmupSec: number;
  /** Timed warm starts in the startup benchmark. */
  starts: number;
}

export interface LoadStats {
  rps: number;
  /** Server process CPU (user + system) per request, in µs, when its pid is known. */
  cpuUs?: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

/** Throughput of Fluxbase against its baseline. */
export interface CompareRow {
  kind: 'compare';
  bench: string;
  what: string;
  baseline: LoadStats;
  fluxbase: LoadStats;
  /** Fluxbase req/s ÷ baseline req/s. */
  ratio: number;
  /** Least acceptable ratio. */
  goal: number;
  /** Largest acceptable Fluxbase p99 ÷ baseline p99, when the benchmark sets one. */
  p99Factor?: number;
}

/** An absolute measurement against a limit (startup time, memory). */
export interface MeasureRow {
  kind: 'measure';
  bench: string;
  metric: string;
  value: number;
  unit: string;
  /** Largest acceptable value; undefined: informative only. */
  max?: number;
  detail?: string;
}

export type Row = CompareRow | MeasureRow;

export interface BenchContext {
  options: BenchOptions;
  /** Present when the benchmark declared `needsDatabase`. */
  serve?: ServeOptions;
  log(message: string): void;
}

export interface Benchmark {
  name: string;
  /** A group name that selects it too (`npm run bench -- rest`). */
  group?: string;
  description: string;
  needsDatabase: boolean;
  run(ctx: BenchContext): Promise<Row[]>;
}
