// PostgreSQL type → TypeScript type for generated types (docs/types.md "Type mapping").
// Types are resolved by `pg_type.typname`, falling back on the type category for domains
// and extensions; enums and row types refer into the generated `Database` when their schema
// is part of the output and are inlined (or `unknown`) otherwise.
import type { Column, SchemaSnapshot, Table } from '../db/index.ts';
import { arrayOf, key, lit, objectType } from './ts-syntax.ts';

const NUMBER = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'oid', 'xid', 'cid', 'regclass', 'regproc', 'regtype']);
const STRING = new Set([
  'text', 'varchar', 'bpchar', 'char', 'name', 'citext', 'uuid', 'bytea', 'money',
  'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval',
  'inet', 'cidr', 'macaddr', 'macaddr8', 'bit', 'varbit', 'tsvector', 'tsquery', 'xml', 'jsonpath',
  'point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle', 'sparsevec',
  'int4range', 'int8range', 'numrange', 'tsrange', 'tstzrange', 'daterange',
  'int4multirange', 'int8multirange', 'nummultirange', 'tsmultirange', 'tstzmultirange', 'datemultirange',
]);
/** pg_type.typcategory → type, for names not listed above (domains, extension types). */
const BY_CATEGORY: Record<string, string> = { B: 'boolean', N: 'number', S: 'string', D: 'string', T: 'string', I: 'string', G: 'string', R: 'string', V: 'string' };

/** What a type reference carries: a column knows more than a function argument does. */
export interface TypeRef {
  udtName: string;
  /** Schema of the type when known (columns, function results). */
  schema?: string | undefined;
  category?: string | undefined;
  /** Element typname for arrays, when known; else derived from a leading `_`. */
  elementType?: string | null | undefined;
  /** Enum labels when known (columns). */
  enumValues?: string[] | null | undefined;
}

export class TypeMapper {
  private readonly included: ReadonlySet<string>;
  /**
   * `schemas`: the schemas being generated; `viewsIncluded`: whether their Views section is
   * filled (a reference into an empty section would not compile, so rows are inlined then).
   */
  constructor(private readonly snapshot: SchemaSnapshot, schemas: readonly string[], private readonly viewsIncluded: boolean) {
    this.included = new Set(schemas);
  }

  column(col: Column): string {
    return this.ref({ udtName: col.udtName, schema: col.udtSchema, category: col.category, elementType: col.elementType, enumValues: col.enumValues });
  }

  ref(t: TypeRef): string {
    const isArray = t.category === 'A' || (t.elementType ?? null) !== null || (t.category === undefined && t.udtName.startsWith('_'));
    if (isArray) {
      const element = t.elementType ?? t.udtName.slice(1);
      return arrayOf(this.base({ udtName: element, schema: t.schema, enumValues: t.enumValues }));
    }
    return this.base(t);
  }

  private base(t: TypeRef): string {
    const name = t.udtName;
    if (name === 'bool') return 'boolean';
    if (NUMBER.has(name)) return 'number';
    if (name === 'json' || name === 'jsonb') return 'Json';
    if (name === 'vector' || name === 'halfvec') return 'number[]';
    if (name === 'void') return 'undefined';
    if (name === 'record') return 'Record<string, unknown>';
    if (STRING.has(name)) return 'string';
    const enumType = this.enumRef(name, t.schema, t.enumValues);
    if (enumType !== undefined) return enumType;
    if (t.category === 'C' || t.category === undefined) {
      const row = this.rowRef(name, t.schema);
      if (row !== undefined) return row;
    }
    return (t.category !== undefined ? BY_CATEGORY[t.category] : undefined) ?? 'unknown';
  }

  /** An enum: a reference into Database when its schema is generated, else its labels inline. */
  private enumRef(name: string, schema: string | undefined, labels: string[] | null | undefined): string | undefined {
    const found = this.findEnum(name, schema);
    if (found && this.included.has(found.schema)) return `Database[${lit(found.schema)}]["Enums"][${lit(found.name)}]`;
    const values = found?.values ?? labels ?? null;
    if (values === null) return undefined;
    return values.length === 0 ? 'never' : values.map(lit).join(' | ');
  }

  private findEnum(name: string, schema: string | undefined) {
    if (schema !== undefined) return this.snapshot.enums.get(`${schema}.${name}`);
    // Function arguments carry no type schema: prefer a generated schema, then any.
    const matches = [...this.snapshot.enums.values()].filter((e) => e.name === name);
    return matches.find((e) => this.included.has(e.schema)) ?? matches[0];
  }

  /** A composite type that is a table's or view's row type. */
  private rowRef(name: string, schema: string | undefined): string | undefined {
    const table = schema !== undefined
      ? this.snapshot.tables.get(`${schema}.${name}`)
      : [...this.snapshot.tables.values()].find((t) => t.name === name && this.included.has(t.schema));
    return table ? this.relationRow(table) : undefined;
  }

  /** The Row type of a relation: a reference when it is generated, else an inline object. */
  relationRow(table: Table): string {
    const section = sectionOf(table);
    if (this.included.has(table.schema) && (section === 'Tables' || this.viewsIncluded)) {
      return `Database[${lit(table.schema)}][${lit(section)}][${lit(table.name)}]["Row"]`;
    }
    const members = table.columns.map((c) => `${key(c.name)}: ${this.column(c)}${c.nullable ? ' | null' : ''}`);
    return objectType(members);
  }
}

/** Which `Database[schema]` section a relation is listed under. */
export function sectionOf(table: Table): 'Tables' | 'Views' {
  return table.kind === 'view' || table.kind === 'materialized_view' ? 'Views' : 'Tables';
}
