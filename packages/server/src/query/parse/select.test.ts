// The select grammar as a table of [text, items | error code], both mounts.
import { describe, expect, it } from 'vitest';
import type { SelectItem } from '../ast.ts';
import { QueryError } from '../errors.ts';
import { parseSelect } from './select.ts';
import type { ParseOptions } from './options.ts';

const FLUX: ParseOptions = { mount: 'fluxbase', aggregatesEnabled: true };
const PGRST: ParseOptions = { mount: 'postgrest', aggregatesEnabled: true };
const f = (column: string, extra: Partial<Extract<SelectItem, { kind: 'field' }>> = {}, path: { op: '->' | '->>'; key: string }[] = []): SelectItem =>
  ({ kind: 'field', field: { column, path }, ...extra });
const embed = (relation: string, select: SelectItem[], extra: Partial<Extract<SelectItem, { kind: 'embed' }>> = {}): SelectItem =>
  ({ kind: 'embed', relation, spread: false, select, ...extra });
const star: SelectItem = { kind: 'star' };

const both: [string, SelectItem[]][] = [
  ['*', [star]],
  ['', []],
  ['id,name', [f('id'), f('name')]],
  [' id , name ', [f('id'), f('name')]],
  ['first name', [f('first name')]],
  ['"my col","a,b"', [f('my col'), f('a,b')]],
  ['"with \\"quote\\""', [f('with "quote"')]],
  ['alias:col', [f('col', { alias: 'alias' })]],
  ['"al:ias":col', [f('col', { alias: 'al:ias' })]],
  ['col::text', [f('col', { cast: 'text' })]],
  ['col::character varying', [f('col', { cast: 'character varying' })]],
  ['col::int[]', [f('col', { cast: 'int[]' })]],
  ['data->a->>b', [f('data', {}, [{ op: '->', key: 'a' }, { op: '->>', key: 'b' }])]],
  ['data->0->-1', [f('data', {}, [{ op: '->', key: '0' }, { op: '->', key: '-1' }])]],
  ['data->"a b"', [f('data', {}, [{ op: '->', key: 'a b' }])]],
  ['x:data->>b::int', [f('data', { alias: 'x', cast: 'int' }, [{ op: '->>', key: 'b' }])]],
  ['rel(*)', [embed('rel', [star])]],
  ['rel()', [embed('rel', [])]],
  ['a:rel(id)', [embed('rel', [f('id')], { alias: 'a' })]],
  ['rel!fk_name(id)', [embed('rel', [f('id')], { hint: 'fk_name' })]],
  ['rel!inner(id)', [embed('rel', [f('id')], { join: 'inner' })]],
  ['rel!left(id)', [embed('rel', [f('id')], { join: 'left' })]],
  ['rel!hint!inner(id)', [embed('rel', [f('id')], { hint: 'hint', join: 'inner' })]],
  ['rel!inner!hint(id)', [embed('rel', [f('id')], { hint: 'hint', join: 'inner' })]],
  ['rel!"inner"(id)', [embed('rel', [f('id')], { hint: 'inner' })]],
  ['...rel(a,b)', [{ kind: 'embed', relation: 'rel', spread: true, select: [f('a'), f('b')] }]],
  ['...rel!fk!inner(a)', [{ kind: 'embed', relation: 'rel', spread: true, select: [f('a')], hint: 'fk', join: 'inner' }]],
  ['id,a(b(c(*)),d)', [f('id'), embed('a', [embed('b', [embed('c', [star])]), f('d')])]],
  ['count()', [f('*', { aggregate: 'count' })]],
  ['n:count()::int', [f('*', { aggregate: 'count', alias: 'n', aggregateCast: 'int' })]],
  ['amount.sum()', [f('amount', { aggregate: 'sum' })]],
  ['amount.avg()::int', [f('amount', { aggregate: 'avg', aggregateCast: 'int' })]],
  ['total:amount.max()', [f('amount', { aggregate: 'max', alias: 'total' })]],
  ['amount::numeric.min()::text', [f('amount', { aggregate: 'min', cast: 'numeric', aggregateCast: 'text' })]],
  ['id.count()', [f('id', { aggregate: 'count' })]],
  ['rel(count())', [embed('rel', [f('*', { aggregate: 'count' })])]],
  ['"count"()', [embed('count', [])]],
];

