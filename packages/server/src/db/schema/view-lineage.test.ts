// View column lineage from pg_rewrite query trees (text as PostgreSQL 17 prints it, trimmed
// of fields the scanner skips anyway).
import { describe, expect, it } from 'vitest';
import { parseViewTargets, resolveViewLineage } from './view-lineage.ts';

const VAR = (varno: number, attno: number) => `{VAR :varno ${varno} :varattno ${attno} :vartype 23 :location -1}`;
const TE = (expr: string, resno: number, resname: string, tbl: number, col: number, junk = false) =>
  `{TARGETENTRY :expr ${expr} :resno ${resno} :resname ${resname} :ressortgroupref 0 :resorigtbl ${tbl} :resorigcol ${col} :resjunk ${junk}}`;
const QUERY = (rtable: string, targets: string[]) =>
  `{QUERY :commandType 1 :cteList <> :rtable (${rtable}) :jointree {FROMEXPR :fromlist ({RANGETBLREF :rtindex 1}) :quals <>} :targetList (${targets.join(' ')}) :override 0 :sortClause <>}`;
const RTE = (relid: number, colnames: string) =>
  `{RANGETBLENTRY :alias <> :eref {ALIAS :aliasname a :colnames (${colnames})} :rtekind 0 :relid ${relid} :inh true :relkind r}`;

describe('parseViewTargets', () => {
  it('reads the top-level target list: plain references only, junk and expressions skipped', () => {
    const sublink = `{SUBLINK :subLinkType 4 :subselect ${QUERY(RTE(500, '"id"'), [TE(`{AGGREF :args (${TE(VAR(1, 1), 1, '<>', 500, 7)})}`, 1, 'max', 0, 0)])}}`;
    const plus = `{OPEXPR :opno 551 :args (${VAR(1, 1)} {CONST :consttype 23 :constlen 4 :constisnull false :constvalue 4 [ 1 0 0 0 0 0 0 0 ]})}`;
    const text = `(${QUERY(RTE(500, '"id" "x\\ y\\{\\)"'), [
      TE(sublink, 1, 'm', 0, 0),
      TE(VAR(1, 2), 2, ':resno', 500, 2), // an alias that looks like a field name is not escaped by PostgreSQL
      TE(VAR(1, 1), 3, 'x\\ y\\{\\)', 500, 1),
      TE(plus, 4, 'expr', 0, 0),
      TE(VAR(1, 1), 5, 'hidden', 500, 1, true),
    ])})`;
    expect(parseViewTargets(text)).toEqual([
      { resno: 2, relid: 500, attnum: 2 },
      { resno: 3, relid: 500, attnum: 1 },
    ]);
  });

  it('ignores target lists of subqueries in the range table', () => {
    const sub = `{RANGETBLENTRY :eref {ALIAS :aliasname x :colnames ("id")} :rtekind 1 :subquery ${QUERY(RTE(600, '"id"'), [TE(VAR(1, 1), 1, 'id', 600, 1)])}}`;
    const text = `(${QUERY(sub, [TE(VAR(1, 1), 1, 'vid', 600, 1), TE(`{CONST :constvalue 4 [ 7 0 0 0 ]}`, 2, 'seven', 0, 0)])})`;
    expect(parseViewTargets(text)).toEqual([{ resno: 1, relid: 600, attnum: 1 }]);
  });

  it('returns nothing for an empty target list or malformed text', () => {
    expect(parseViewTargets(`(${QUERY(RTE(1, '<>'), []).replace(':targetList ()', ':targetList <>')})`)).toEqual([]);
    expect(parseViewTargets('')).toEqual([]);
    expect(parseViewTargets('({QUERY :targetList ({TARGETENTRY :resno')).toEqual([]);
  });
});

describe('resolveViewLineage', () => {
  it('follows views over views to the base table and cuts cycles', () => {
    const views = new Map([
      [10, [{ resno: 1, relid: 500, attnum: 3 }, { resno: 2, relid: 500, attnum: 1 }]], // view 10 over table 500
      [20, [{ resno: 1, relid: 10, attnum: 2 }, { resno: 2, relid: 10, attnum: 9 }]], // view 20 over view 10 (col 9 is an expression there)
      [30, [{ resno: 1, relid: 31, attnum: 1 }]], // 30 ↔ 31: a cycle cannot be created in PostgreSQL, but must not loop
      [31, [{ resno: 1, relid: 30, attnum: 1 }]],
    ]);
    const lineage = resolveViewLineage(views);
    expect([...lineage.get(10)!]).toEqual([[1, { relid: 500, attnum: 3 }], [2, { relid: 500, attnum: 1 }]]);
    expect([...lineage.get(20)!]).toEqual([[1, { relid: 500, attnum: 1 }]]);
    expect(lineage.get(30)!.size).toBe(0);
  });
});
