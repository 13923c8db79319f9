// Type-level helpers over a generated `Database` type (docs/types.md, the supabase-js shape:
// `Database[schema]['Tables' | 'Views' | 'Functions']`). They only compute types; nothing
// here exists at run time. An untyped client (`Database = any`) makes every helper `any`,
// so code without generated types keeps compiling.

/** What a generated table entry looks like. */
export interface GenericTable {
  Row: object;
  Insert: object;
  Update: object;
  Relationships?: unknown;
}

/** What a generated view entry looks like (updatable views also carry Insert/Update). */
export interface GenericView {
  Row: object;
  Relationships?: unknown;
}

export interface GenericFunction {
  Args: unknown;
  Returns: unknown;
}

export interface GenericSchema {
  Tables: Record<string, GenericTable>;
  Views: Record<string, GenericView>;
  Functions: Record<string, GenericFunction>;
}

// The one deliberate `any`: the default when no Database type is given, as in supabase-js.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UntypedDatabase = any;

/** True when T is `any` (so helpers can stay `any` instead of collapsing to unions). */
export type IsAny<T> = 0 extends 1 & T ? true : false;

/** The schema `from()` and `rpc()` use without `schema()`: `public`, as on `/api/v1/tables/:table`. */
export type DefaultSchema<Database> = IsAny<Database> extends true
  ? UntypedDatabase
  : 'public' extends keyof Database ? Database['public'] : UntypedDatabase;

/** Names of schemas in the Database type. */
export type SchemaName<Database> = string & keyof Database;

type TablesOf<Schema> = Schema extends { Tables: infer T } ? T : never;
type ViewsOf<Schema> = Schema extends { Views: infer V } ? V : never;
type FunctionsOf<Schema> = Schema extends { Functions: infer F } ? F : never;

/** Table and view names of a schema. */
export type RelationName<Schema> = IsAny<Schema> extends true
  ? string
  : (string & keyof TablesOf<Schema>) | (string & keyof ViewsOf<Schema>);

/** The table or view entry named `Name`. */
export type RelationOf<Schema, Name extends string> = IsAny<Schema> extends true
  ? UntypedDatabase
  : Name extends keyof TablesOf<Schema> ? TablesOf<Schema>[Name]
    : Name extends keyof ViewsOf<Schema> ? ViewsOf<Schema>[Name] : never;

export type RowOf<Relation> = IsAny<Relation> extends true ? UntypedDatabase : Relation extends { Row: infer R } ? R : never;
/** Insert shape; `never` for a relation without one (a read-only view), so `insert` refuses it. */
export type InsertOf<Relation> = IsAny<Relation> extends true ? UntypedDatabase : Relation extends { Insert: infer I } ? I : never;
export type UpdateOf<Relation> = IsAny<Relation> extends true ? UntypedDatabase : Relation extends { Update: infer U } ? U : never;

/**
 * A column reference accepted by filters and `order`: a column of the row, or a JSON path
 * into one (`data->a->>b`). Embedded columns (`author.name`) go through `filter()` or the
 * `referencedTable` options.
 */
export type ColumnRef<Row> = IsAny<Row> extends true
  ? string
  : (string & keyof Row) | `${string & keyof Row}->${string}`;

/** The value type a filter on column `C` compares with; unknown for JSON paths. */
export type ColumnValue<Row, C extends string> = IsAny<Row> extends true
  ? UntypedDatabase
  : C extends keyof Row ? Row[C] : unknown;

type Whitespace = ' ' | '\n' | '\t' | '\r';
type Trim<S extends string> = S extends `${Whitespace}${infer R}` ? Trim<R> : S extends `${infer R}${Whitespace}` ? Trim<R> : S;
type SplitColumns<S extends string, Acc extends string[] = []> = S extends `${infer Head},${infer Tail}`
  ? SplitColumns<Tail, [...Acc, Trim<Head>]>
  : [...Acc, Trim<S>];

/**
 * The row type a `select(columns)` string yields: `*` is the whole row, a list of plain
 * column names picks them; anything richer (embeds, aliases, casts, JSON paths,
 * aggregates) is `Record<string, unknown>`: cast with `returns<T>()` when you know better.
 */
export type SelectRow<Row, Query extends string> = IsAny<Row> extends true
  ? UntypedDatabase
  : string extends Query ? Record<string, unknown>
    : Trim<Query> extends '*' | '' ? Row
      : SplitColumns<Query>[number] extends infer Col
        ? [Col] extends [keyof Row] ? Pick<Row, Col & keyof Row> : Record<string, unknown>
        : never;

/** Function names of a schema. */
export type FunctionName<Schema> = IsAny<Schema> extends true ? string : string & keyof FunctionsOf<Schema>;

type FunctionOf<Schema, Name extends string> = IsAny<Schema> extends true
  ? UntypedDatabase
  : Name extends keyof FunctionsOf<Schema> ? FunctionsOf<Schema>[Name] : never;

/** Named arguments of function `Name` (`Args: never` in generated types means none). */
export type FunctionArgs<Schema, Name extends string> = IsAny<Schema> extends true
  ? Record<string, unknown>
  : FunctionOf<Schema, Name> extends { Args: infer A } ? ([A] extends [never] ? Record<string, never> : A) : never;

export type FunctionReturns<Schema, Name extends string> = IsAny<Schema> extends true
  ? UntypedDatabase
  : FunctionOf<Schema, Name> extends { Returns: infer R } ? R : never;
