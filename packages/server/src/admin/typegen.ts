// Type generation (docs/types.md "What is generated"): a schema snapshot → one TypeScript
// module in the supabase-js shape
// (`Database[schema].Tables[t].Row/Insert/Update/Relationships`, Views, Functions, Enums,
// CompositeTypes, plus helper types). Pure and deterministic: names are sorted, nothing
// depends on time or locale, so regenerating an unchanged schema gives the same bytes.
import type { Column, DbFunction, SchemaSnapshot, Table } from '../db/index.ts';
import { foreignKeysOf } from './foreign-keys.ts';
import { sectionOf, TypeMapper } from './pg-ts-types.ts';
import { header, helperTypes, JSON_TYPE } from './typegen-helpers.ts';
import { arrayOf, byName, indent, key, lit, NEVER_MEMBERS, objectType } from './ts-syntax.ts';

export interface TypegenOptions {
  /** Schemas to generate (must exist in the snapshot; the caller validates). */
  schemas: readonly string[];
  /** Fill `Functions` (default true at the API). */
  includeFunctions: boolean;
  /** Fill `Views` (views and materialized views; default true at the API). */
  includeViews: boolean;
}

/** Return types that cannot be called through RPC, and argument types no client can send. */
const NOT_CALLABLE_RETURNS = new Set(['trigger', 'event_trigger', 'internal', 'language_handler', 'fdw_handler', 'index_am_handler', 'table_am_handler', 'tsm_handler']);
const NOT_SENDABLE_ARGS = new Set(['internal', 'cstring', 'trigger', 'event_trigger', 'language_handler']);

const byColumnName = (a: Column, b: Column) => byName(a.name, b.name);

class Generator {
  private readonly types: TypeMapper;
  constructor(private readonly snapshot: SchemaSnapshot, private readonly options: TypegenOptions) {
    this.types = new TypeMapper(snapshot, options.schemas, options.includeViews);
  }

  private relationsOf(schema: string, section: 'Tables' | 'Views'): Table[] {
    return [...this.snapshot.tables.values()]
      .filter((t) => t.schema === schema && sectionOf(t) === section)
      .sort((a, b) => byName(a.name, b.name));
  }

  private rowMembers(table: Table): string[] {
    return [...table.columns].sort(byColumnName).map((c) => `${key(c.name)}: ${this.types.column(c)}${c.nullable ? ' | null' : ''}`);
  }

  /** Insert: generated and always-identity columns cannot be written; defaulted, nullable and identity columns are optional. */
  private insertMembers(table: Table): string[] {
    return [...table.columns].sort(byColumnName).map((c) => {
      if (c.generated || c.identity === 'always') return `${key(c.name)}?: never`;
      const optional = c.nullable || c.default !== null || c.identity !== null;
      return `${key(c.name)}${optional ? '?' : ''}: ${this.types.column(c)}${c.nullable ? ' | null' : ''}`;
    });
  }

  private updateMembers(table: Table): string[] {
    return [...table.columns].sort(byColumnName).map((c) => {
      if (c.generated || c.identity === 'always') return `${key(c.name)}?: never`;
      return `${key(c.name)}?: ${this.types.column(c)}${c.nullable ? ' | null' : ''}`;
    });
  }

  /** Views accept any column on write (PostgreSQL decides); every field is optional and nullable. */
  private viewWriteMembers(table: Table): string[] {
    return [...table.columns].sort(byColumnName).map((c) => `${key(c.name)}?: ${this.types.column(c)} | null`);
  }

  private relationships(table: Table): string {
    const items = foreignKeysOf(this.snapshot, table)
      .filter((fk) => fk.refSchema === table.schema) // referencedRelation is a bare name: same schema only
      .map((fk) => objectType([
        `foreignKeyName: ${lit(fk.constraint)}`,
        `columns: [${fk.columns.map(lit).join(', ')}]`,
        `isOneToOne: ${fk.oneToOne}`,
        `referencedRelation: ${lit(fk.refTable)}`,
        `referencedColumns: [${fk.refColumns.map(lit).join(', ')}]`,
      ]));
    if (items.length === 0) return 'Relationships: []';
    return `Relationships: [\n${items.map((i) => indent(`${i},`)).join('\n')}\n]`;
  }

  private table(table: Table): string {
    return `${key(table.name)}: ${objectType([
      `Row: ${objectType(this.rowMembers(table))}`,
      `Insert: ${objectType(this.insertMembers(table))}`,
      `Update: ${objectType(this.updateMembers(table))}`,
      this.relationships(table),
    ])}`;
  }

  private view(view: Table): string {
    const members = [`Row: ${objectType(this.rowMembers(view))}`];
    if (view.kind === 'view' && (view.insertable || view.updatable)) {
      members.push(`Insert: ${objectType(this.viewWriteMembers(view))}`, `Update: ${objectType(this.viewWriteMembers(view))}`);
    }
    members.push(this.relationships(view));
    return `${key(view.name)}: ${objectType(members)}`;
  }

