// The schema cache's data model: what introspection knows about the exposed database,
// shaped for O(1) lookups by the planner (tables by "schema.name", columns by name).
// A snapshot is immutable; a reload builds a new one and swaps it in.

export type RelationKind = 'table' | 'view' | 'materialized_view' | 'foreign_table' | 'partitioned_table';

export interface Column {
  name: string;
  /** 1-based ordinal position (attnum order among live columns). */
  position: number;
  /** `format_type(atttypid, atttypmod)`, e.g. `integer`, `character varying(20)`, `text[]`. */
  type: string;
  /** `pg_type.typname` (e.g. `int4`, `_text`, `mood`). */
  udtName: string;
  udtSchema: string;
  /** `pg_type.typcategory`: N numeric, S string, B boolean, D date/time, A array, E enum, U user (json, uuid, bytea…), R range, G geometric, I network, T timespan. */
  category: string;
  /** For arrays: the element type's `typname`; else null. */
  elementType: string | null;
  nullable: boolean;
  /** Default expression text (`pg_get_expr`), null when none (identity/generated excluded). */
  default: string | null;
  /** `GENERATED ALWAYS AS (…) STORED`: never writable. */
  generated: boolean;
  identity: 'always' | 'by_default' | null;
  /** Character length limit (varchar(n), char(n)), else null. */
  maxLength: number | null;
  /** Labels when the column (or its array element) is an enum, else null. */
  enumValues: string[] | null;
  comment: string | null;
}

export interface Index {
  name: string;
  columns: string[];
  unique: boolean;
  primary: boolean;
}

export interface Table {
  schema: string;
  name: string;
  kind: RelationKind;
  /** In ordinal order. */
  columns: Column[];
  /** O(1) lookup by column name (seed 2.4). */
  columnMap: ReadonlyMap<string, Column>;
  /** Primary key columns in key order; [] when none. */
  primaryKey: string[];
  /** Column sets of unique constraints and unique indexes (primary key included). */
  uniqueKeys: string[][];
  indexes: Index[];
  /** Whether INSERT / UPDATE / DELETE are possible (views: auto-updatable or with rules/triggers). */
  insertable: boolean;
  updatable: boolean;
  deletable: boolean;
  rlsEnabled: boolean;
  /** `pg_class.reltuples` (planner estimate, -1 when never analysed). */
  estimatedRows: number;
  comment: string | null;
  /**
   * Foreign key constraints this relation holds (its own FK side), in constraint-name order;
   * [] for views. Relationships alone cannot tell which side of a one_to_one holds the key.
   */
  foreignKeys?: ForeignKey[];
}

/** One foreign key constraint (or one inferred for a view column that exposes an FK column). */
export interface ForeignKey {
  constraint: string;
  schema: string;
  table: string;
  columns: string[];
  refSchema: string;
  refTable: string;
  refColumns: string[];
}

export interface RelationEnd {
  schema: string;
  table: string;
  columns: string[];
}

/**
 * A way to embed `target` from `source` (PostgREST's relationships, both directions):
 * - `many_to_one`: source holds the FK (to-one, renders an object or null);
 * - `one_to_one`: like many_to_one but from the referenced side when the FK columns are unique, or the FK side itself when unique (to-one);
 * - `one_to_many`: target holds the FK (to-many, renders an array);
 * - `many_to_many`: through a junction table with FKs to both (to-many).
 * `constraint` is the FK name used as a `!hint`; for many_to_many it is the junction table name
 * (the FK names are in `junction`).
 */
export interface Relationship {
  kind: 'many_to_one' | 'one_to_one' | 'one_to_many' | 'many_to_many';
  constraint: string;
  source: RelationEnd;
  target: RelationEnd;
  junction?: {
    schema: string;
    table: string;
    /** junction columns referencing source.columns (in that order), and its FK name */
    sourceColumns: string[];
    sourceConstraint: string;
    /** junction columns referencing target.columns, and its FK name */
    targetColumns: string[];
    targetConstraint: string;
  };
}

export interface FunctionArg {
  /** '' for an unnamed argument. */
  name: string;
  /** `format_type` text, e.g. `integer`, `text[]`, `jsonb`. */
  type: string;
  udtName: string;
  mode: 'in' | 'inout' | 'variadic';
  hasDefault: boolean;
}

export interface DbFunction {
  schema: string;
  name: string;
  oid: number;
  /** Input arguments in declaration order (OUT/TABLE columns are in `returnColumns`). */
  args: FunctionArg[];
  /** `format_type` of the return type (`void`, `integer`, `setof`-less), or `record`. */
  returnType: string;
  returnTypeName: string;
  returnTypeSchema: string;
  returnsSet: boolean;
  /**
   * When the result is rows of a known relation (`returns setof public.items`, `returns items`),
   * the relation; then the result can be filtered/embedded like that table.
   */
  returnsRelation: { schema: string; name: string } | null;
  /** `returns table(...)` / OUT columns, or the composite type's attributes; null for scalars. */
  returnColumns: { name: string; type: string; udtName: string }[] | null;
  /** Whether the return type is a scalar (not composite/record/table). */
  returnsScalar: boolean;
  volatility: 'immutable' | 'stable' | 'volatile';
  comment: string | null;
}

export interface EnumType {
  schema: string;
  name: string;
  values: string[];
}

export interface SchemaSnapshot {
  /** Every introspected schema (all non-system schemas), exposed or not. */
  schemas: string[];
  /** `api.exposed_schemas`, in configured order (the first is the default). */
  exposedSchemas: string[];
  /** Key: `${schema}.${name}` (raw names, no quoting). */
  tables: ReadonlyMap<string, Table>;
  /** Relationships whose source is the key table (`${schema}.${name}`). */
  relationships: ReadonlyMap<string, Relationship[]>;
  /** Overloads by `${schema}.${name}`. */
  functions: ReadonlyMap<string, DbFunction[]>;
  enums: ReadonlyMap<string, EnumType>;
  /** Increments on each reload (for plan caches). */
  version: number;
  loadedAt: Date;
}

export interface SchemaCache {
  /** The current snapshot (throws before the first load). */
  current(): SchemaSnapshot;
  /** Look up a table or view (raw names). */
  table(schema: string, name: string): Table | undefined;
  /** Re-introspect now; concurrent calls share one load. Resolves with the new snapshot. */
  reload(): Promise<SchemaSnapshot>;
  /** Called after every successful reload. Returns an unsubscribe function. */
  onReload(listener: (snapshot: SchemaSnapshot) => void): () => void;
  /** First load, then LISTEN for DDL / `NOTIFY pgrst, 'reload schema'`. */
  start(): Promise<void>;
  stop(): Promise<void>;
}
