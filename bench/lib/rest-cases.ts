// The REST benchmark requests (R1, R3–R6 of the performance goals), shared by the runner
// (load targets, preflight) and the baseline server (which compiles each case's query
// string with Fluxbase's own parser, planner and compiler, so both sides run the same SQL).
import { CATEGORY_COUNT, ITEM_COUNT } from './rest-fixture.ts';

export interface RestCase {
  /** Benchmark name (`npm run bench -- <name>`). */
  name: string;
  id: 'R1' | 'R3' | 'R4' | 'R5' | 'R6';
  description: string;
  /** Short form for the result table. */
  what: string;
  method: 'GET' | 'POST';
  table: string;
  /** Query string; `{id}` stands for a random item id drawn per request. */
  query: string;
  prefer?: string;
  /** Request body (writes): the same on every request. */
  body?: string;
  /** The answer both sides must give. */
  status: number;
  goal: number;
  p99Factor?: number;
}

/** Where `{id}` goes in a case's query string: the value of this parameter after `eq.`. */
export const ID_PARAM = 'id';

const bulkRows = Array.from({ length: 100 }, (_, i) => ({ item_id: 1 + ((i * 9973) % ITEM_COUNT), title: `bulk entry ${i}`, qty: i + 1 }));

export const REST_CASES: RestCase[] = [
  {
    name: 'rest-read', id: 'R1', description: 'R1: GET one item by random id as a user, RLS owner = auth.uid()',
    what: 'R1 GET /rest/v1/items?id=eq.<random>',
    method: 'GET', table: 'items', query: 'id=eq.{id}', status: 200, goal: 0.9, p99Factor: 1.5,
  },
  {
    name: 'rest-embed', id: 'R3', description: `R3: GET one item by random id with its category embedded (to-one, ${CATEGORY_COUNT} categories)`,
    what: 'R3 GET items?select=…,category:categories(id,name)&id=eq.<random>',
    method: 'GET', table: 'items', query: 'select=id,title,price,category:categories(id,name)&id=eq.{id}', status: 200, goal: 0.85,
  },
  {
    name: 'rest-insert', id: 'R4', description: 'R4: POST one row, Prefer: return=minimal, RLS with check',
    what: 'R4 POST /rest/v1/entries, 1 row, return=minimal',
    method: 'POST', table: 'entries', query: '', prefer: 'return=minimal',
    body: JSON.stringify({ item_id: 1, title: 'bench entry', qty: 1 }), status: 201, goal: 0.85,
  },
  {
    name: 'rest-bulk', id: 'R5', description: 'R5: POST 100 rows in one request, Prefer: return=minimal',
    what: 'R5 POST /rest/v1/entries, 100 rows, return=minimal',
    method: 'POST', table: 'entries', query: '', prefer: 'return=minimal', body: JSON.stringify(bulkRows), status: 201, goal: 0.85,
  },
  {
    name: 'rest-count', id: 'R6', description: `R6: GET a 10-row page with Prefer: count=exact over ${ITEM_COUNT.toLocaleString('en-US')} visible rows`,
    what: 'R6 GET items?select=id,title&order=id&limit=10, count=exact (1M rows)',
    method: 'GET', table: 'items', query: 'select=id,title&order=id&limit=10', prefer: 'count=exact', status: 206, goal: 0.85,
  },
];

/** The request path and query for one request of `c` (a fresh random id where `{id}` is). */
export function casePath(c: RestCase, id = randomItemId()): string {
  const query = c.query.replace('{id}', String(id));
  return `/rest/v1/${c.table}${query ? `?${query}` : ''}`;
}

export function randomItemId(): number {
  return 1 + Math.floor(Math.random() * ITEM_COUNT);
}