  /**
   * Functions PostgREST can call with named arguments: all inputs named, or a single
   * unnamed one (which receives the whole body, keyed `""` as supabase does).
   */
  private callable(fn: DbFunction): boolean {
    if (NOT_CALLABLE_RETURNS.has(fn.returnTypeName)) return false;
    if (fn.args.some((a) => NOT_SENDABLE_ARGS.has(a.udtName))) return false;
    return fn.args.length <= 1 || fn.args.every((a) => a.name !== '');
  }

  private args(fn: DbFunction): string {
    if (fn.args.length === 0) return 'Record<PropertyKey, never>';
    return `{ ${fn.args.map((a) => `${key(a.name)}${a.hasDefault ? '?' : ''}: ${this.types.ref({ udtName: a.udtName })}`).join('; ')} }`;
  }

  private returns(fn: DbFunction): string {
    let type: string;
    const relation = fn.returnsRelation && this.snapshot.tables.get(`${fn.returnsRelation.schema}.${fn.returnsRelation.name}`);
    if (relation) {
      type = this.types.relationRow(relation);
    } else if (fn.returnColumns && fn.returnColumns.length > 0 && !fn.returnsScalar) {
      type = objectType(fn.returnColumns.map((c) => `${key(c.name)}: ${this.types.ref({ udtName: c.udtName })}`));
    } else {
      type = this.types.ref({ udtName: fn.returnTypeName, schema: fn.returnTypeSchema || undefined });
    }
    return fn.returnsSet ? arrayOf(type) : type;
  }

  private signature(fn: DbFunction): string {
    return objectType([`Args: ${this.args(fn)}`, `Returns: ${this.returns(fn)}`]);
  }

  private functions(schema: string): string[] {
    const out: string[] = [];
    const groups = [...this.snapshot.functions.values()]
      .map((overloads) => overloads.filter((f) => f.schema === schema && this.callable(f)))
      .filter((overloads) => overloads.length > 0)
      .sort((a, b) => byName(a[0]!.name, b[0]!.name));
    for (const overloads of groups) {
      const signatures = [...new Set(overloads.map((f) => this.signature(f)))].sort(byName);
      const name = key(overloads[0]!.name);
      // Overloads: a union of {Args; Returns}, continuation lines aligned under the `{`.
      const union = signatures.map((s) => indent(`| ${s.split('\n').join('\n  ')}`)).join('\n');
      out.push(signatures.length === 1 ? `${name}: ${signatures[0]}` : `${name}:\n${union}`);
    }
    return out;
  }

  private enums(schema: string): [string, string[]][] {
    return [...this.snapshot.enums.values()]
      .filter((e) => e.schema === schema)
      .sort((a, b) => byName(a.name, b.name))
      .map((e) => [e.name, e.values]);
  }

  private schema(schema: string): string {
    const tables = this.relationsOf(schema, 'Tables').map((t) => this.table(t));
    const views = this.options.includeViews ? this.relationsOf(schema, 'Views').map((v) => this.view(v)) : [];
    const functions = this.options.includeFunctions ? this.functions(schema) : [];
    const enums = this.enums(schema).map(([name, values]) => `${key(name)}: ${values.length === 0 ? 'never' : values.map(lit).join(' | ')}`);
    return `${key(schema)}: ${objectType([
      `Tables: ${objectType(tables, NEVER_MEMBERS)}`,
      `Views: ${objectType(views, NEVER_MEMBERS)}`,
      `Functions: ${objectType(functions, NEVER_MEMBERS)}`,
      `Enums: ${objectType(enums, NEVER_MEMBERS)}`,
      `CompositeTypes: ${objectType([], NEVER_MEMBERS)}`,
    ])}`;
  }

  private constants(schemas: string[]): string {
    const members = schemas.map((s) => `${key(s)}: ${objectType([
      `Enums: ${objectType(this.enums(s).map(([name, values]) => `${key(name)}: [${values.map(lit).join(', ')}],`))},`,
    ])},`);
    return `export const Constants = ${objectType(members)} as const`;
  }

  generate(): string {
    const schemas = [...new Set(this.options.schemas)].sort(byName);
    const defaultSchema = schemas.includes('public') ? 'public' : schemas[0];
    const parts = [
      header(schemas),
      JSON_TYPE,
      `export type Database = ${objectType(schemas.map((s) => this.schema(s)))}`,
    ];
    if (defaultSchema !== undefined) parts.push(helperTypes(defaultSchema), this.constants(schemas));
    return `${parts.join('\n\n')}\n`;
  }
}

/** Generate the TypeScript module for `options.schemas` of `snapshot`. */
export function generateTypes(snapshot: SchemaSnapshot, options: TypegenOptions): string {
  return new Generator(snapshot, options).generate();
}
