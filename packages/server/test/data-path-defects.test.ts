// Defects found by a hostile client, each fixed and pinned here:
// - the router's own refusals (malformed percent-encoding) answered outside the envelope;
// - client mistakes answered 500 (an impossible cast), checked by a property test over
//   random casts, column types and filters on both mounts;
// - RAISE EXCEPTION text hidden from the Fluxbase SDK (which shows `error`);
// - a 413 the client never read, because the connection was reset while it was still
//   sending its body (now a lingering close).
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../sdk/src/index.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(`
    create table public.books (
      id int primary key, title text not null, published date, price numeric(8,2), rating float8, in_print boolean,
      isbn uuid, tags text[], meta jsonb, during tstzrange, pages smallint, big bigint, at timestamptz, ip inet, doc xml, raw bytea
    );
    insert into public.books values
      (1, 'Dune', '1965-08-01', 9.99, 4.5, true, '8b1b2b7e-0c1a-4a33-9a57-3a4b1d1c2f00', '{scifi}', '{"lang":"en"}', '[2020-01-01,2021-01-01)', 412, 1, now(), '10.0.0.1', '<a/>', '\\x00');
    create table public.widgets (id int primary key, name text);
    create function public.fail_with(msg text) returns int language plpgsql as $$
      begin raise exception '%', msg using detail = 'the detail', hint = 'the hint'; end $$;
  `);
  app = await startTestApp(db.url);
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const auth = () => ({ apikey: app.keys.service_role, Authorization: `Bearer ${app.keys.service_role}` });

