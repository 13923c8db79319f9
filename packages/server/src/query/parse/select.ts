// The `select` grammar: `*`, `col`, `alias:col`, `col::text`, `data->a->>b`, embeds
// `alias:rel!hint!inner(…)`, spreads `...rel(…)`, aggregates `count()`, `col.sum()::int`,
// and on the Fluxbase mount the SDK's `count(*)`, `sum(col)` forms (keys `count`, `sum_col`).
import type { AggregateFn, FieldRef, SelectItem } from '../ast.ts';
import { quoteInput } from '../errors.ts';
import { expectName, readJsonPath, readName, type Name } from './names.ts';
import { Scanner } from './scanner.ts';
import { resolveLimits, type ParseOptions } from './options.ts';

const AGGREGATES: readonly AggregateFn[] = ['count', 'sum', 'avg', 'min', 'max'];
const isAggregate = (s: string): s is AggregateFn => (AGGREGATES as readonly string[]).includes(s);

/** `::type`: letters, digits, `_`, `$` and inner spaces (`character varying`), optional `[]`s. */
function readCast(sc: Scanner): string | undefined {
  if (!sc.startsWith('::')) return undefined;
  sc.pos += 2;
  const base = sc.readWhile(/[A-Za-z0-9_ $]/).trim();
  if (base === '') sc.fail('expected a type name after "::"');
  let suffix = '';
  while (sc.eat('[]')) suffix += '[]';
  sc.skipWs();
  return base + suffix;
}

interface Ctx {
  sc: Scanner;
  options: ParseOptions;
  maxDepth: number;
}

function checkAggregates(ctx: Ctx): void {
  if (!ctx.options.aggregatesEnabled) {
    ctx.sc.fail('aggregate functions are disabled', { code: 'INVALID_QUERY', hint: 'Enable api.aggregates_enabled' });
  }
}

const atItemEnd = (sc: Scanner): boolean => sc.done || sc.peek() === ',' || sc.peek() === ')';

/** The SDK form `sum(col)` / `count(*)`; undefined (position kept) when the text is not one. */
function trySdkAggregate(ctx: Ctx, fn: AggregateFn, alias: Name | undefined): SelectItem | undefined {
  const { sc } = ctx;
  if (ctx.options.mount !== 'fluxbase' || alias) return undefined;
  const start = sc.pos;
  sc.pos++; // '('
  sc.skipWs();
  let field: FieldRef | undefined;
  if (fn === 'count' && sc.eat('*')) field = { column: '*', path: [] };
  else {
    const name = readName(sc);
    if (name) field = { column: name.name, path: readJsonPath(sc) };
  }
  sc.skipWs();
  if (!field || !sc.eat(')')) {
    sc.pos = start;
    return undefined;
  }
  const aggregateCast = readCast(sc);
  if (!atItemEnd(sc)) {
    sc.pos = start;
    return undefined;
  }
  checkAggregates(ctx);
  const last = field.path.length > 0 ? field.path[field.path.length - 1]?.key : field.column;
  const key = field.column === '*' ? 'count' : `${fn}_${last ?? field.column}`;
  return { kind: 'field', field, alias: key, aggregate: fn, ...(aggregateCast ? { aggregateCast } : {}) };
}

function readEmbed(ctx: Ctx, relation: Name, alias: Name | undefined, spread: boolean, depth: number): SelectItem {
  const { sc } = ctx;
  let hint: string | undefined;
  let join: 'inner' | 'left' | undefined;
  while (sc.eat('!')) {
    const word = expectName(sc, 'a hint or join type after "!"');
    if (!word.quoted && (word.name === 'inner' || word.name === 'left')) {
      if (join) sc.fail('the join type is given twice');
      join = word.name;
    } else {
      if (hint !== undefined) sc.fail('an embed takes one hint');
      hint = word.name;
    }
  }
  sc.expect('(');
  const select = readItems(ctx, depth + 1);
  sc.expect(')');
  sc.skipWs();
  return {
    kind: 'embed', relation: relation.name, spread, select,
    ...(alias ? { alias: alias.name } : {}), ...(hint !== undefined ? { hint } : {}), ...(join ? { join } : {}),
  };
}

