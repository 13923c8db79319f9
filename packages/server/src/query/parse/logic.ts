// Logic groups: the value of `or=`, `and=`, `not.or=`, `rel.or=` (`(a.eq.1,or(b.gt.2,c.is.null))`),
// with nested `and(…)`, `or(…)`, `not.and(…)`, `not.or(…)` up to maxLogicDepth levels.
import type { FilterGroup, FilterNode, ParseLimits } from '../ast.ts';
import { QueryError } from '../errors.ts';
import { readOpExpr } from './filter.ts';
import { readField } from './names.ts';
import { Budget, Scanner } from './scanner.ts';

const GROUP_START = /^(not\.)?(and|or)\s*\(/;

function readGroupBody(sc: Scanner, kind: 'and' | 'or', negated: boolean, depth: number, budget: Budget): FilterGroup {
  const max = budget.limits.maxLogicDepth;
  if (depth > max) {
    throw new QueryError('INVALID_FILTER', `Logic groups are nested more than ${max} levels deep`, {
      details: { limit: max, position: sc.pos + 1 },
    });
  }
  sc.skipWs();
  sc.expect('(');
  const children: FilterNode[] = [];
  do {
    sc.skipWs();
    children.push(readItem(sc, depth, budget));
    sc.skipWs();
  } while (sc.eat(','));
  sc.expect(')');
  return { kind, negated, children };
}

/** A nested group, or a `field.op.value` leaf. A column may be named `and`/`or`: `or.eq.1` is a leaf. */
function readItem(sc: Scanner, depth: number, budget: Budget): FilterNode {
  const m = GROUP_START.exec(sc.text.slice(sc.pos, sc.pos + 16));
  if (m) {
    sc.pos += (m[1] ?? '').length + (m[2] ?? '').length;
    return readGroupBody(sc, m[2] as 'and' | 'or', m[1] !== undefined, depth + 1, budget);
  }
  const field = readField(sc);
  sc.expect('.');
  return readOpExpr(sc, field, 'logic', budget);
}

export function parseLogicWith(kind: 'and' | 'or', negated: boolean, text: string, budget: Budget, scope = ''): FilterGroup {
  const sc = new Scanner(text, 'INVALID_FILTER', `${scope}${negated ? 'not.' : ''}${kind} filter`);
  const group = readGroupBody(sc, kind, negated, 1, budget);
  sc.expectEnd();
  return group;
}

export function parseLogic(kind: 'and' | 'or', negated: boolean, text: string, limits?: ParseLimits): FilterGroup {
  return parseLogicWith(kind, negated, text, new Budget(limits));
}