/** A raw request line, so the path reaches the server byte for byte. */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const port = Number(new URL(app.url).port);
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => (data += d));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head, body] = [data.slice(0, data.indexOf('\r\n\r\n')), data.slice(data.indexOf('\r\n\r\n') + 4)];
      const [statusLine, ...lines] = head.split('\r\n');
      resolve({
        status: Number(statusLine!.split(' ')[1]),
        headers: Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()])),
        body,
      });
    });
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${extra}\r\n`);
  });
}

describe('malformed paths are answered in the envelope', () => {
  const paths = [
    '/api/v1/tables/books%', '/api/v1/tables/books%G1', '/api/v1/tables/%%', '/api/v1/tables/books%E0%80%AF',
    '/api/v1/tables/books%ED%BF%BF', '/api/v1/tables/books%F4%90%80%80', '/api/v1/tables/public/widgets/%FF',
  ];

  it.each(paths)('GET %s → 400 INVALID_FORMAT with the request id', async (path) => {
    const res = await rawGet(path, { 'X-Request-ID': 'bad-url-1' });
    expect(res.status).toBe(400);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'Invalid format', code: 'INVALID_FORMAT', request_id: 'bad-url-1' });
    expect(res.headers['x-request-id']).toBe('bad-url-1');
    expect(res.body).not.toContain('FST_ERR');
    expect(res.body).not.toContain('statusCode');
  });

  it('in the PostgREST shape on /rest/v1', async () => {
    const res = await rawGet('/rest/v1/books%G1');
    expect(res.status).toBe(400);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['code', 'details', 'hint', 'message', 'request_id']);
    expect(body.request_id).toBe(res.headers['x-request-id']);
  });
});

describe('client mistakes are never a 5xx', () => {
  it('an impossible cast in select is a 400 on both mounts (42846)', async () => {
    const rest = await app.fetch('/rest/v1/books?select=published::int', { headers: auth() });
    expect(rest.status).toBe(400);
    expect(((await rest.json()) as { code: string }).code).toBe('42846');
    const api = await app.fetch('/api/v1/tables/books?select=published::int', { headers: auth() });
    expect(api.status).toBe(400);
    expect(((await api.json()) as { code: string }).code).toBe('INVALID_QUERY');
  });

  const columns = ['id', 'title', 'published', 'price', 'rating', 'in_print', 'isbn', 'tags', 'meta', 'during', 'pages', 'big', 'at', 'ip', 'doc', 'raw'];
  const casts = ['int', 'int2', 'int8', 'text', 'date', 'numeric', 'float8', 'bool', 'uuid', 'json', 'jsonb', 'tstzrange', 'inet', 'bytea', 'timestamptz', 'text[]', 'int[]', 'xml', 'money', 'interval', 'point', 'oid', 'regclass'];
  const ops = ['eq', 'neq', 'gt', 'lt', 'gte', 'like', 'ilike', 'cs', 'cd', 'ov', 'is', 'in', 'fts', 'match', 'sl', 'adj', 'isdistinct'];
  const values = ['1', 'abc', '', 'null', 'true', '{a,b}', '(1,2)', '[1,2)', '2020-01-01', '1e999', '-1', '{"a":1}', '%', '\\', '😀', '10.0.0.0/8', 'NaN', '99999999999999999999'];

  it('random casts × columns × filters on both mounts (400 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...columns), fc.constantFrom(...casts), fc.constantFrom(...columns), fc.constantFrom(...ops),
        fc.constantFrom(...values), fc.boolean(),
        async (col, cast, filterCol, op, value, restMount) => {
          const query = `select=${col}::${encodeURIComponent(cast)}&${filterCol}=${op}.${encodeURIComponent(op === 'in' ? `(${value})` : value)}`;
          const path = restMount ? `/rest/v1/books?${query}` : `/api/v1/tables/books?${query}`;
          const res = await app.fetch(path, { headers: auth() });
          const text = await res.text();
          expect(res.status, `${path} → ${text}`).toBeLessThan(500);
          expect(text).not.toMatch(/\bselect\b.*\bfrom\b/i);
        },
      ),
      { numRuns: 400, seed: 1717 },
    );
  });
});

describe('RAISE EXCEPTION', () => {
  it('reaches the Fluxbase SDK as the error it shows, with DETAIL and HINT', async () => {
    const client = createClient(app.url, app.keys.service_role);
    const { data, error } = await client.rpc('fail_with', { msg: 'Not enough credit' });
    expect(data).toBeNull();
    expect(error).toMatchObject({ code: 'RAISED_EXCEPTION', error: 'Not enough credit', status: 400, hint: 'the hint' });
    expect(error!.details).toEqual({ detail: 'the detail' });
  });

  it('and on /rest/v1 as PostgREST passes it: code P0001, message, details, hint', async () => {
    const res = await app.fetch('/rest/v1/rpc/fail_with', { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: '{"msg":"Not enough credit"}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'P0001', message: 'Not enough credit', details: 'the detail', hint: 'the hint' });
  });
});

describe('a body over the limit', () => {
  /** Write the whole body first, then read what the server answered (as most clients do). */
  function uploadThenRead(path: string, size: number, chunked: boolean): Promise<string> {
    return new Promise((resolve) => {
      const socket = net.connect(Number(new URL(app.url).port), '127.0.0.1');
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.on('error', () => {});
      socket.on('close', () => resolve(data));
      socket.on('connect', async () => {
        const head = chunked
          ? `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`
          : `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`;
        socket.write(head);
        const piece = Buffer.alloc(64 * 1024, 'a');
        for (let sent = 0; sent < size && !socket.destroyed; sent += piece.length) {
          const out = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
          if (!socket.write(out)) await new Promise((r) => socket.once('drain', r));
        }
        if (chunked && !socket.destroyed) socket.write('0\r\n\r\n');
      });
    });
  }

  it('is answered 413 in the envelope even to clients that write their whole body before reading', async () => {
    const answers = await Promise.all([
      ...Array.from({ length: 4 }, () => uploadThenRead('/rest/v1/books', 8_000_000, false)),
      ...Array.from({ length: 2 }, () => uploadThenRead('/api/v1/auth/signup', 2_000_000, true)),
    ]);
    for (const answer of answers) {
      expect(answer.slice(0, 40)).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toMatch(/\r\nconnection: close\r\n/i);
      expect(answer).toContain('"code":"');
    }
    expect((await app.fetch('/ready')).status).toBe(200);
  });
});
