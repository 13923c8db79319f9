// Row shapes returned by the catalog queries (introspect.ts) and consumed by the snapshot
// builder (build.ts). Kept apart from the SQL so the builder and its tests can construct
// rows by hand without a database.

export interface SchemaRow {
  name: string;
}

export interface IndexRow {
  name: string;
  unique: boolean;
  primary: boolean;
  /** Has a WHERE predicate: not a unique key. */
  partial: boolean;
  /** Has expression columns: not a unique key (`columns` then holds the expression text). */
  expressions: boolean;
  valid: boolean;
  /** Key columns in index order (INCLUDE columns excluded). */
  columns: string[];
}

export interface RelationRow {
  oid: number;
  schema: string;
  name: string;
  /** pg_class.relkind: r, p, v, m, f. */
  relkind: string;
  rls: boolean;
  reltuples: number;
  comment: string | null;
  /** pg_relation_is_updatable bitmask for views and foreign tables, else 0. */
  updatableMask: number;
  /** pg_rewrite.ev_action text of a view or materialized view, else null. */
  viewDefinition: string | null;
  indexes: IndexRow[];
}

export interface ColumnRow {
  relid: number;
  attnum: number;
  name: string;
  type: string;
  udtName: string;
  udtSchema: string;
  category: string;
  elementType: string | null;
  nullable: boolean;
  default: string | null;
  generated: boolean;
  /** pg_attribute.attidentity: '' | 'a' | 'd'. */
  identity: string;
  maxLength: number | null;
  /** Oid of the enum type of the column, of its array element or of its domain's base; else null. */
  enumOid: number | null;
  comment: string | null;
}

export interface ForeignKeyRow {
  name: string;
  relid: number;
  refRelid: number;
  columns: string[];
  refColumns: string[];
}

export interface FunctionArgRow {
  name: string;
  type: string;
  udt: string;
  /** proargmodes entry: i, o, b, v, t. */
  mode: string;
}

export interface FunctionRow {
  oid: number;
  schema: string;
  name: string;
  /** provolatile: i, s, v. */
  volatility: string;
  returnsSet: boolean;
  nargDefaults: number;
  returnType: string;
  returnTypeName: string;
  returnTypeSchema: string;
  /** pg_type.typtype of the return type: b, c, d, e, p, r, m. */
  returnTyptype: string;
  /** The relation whose row type is returned (relkind r, v, m, p, f), else null. */
  returnRelSchema: string | null;
  returnRelName: string | null;
  /** Every argument (IN, OUT, INOUT, VARIADIC, TABLE) in declaration order. */
  args: FunctionArgRow[];
  /** Attributes of a composite return type, else null. */
  compositeColumns: { name: string; type: string; udt: string }[] | null;
  comment: string | null;
}

export interface EnumRow {
  oid: number;
  schema: string;
  name: string;
  labels: string[];
}

/** Everything one load reads from the catalogs. */
export interface CatalogRows {
  schemas: SchemaRow[];
  relations: RelationRow[];
  columns: ColumnRow[];
  foreignKeys: ForeignKeyRow[];
  functions: FunctionRow[];
  enums: EnumRow[];
}
