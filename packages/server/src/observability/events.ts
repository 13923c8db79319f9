// Typed observations: code emits one of these; the logger and metrics decide what to do
// with them (PostgREST's Observation.hs). Add a variant here rather than logging ad hoc.
// main.ts wires them (observeTo in observe.ts).
export type Observation =
  /** The pool could not reach the database (first failure after a success). */
  | { type: 'db.unavailable'; error: string }
  /** The pool reached the database again after a failure. */
  | { type: 'db.recovered' }
  /** A connection held past server.handler_timeout was destroyed and its slot returned. */
  | { type: 'db.connection_abandoned'; heldMs: number }
  /** The embedded postmaster exited without being asked to. */
  | { type: 'embedded_pg.exited'; status: string }
  /** One attempt to bring the embedded postmaster back (`attached`: another instance did). */
  | { type: 'embedded_pg.restart'; attempt: number; outcome: 'started' | 'attached' | 'failed'; error?: string }
  /** The supervisor stopped trying after `attempts` failures. */
  | { type: 'embedded_pg.gave_up'; attempts: number };

export type Observer = (event: Observation) => void;
