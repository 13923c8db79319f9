// Which table column each view column shows, read from the view's stored query tree
// (pg_rewrite.ev_action): the top-level target list records `resorigtbl`/`resorigcol` for
// columns that are plain references. Views over views are followed to the base table.
// PostgREST infers view relationships the same way; this scanner replaces its SQL regexes.

export interface ColumnOrigin {
  /** Oid of the relation the column comes from. */
  relid: number;
  attnum: number;
}

export interface ViewTarget extends ColumnOrigin {
  /** The view column's attnum (the target entry's resno). */
  resno: number;
}

/**
 * Splits pg_node_tree text into tokens: structural characters, and words in which a
 * backslash escapes the next character (how outToken protects spaces, braces and parens).
 */
function* tokens(text: string): Generator<{ word: string | null; char: string }> {
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r') { i++; continue; }
    if (ch === '{' || ch === '}' || ch === '(' || ch === ')') { i++; yield { word: null, char: ch }; continue; }
    let word = '';
    while (i < text.length) {
      const c = text[i]!;
      if (c === '\\' && i + 1 < text.length) { word += text[i + 1]; i += 2; continue; }
      if (c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '{' || c === '}' || c === '(' || c === ')') break;
      word += c;
      i++;
    }
    yield { word, char: '' };
  }
}

const WANTED = new Set([':resno', ':resorigtbl', ':resorigcol', ':resjunk', ':resname']);

/**
 * The non-junk entries of the top-level query's target list that reference a relation column.
 * Depths: `(` 1, `{QUERY` 2, `:targetList (` 3, `{TARGETENTRY` 4. Sub-queries (in the range
 * table or inside expressions) sit deeper and are ignored.
 */
export function parseViewTargets(evAction: string): ViewTarget[] {
  const out: ViewTarget[] = [];
  let depth = 0;
  let inTargetList = false;
  let sawTargetListKey = false;
  let entry: Record<string, string> | null = null;
  let pending: string | null = null;
  for (const t of tokens(evAction)) {
    if (t.word === null) {
      pending = null;
      if (t.char === '{' || t.char === '(') {
        depth++;
        if (sawTargetListKey && depth === 3) inTargetList = true;
        sawTargetListKey = false;
        if (inTargetList && depth === 4 && t.char === '{') entry = {};
      } else {
        if (inTargetList && depth === 4 && entry) {
          pushEntry(entry, out);
          entry = null;
        }
        depth--;
        if (depth < 3) inTargetList = false;
        if (depth <= 1) return out; // end of the rule's (only) query
      }
      continue;
    }
    const word = t.word;
    if (depth === 2) {
      sawTargetListKey = word === ':targetList';
      continue;
    }
    if (!inTargetList || depth !== 4 || !entry) continue;
    if (pending) {
      entry[pending] = word;
      pending = null;
    } else if (WANTED.has(word)) {
      pending = word;
    }
  }
  return out;
}

function pushEntry(entry: Record<string, string>, out: ViewTarget[]): void {
  const resno = Number(entry[':resno']);
  const relid = Number(entry[':resorigtbl']);
  const attnum = Number(entry[':resorigcol']);
  if (entry[':resjunk'] === 'true' || !Number.isInteger(resno) || !(relid > 0) || !(attnum > 0)) return;
  out.push({ resno, relid, attnum });
}

/**
 * For each view, its columns' base-table origins (through views over views, cycles cut).
 * Key: view oid → view attnum → origin in a relation that is not one of `views`.
 */
export function resolveViewLineage(views: ReadonlyMap<number, ViewTarget[]>): Map<number, Map<number, ColumnOrigin>> {
  const direct = new Map<number, Map<number, ColumnOrigin>>();
  for (const [oid, targets] of views) direct.set(oid, new Map(targets.map((t) => [t.resno, { relid: t.relid, attnum: t.attnum }])));

  const resolve = (origin: ColumnOrigin, seen: Set<number>): ColumnOrigin | undefined => {
    const inner = direct.get(origin.relid);
    if (!inner) return origin; // a table
    if (seen.has(origin.relid)) return undefined;
    const next = inner.get(origin.attnum);
    if (!next) return undefined; // an expression column of the inner view
    return resolve(next, new Set([...seen, origin.relid]));
  };

  const out = new Map<number, Map<number, ColumnOrigin>>();
  for (const [oid, cols] of direct) {
    const resolved = new Map<number, ColumnOrigin>();
    for (const [resno, origin] of cols) {
      const base = resolve(origin, new Set([oid]));
      if (base) resolved.set(resno, base);
    }
    out.set(oid, resolved);
  }
  return out;
}
