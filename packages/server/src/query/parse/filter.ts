// One filter's operator expression: `[not.]op[(any|all)|(language)].value` as written
// after `col=` (the value is the rest of the text) or inside a logic group (the value ends
// at `,`/`)` unless quoted). Produces a FilterLeaf; no schema knowledge here.
import type { FieldRef, FilterLeaf, IsValue, Operation, ParseLimits } from '../ast.ts';
import { quoteInput } from '../errors.ts';
import { ALL_OPERATORS, isCompareOp, isFtsOp, isGeoOp, isQuantifiableOp, LANGUAGE, unknownOperator } from './operators.ts';
import { Budget, Scanner } from './scanner.ts';
import { readBraceList, readLogicValue, readParenList } from './values.ts';

export type ValueMode = 'top' | 'logic';

const IS_VALUES: readonly IsValue[] = ['null', 'true', 'false', 'unknown'];

function readValue(sc: Scanner, mode: ValueMode): string {
  return mode === 'top' ? sc.rest() : readLogicValue(sc);
}

function readIsValue(sc: Scanner, mode: ValueMode): IsValue {
  const start = sc.pos;
  const word = (mode === 'top' ? sc.rest() : sc.readUntil(',)')).toLowerCase();
  if (!(IS_VALUES as readonly string[]).includes(word)) {
    sc.pos = start;
    sc.fail(`"is" takes null, true, false or unknown, not ${quoteInput(word)}`);
  }
  return word as IsValue;
}

const DWITHIN = /^\s*(\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?\s*,\s*(\{[\s\S]*\})\s*$/;

function isGeoJson(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { type?: unknown }).type === 'string';
  } catch {
    return false;
  }
}

/** GeoJSON is checked here so a malformed shape is a 400, not a PostGIS internal error. */
function checkGeoValue(sc: Scanner, op: string, value: string): void {
  if (op === 'st_dwithin') {
    const m = DWITHIN.exec(value);
    if (!m || !isGeoJson(m[2] ?? '')) sc.fail('st_dwithin takes "<distance>,<GeoJSON geometry>", e.g. st_dwithin.1000,{"type":"Point","coordinates":[0,0]}');
    return;
  }
  if (!isGeoJson(value)) sc.fail(`${op} takes a GeoJSON geometry object`);
}

function readOperation(sc: Scanner, mode: ValueMode, limits: ParseLimits): Operation {
  const opStart = sc.pos;
  const op = sc.readWhile(/[a-z0-9_]/i);
  if (op === '') sc.fail('expected an operator such as eq, in or is');
  if (op === 'in') {
    sc.expect('.');
    return { op, values: readParenList(sc, limits.maxInItems) };
  }
  if (op === 'is') {
    sc.expect('.');
    return { op, value: readIsValue(sc, mode) };
  }
  if (isFtsOp(op)) {
    let language: string | undefined;
    if (sc.eat('(')) {
      language = sc.readUntil(')');
      if (!LANGUAGE.test(language)) sc.fail(`text search language must be a plain word, not ${quoteInput(language)}`);
      sc.expect(')');
    }
    sc.expect('.');
    const value = readValue(sc, mode);
    return language === undefined ? { op, value } : { op, language, value };
  }
  if (isQuantifiableOp(op) && sc.peek() === '(') {
    sc.pos++;
    const q = sc.readUntil(')');
    if (q !== 'any' && q !== 'all') sc.fail(`unknown modifier ${quoteInput(q)}; use (any) or (all)`);
    sc.expect(')');
    sc.expect('.');
    return { op, quantifier: q, values: readBraceList(sc, limits.maxInItems) };
  }
  if (isCompareOp(op)) {
    if (sc.peek() === '(') sc.fail(`${op} takes no modifier`);
    sc.expect('.');
    return { op, value: readValue(sc, mode) };
  }
  if (isGeoOp(op)) {
    sc.expect('.');
    const at = sc.pos;
    const value = readValue(sc, mode);
    const end = sc.pos;
    sc.pos = at;
    checkGeoValue(sc, op, value);
    sc.pos = end;
    return { op, value };
  }
  sc.pos = opStart;
  return unknownOperator(sc, op);
}

/** `[not.]operation` at the scanner's position. */
export function readOpExpr(sc: Scanner, field: FieldRef, mode: ValueMode, budget: Budget): FilterLeaf {
  budget.addFilterTerm();
  const negated = sc.eat('not.');
  if (negated && sc.startsWith('not.')) sc.fail('"not." may appear only once');
  const operation = readOperation(sc, mode, budget.limits);
  return { kind: 'filter', field, negated, operation };
}

export function filterScanner(field: FieldRef, value: string): Scanner {
  return new Scanner(value, 'INVALID_FILTER', `filter on ${quoteInput(field.column)}`);
}

/** The value of `col=<value>`: `eq.5`, `not.in.(1,2)`, `like(any).{a*,b*}`, `fts(english).cat`, `is.null`. */
export function parseFilterWith(field: FieldRef, value: string, budget: Budget): FilterLeaf {
  const sc = filterScanner(field, value);
  const m = /^(?:not\.)?([a-z_][a-z0-9_]*)([.(]|$)/i.exec(value);
  if (!m || (m[2] === '' && !ALL_OPERATORS.includes(m[1] ?? ''))) {
    sc.fail(`${quoteInput(value)} has no operator`, {
      hint: `Write the operator before the value, e.g. ${quoteInput(`${field.column}=eq.${value}`)}`,
    });
  }
  const leaf = readOpExpr(sc, field, 'top', budget);
  sc.expectEnd();
  return leaf;
}

export function parseFilter(field: FieldRef, value: string, limits?: ParseLimits): FilterLeaf {
  return parseFilterWith(field, value, new Budget(limits));
}