function readFieldItem(ctx: Ctx, name: Name, alias: Name | undefined): SelectItem {
  const { sc } = ctx;
  const field: FieldRef = { column: name.name, path: readJsonPath(sc) };
  sc.skipWs();
  const cast = readCast(sc);
  let aggregate: AggregateFn | undefined;
  let aggregateCast: string | undefined;
  if (sc.eat('.')) {
    const fn = sc.readWhile(/[a-z_]/i);
    if (!isAggregate(fn)) sc.fail(`unknown aggregate ${quoteInput(fn)}; use count, sum, avg, min or max`, { code: 'INVALID_QUERY' });
    sc.expect('()');
    checkAggregates(ctx);
    aggregate = fn as AggregateFn;
    sc.skipWs();
    aggregateCast = readCast(sc);
  }
  return {
    kind: 'field', field,
    ...(alias ? { alias: alias.name } : {}), ...(cast ? { cast } : {}),
    ...(aggregate ? { aggregate } : {}), ...(aggregateCast ? { aggregateCast } : {}),
  };
}

function readItem(ctx: Ctx, depth: number): SelectItem {
  const { sc } = ctx;
  sc.skipWs();
  if (sc.eat('*')) {
    sc.skipWs();
    return { kind: 'star' };
  }
  if (sc.eat('...')) {
    const relation = expectName(sc, 'an embed name after "..."');
    return readEmbed(ctx, relation, undefined, true, depth);
  }
  let alias: Name | undefined;
  let name = expectName(sc, 'a column or embed name');
  if (sc.peek() === ':' && sc.peek(1) !== ':') {
    sc.pos++;
    alias = name;
    name = expectName(sc, 'a column or embed name after the alias');
  }
  if (!name.quoted && name.name === 'count' && sc.startsWith('()')) {
    sc.pos += 2;
    checkAggregates(ctx);
    sc.skipWs();
    const aggregateCast = readCast(sc);
    return {
      kind: 'field', field: { column: '*', path: [] }, aggregate: 'count',
      ...(alias ? { alias: alias.name } : {}), ...(aggregateCast ? { aggregateCast } : {}),
    };
  }
  if (!name.quoted && isAggregate(name.name) && sc.peek() === '(') {
    const sdk = trySdkAggregate(ctx, name.name, alias);
    if (sdk) return sdk;
  }
  if (sc.peek() === '(' || sc.peek() === '!') return readEmbed(ctx, name, alias, false, depth);
  return readFieldItem(ctx, name, alias);
}

function readItems(ctx: Ctx, depth: number): SelectItem[] {
  const { sc } = ctx;
  if (depth > ctx.maxDepth) {
    sc.fail(`embeds are nested more than ${ctx.maxDepth} levels deep`, { details: { limit: ctx.maxDepth } });
  }
  sc.skipWs();
  const items: SelectItem[] = [];
  if (sc.done || sc.peek() === ')') return items;
  for (;;) {
    items.push(readItem(ctx, depth));
    sc.skipWs();
    if (!sc.eat(',')) break;
  }
  return items;
}

/** `select=` text → items. An empty text selects no columns (PostgREST returns `{}` rows). */
export function parseSelect(text: string, options: ParseOptions): SelectItem[] {
  const sc = new Scanner(text, 'INVALID_QUERY', 'select');
  const ctx: Ctx = { sc, options, maxDepth: resolveLimits(options).maxSelectDepth };
  const items = readItems(ctx, 0);
  if (!sc.done) sc.fail(sc.peek() === ')' ? 'unbalanced ")"' : `unexpected ${quoteInput(sc.peek())}`);
  return items;
}
