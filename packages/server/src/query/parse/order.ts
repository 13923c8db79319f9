// The `order` grammar: comma-separated `field[.vec_op.[n,…]][.asc|.desc][.nullsfirst|.nullslast]`,
// where field is a column, a JSON path, or `rel(col)` (a column of a to-one embed).
import type { OrderTerm, ParseLimits } from '../ast.ts';
import { quoteInput } from '../errors.ts';
import { expectName, readField, readJsonPath } from './names.ts';
import { Budget, Scanner } from './scanner.ts';

const NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
type VectorOp = NonNullable<OrderTerm['vector']>['op'];
const VECTOR_OPS: readonly string[] = ['vec_l2', 'vec_cos', 'vec_ip'];

/** `[1,2.5,-3]`: finite numbers only, at most maxInItems of them. */
export function readVector(sc: Scanner, maxItems: number): number[] {
  sc.expect('[');
  const values: number[] = [];
  sc.skipWs();
  if (sc.eat(']')) sc.fail('a vector needs at least one number');
  do {
    sc.skipWs();
    const at = sc.pos;
    const text = sc.readUntil(',]').trim();
    const n = Number(text);
    if (!NUMBER.test(text) || !Number.isFinite(n)) {
      sc.pos = at;
      sc.fail(`${quoteInput(text)} is not a number`);
    }
    values.push(n);
    if (values.length > maxItems) sc.fail(`a vector has at most ${maxItems} numbers`);
  } while (sc.eat(','));
  sc.expect(']');
  return values;
}

function readTarget(sc: Scanner): OrderTerm {
  const name = expectName(sc);
  if (sc.peek() !== '(') return { field: { column: name.name, path: readJsonPath(sc) }, direction: 'asc' };
  sc.pos++;
  const field = readField(sc);
  sc.skipWs();
  sc.expect(')');
  return { field, relation: name.name, direction: 'asc' };
}

/** Only the target of an order term (`col`, `data->x`, `rel(col)`), as the /query body's `column`. */
export function parseOrderTarget(text: string): OrderTerm {
  const sc = new Scanner(text, 'INVALID_QUERY', 'order column');
  const term = readTarget(sc);
  sc.expectEnd();
  return term;
}

function readTerm(sc: Scanner, limits: ParseLimits): OrderTerm {
  const term = readTarget(sc);
  let stage = 0; // 0: nothing yet, 1: after vector, 2: after direction, 3: after nulls
  while (sc.eat('.')) {
    const at = sc.pos;
    const word = sc.readWhile(/[a-z0-9_]/i);
    if (VECTOR_OPS.includes(word) && stage === 0) {
      sc.expect('.');
      term.vector = { op: word as VectorOp, value: readVector(sc, limits.maxInItems) };
      stage = 1;
    } else if ((word === 'asc' || word === 'desc') && stage < 2) {
      term.direction = word;
      stage = 2;
    } else if ((word === 'nullsfirst' || word === 'nullslast') && stage < 3) {
      term.nulls = word === 'nullsfirst' ? 'first' : 'last';
      stage = 3;
    } else {
      sc.pos = at;
      sc.fail(`unexpected order modifier ${quoteInput(word)}`, {
        hint: 'Write column[.asc|.desc][.nullsfirst|.nullslast], e.g. order=created_at.desc.nullslast',
      });
    }
  }
  return term;
}

export function parseOrderWith(text: string, budget: Budget, what = 'order'): OrderTerm[] {
  const sc = new Scanner(text, 'INVALID_QUERY', what);
  const terms: OrderTerm[] = [];
  do {
    budget.addOrderTerm();
    terms.push(readTerm(sc, budget.limits));
    sc.skipWs();
  } while (sc.eat(','));
  sc.expectEnd();
  return terms;
}

export function parseOrder(text: string): OrderTerm[] {
  return parseOrderWith(text, new Budget());
}
