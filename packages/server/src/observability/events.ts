// Typed observations: code emits one of these; the logger and metrics decide what to do
// with them (PostgREST's Observation.hs). Add a variant here rather than logging ad hoc.
export type Observation =
  | { type: 'db.query'; operation: string; seconds: number }
  | { type: 'db.unavailable'; error: string }
  | { type: 'db.recovered' }
  | { type: 'rate_limit.hit'; limiter: string }
  | { type: 'migration.applied'; version: number; name: string; ms: number }
  | { type: 'embedded_pg.log'; line: string };

export type Observer = (event: Observation) => void;