const fluxOnly: [string, SelectItem[]][] = [
  ['count(*)', [f('*', { aggregate: 'count', alias: 'count' })]],
  ['count(id)', [f('id', { aggregate: 'count', alias: 'count_id' })]],
  ['sum(amount)', [f('amount', { aggregate: 'sum', alias: 'sum_amount' })]],
  ['avg( price )', [f('price', { aggregate: 'avg', alias: 'avg_price' })]],
  ['min(a),max(b)', [f('a', { aggregate: 'min', alias: 'min_a' }), f('b', { aggregate: 'max', alias: 'max_b' })]],
  ['sum(data->>x)', [f('data', { aggregate: 'sum', alias: 'sum_x' }, [{ op: '->>', key: 'x' }])]],
  ['sum(a,b)', [embed('sum', [f('a'), f('b')])]],
  ['x:sum(a)', [embed('sum', [f('a')], { alias: 'x' })]],
];

const errors: [string, string, ParseOptions?][] = [
  ['id,', 'INVALID_QUERY'],
  [',id', 'INVALID_QUERY'],
  ['rel(id', 'INVALID_QUERY'],
  ['id)', 'INVALID_QUERY'],
  ['col::', 'INVALID_QUERY'],
  ['col::text;drop', 'INVALID_QUERY'],
  ["col::text'", 'INVALID_QUERY'],
  ['data->', 'INVALID_QUERY'],
  ['->a', 'INVALID_QUERY'],
  ['data->>-7x', 'INVALID_QUERY'],
  ['col.foo()', 'INVALID_QUERY'],
  ['col.sum', 'INVALID_QUERY'],
  ['rel!a!b(id)', 'INVALID_QUERY'],
  ['rel!inner!left(id)', 'INVALID_QUERY'],
  ['rel->x(id)', 'INVALID_QUERY'],
  ['"unterminated', 'INVALID_QUERY'],
  ['id;drop table users', 'INVALID_QUERY'],
  ['count()', 'INVALID_QUERY', { mount: 'postgrest', aggregatesEnabled: false }],
  ['a.sum()', 'INVALID_QUERY', { mount: 'postgrest', aggregatesEnabled: false }],
  ['sum(a)', 'INVALID_QUERY', { mount: 'fluxbase', aggregatesEnabled: false }],
  ['a(b(c(d(e(f(g(h(i(j(*))))))))))', 'INVALID_QUERY'],
];

describe('parseSelect', () => {
  it.each(both)('%s (both mounts)', (text, expected) => {
    expect(parseSelect(text, FLUX)).toEqual(expected);
    expect(parseSelect(text, PGRST)).toEqual(expected);
  });

  it.each(fluxOnly)('%s (fluxbase mount: the SDK form)', (text, expected) => {
    expect(parseSelect(text, FLUX)).toEqual(expected);
  });

  it('reads the SDK forms as embeds on the PostgREST mount', () => {
    expect(parseSelect('count(*)', PGRST)).toEqual([embed('count', [star])]);
    expect(parseSelect('sum(amount)', PGRST)).toEqual([embed('sum', [f('amount')])]);
  });

  it.each(errors)('%s → %s', (text, code, options = FLUX) => {
    let caught: unknown;
    try {
      parseSelect(text, options);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(QueryError);
    expect((caught as QueryError).code).toBe(code);
    expect((caught as QueryError).message).toMatch(/^Invalid select: /);
  });

  it('allows 8 levels of embeds, not 9', () => {
    const nest = (n: number): string => (n === 0 ? '*' : `r${n}(${nest(n - 1)})`);
    expect(() => parseSelect(nest(8), FLUX)).not.toThrow();
    expect(() => parseSelect(nest(9), FLUX)).toThrow(/nested more than 8 levels/);
  });

  it('points at the offending position', () => {
    try {
      parseSelect('id,name,rel(x', FLUX);
      expect.unreachable();
    } catch (err) {
      expect((err as QueryError).details).toMatchObject({ position: 14 });
    }
  });
});
