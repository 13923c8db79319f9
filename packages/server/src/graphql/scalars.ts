// Custom scalars (API.md §13). Values arrive from PostgreSQL's JSON (row_to_json), so they are
// already JSON: int8 comes as a number and is sent as a string (JavaScript numbers lose
// precision past 2^53); timestamps, dates and UUIDs come as strings; JSON is passed through.
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

function literal(node: ValueNode, variables?: Record<string, unknown> | null): unknown {
  switch (node.kind) {
    case Kind.STRING: case Kind.ENUM: return node.value;
    case Kind.INT: case Kind.FLOAT: return Number(node.value);
    case Kind.BOOLEAN: return node.value;
    case Kind.NULL: return null;
    case Kind.LIST: return node.values.map((v) => literal(v, variables));
    case Kind.OBJECT: return Object.fromEntries(node.fields.map((f) => [f.name.value, literal(f.value, variables)]));
    case Kind.VARIABLE: return variables?.[node.name.value];
  }
}

export const BigIntScalar = new GraphQLScalarType({
  name: 'BigInt',
  description: 'A 64-bit integer, sent as a string (exact beyond 2^53).',
  serialize: (v) => (typeof v === 'number' || typeof v === 'bigint' ? String(v) : typeof v === 'string' ? v : String(v)),
  parseValue: (v) => {
    if ((typeof v === 'string' && /^-?\d{1,19}$/.test(v)) || (typeof v === 'number' && Number.isSafeInteger(v))) return String(v);
    throw new GraphQLError(`BigInt must be an integer or a string of digits, got ${JSON.stringify(v)}`);
  },
  parseLiteral: (node) => {
    if (node.kind === Kind.INT || (node.kind === Kind.STRING && /^-?\d{1,19}$/.test(node.value))) return node.value;
    throw new GraphQLError('BigInt must be an integer or a string of digits');
  },
});

function stringScalar(name: string, description: string, check?: RegExp): GraphQLScalarType {
  const parse = (v: unknown) => {
    if (typeof v !== 'string' || (check && !check.test(v))) throw new GraphQLError(`${name} must be ${description.toLowerCase().replace(/\.$/, '')}, got ${JSON.stringify(v)?.slice(0, 60)}`);
    return v;
  };
  return new GraphQLScalarType({
    name, description,
    serialize: (v) => (v instanceof Date ? v.toISOString() : String(v)),
    parseValue: parse,
    parseLiteral: (node) => parse(node.kind === Kind.STRING ? node.value : undefined),
  });
}

export const DateTimeScalar = stringScalar('DateTime', 'An ISO 8601 date, time or timestamp string.');
export const UUIDScalar = stringScalar('UUID', 'A UUID string.', /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/);

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: (node, variables) => literal(node, variables),
});
