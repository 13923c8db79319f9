// Storage metadata under Row Level Security (migrations/016_storage.up.sql): a matrix of
// principal × bucket × operation × expected result, every operation run through the store
// functions inside withRequestTx exactly as the routes will (role and claims GUCs, RLS
// applies), each in a transaction rolled back so the fixture never changes. Then the pieces
// the matrix does not show: check-before-bytes, buckets, shares, listing, sessions, helpers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, withRequestTx, type DbRole, type Pool, type RequestContext } from '../src/db/index.ts';
import type { ReservedSql } from '../src/db/index.ts';
import { createBucket, deleteBucket, getBucket, listBuckets, updateBucket } from '../src/storage/bucket-store.ts';
import {
  checkWrite, copyObject, deleteObject, findObject, insertObject, listObjects, moveObject, orphans, updateObject, type NewObject,
} from '../src/storage/object-store.ts';
import { createSession, deleteExpiredSessions, getSession, missingChunks, recordChunk } from '../src/storage/session-store.ts';
import { deleteShare, listShares, upsertShare } from '../src/storage/share-store.ts';
import { createTestDatabase, type TestDatabase } from './harness/index.ts';

const OWNER = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const READER = '33333333-3333-4333-8333-333333333333';
const WRITER = '44444444-4444-4444-8444-444444444444';
const ADMIN = '55555555-5555-4555-8555-555555555555';

type Who = 'anon' | 'owner' | 'other' | 'reader' | 'writer' | 'admin' | 'service';
const SUBS: Record<Who, string> = { anon: '', owner: OWNER, other: OTHER, reader: READER, writer: WRITER, admin: ADMIN, service: '' };

function ctx(who: Who): RequestContext {
  const role: DbRole = who === 'anon' ? 'anon' : who === 'service' ? 'service_role' : 'authenticated';
  const sub = SUBS[who];
  return { role, claims: sub ? { sub, role } : { role }, sub, method: 'TEST', path: '/storage-rls', requestId: `rls-${who}` };
}

let db: TestDatabase;
let pool: Pool;
const ids: Record<string, string> = {};

/** Runs fn as `who` in a transaction that is rolled back. */
const as = <T>(who: Who, fn: (tx: ReservedSql) => Promise<T>): Promise<T> => withRequestTx(pool, ctx(who), fn, { rollback: true });
/** Runs fn as `who` and commits. */
const commitAs = <T>(who: Who, fn: (tx: ReservedSql) => Promise<T>): Promise<T> => withRequestTx(pool, ctx(who), fn);

/** true: the store returned a row / ok; false: RLS or a missing grant refused it. */
async function allowed(p: Promise<unknown>): Promise<boolean> {
  try {
    const r = await p;
    if (r === undefined || r === false) return false;
    if (typeof r === 'object' && r !== null && 'ok' in r) return (r as { ok: boolean }).ok;
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '42501') return false;
    throw err;
  }
}

const newObject = (bucket: string, name: string, extra: Partial<NewObject> = {}): NewObject => ({
  bucket_id: bucket, name, mime_type: 'text/plain', size: 5, etag: '"e"', ...extra,
});

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool({ url: db.url, max: 4, min: 0, statementTimeoutMs: 10_000, connectTimeoutMs: 5000, poolWaitTimeoutMs: 5000 });
  await db.sql.unsafe(`
    insert into auth.users (id, email, role) values
      ('${OWNER}', 'owner@example.com', 'authenticated'), ('${OTHER}', 'other@example.com', 'authenticated'),
      ('${READER}', 'reader@example.com', 'authenticated'), ('${WRITER}', 'writer@example.com', 'authenticated'),
      ('${ADMIN}', 'admin@example.com', 'admin');
    insert into storage.buckets (id, name, public) values ('pub', 'pub', true), ('priv', 'priv', false), ('empty', 'empty', false);`);
  for (const b of ['pub', 'priv']) {
    const [row] = await db.sql<{ id: string }[]>`
      insert into storage.objects (bucket_id, name, owner_id, mime_type, size, etag) values (${b}, 'docs/doc.txt', ${OWNER}, 'text/plain', 5, '"a"') returning id`;
    ids[b] = row!.id;
    await db.sql`insert into storage.object_shares (object_id, user_id, permission, granted_by) values
      (${row!.id}, ${READER}, 'read', ${OWNER}), (${row!.id}, ${WRITER}, 'write', ${OWNER})`;
  }
});
afterAll(async () => {
  await pool?.close();
  await db?.drop();
});

// ---- the matrix ----

type Op = 'select' | 'insert' | 'update' | 'delete' | 'overwrite';
const run: Record<Op, (who: Who, bucket: string) => Promise<boolean>> = {
  select: (who, b) => allowed(as(who, (tx) => findObject(tx, b, 'docs/doc.txt'))),
  // A new object owned by the caller; the real insert and the dry run must agree.
  insert: async (who, b) => {
    const real = await allowed(as(who, async (tx) => (await insertObject(tx, newObject(b, `new/${who}.txt`), { upsert: false })).status === 'created'));
    const dry = await allowed(as(who, (tx) => checkWrite(tx, newObject(b, `new/${who}.txt`), { upsert: false })));
    expect(dry, `checkWrite agrees with insertObject for ${who} in ${b}`).toBe(real);
    return real;
  },
  update: (who, b) => allowed(as(who, (tx) => updateObject(tx, b, 'docs/doc.txt', { metadata: { by: who } }))),
  delete: (who, b) => allowed(as(who, (tx) => deleteObject(tx, b, 'docs/doc.txt'))),
  overwrite: async (who, b) => {
    const real = await allowed(as(who, async (tx) => (await insertObject(tx, newObject(b, 'docs/doc.txt'), { upsert: true })).status === 'updated'));
    const dry = await allowed(as(who, (tx) => checkWrite(tx, newObject(b, 'docs/doc.txt'), { upsert: true })));
    expect(dry, `checkWrite agrees with the upsert for ${who} in ${b}`).toBe(real);
    return real;
  },
};

// [operation, who, public bucket, private bucket]
const MATRIX: [Op, Who, boolean, boolean][] = [
  ['select', 'anon', true, false],
  ['select', 'owner', true, true],
  ['select', 'other', true, false],
  ['select', 'reader', true, true],
  ['select', 'writer', true, true],
  ['select', 'admin', true, false],
  ['select', 'service', true, true],
  ['insert', 'anon', false, false],
  ['insert', 'owner', true, true],
  ['insert', 'other', true, true], // upstream's default: any signed-in user uploads objects they own
  ['insert', 'reader', true, true],
  ['insert', 'writer', true, true],
  ['insert', 'admin', true, true],
  ['insert', 'service', true, true],
  ['update', 'anon', false, false],
  ['update', 'owner', true, true],
  ['update', 'other', false, false],
  ['update', 'reader', false, false],
  ['update', 'writer', true, true],
  ['update', 'admin', false, false],
  ['update', 'service', true, true],
  ['delete', 'anon', false, false],
  ['delete', 'owner', true, true],
  ['delete', 'other', false, false],
  ['delete', 'reader', false, false],
  ['delete', 'writer', true, true],
  ['delete', 'admin', false, false],
  ['delete', 'service', true, true],
  ['overwrite', 'anon', false, false],
  ['overwrite', 'owner', true, true],
  ['overwrite', 'other', false, false],
  ['overwrite', 'reader', false, false],
  ['overwrite', 'writer', true, true],
  ['overwrite', 'admin', false, false],
  ['overwrite', 'service', true, true],
];

describe('storage.objects RLS matrix', () => {
  it.each(MATRIX)('%s as %s: public %s, private %s', async (op, who, pub, priv) => {
    expect(await run[op](who, 'pub'), `${op} as ${who} in the public bucket`).toBe(pub);
    expect(await run[op](who, 'priv'), `${op} as ${who} in the private bucket`).toBe(priv);
  });

  it('left the fixture as it was (every matrix transaction rolled back)', async () => {
    const rows = await db.sql`select bucket_id, name, metadata, etag from storage.objects order by bucket_id`;
    expect(rows).toEqual([
      { bucket_id: 'priv', name: 'docs/doc.txt', metadata: {}, etag: '"a"' },
      { bucket_id: 'pub', name: 'docs/doc.txt', metadata: {}, etag: '"a"' },
    ]);
  });

  it('keeps the owner and id when a write share overwrites, and never lets an insert claim another owner', async () => {
    const r = await as('writer', (tx) => insertObject(tx, newObject('priv', 'docs/doc.txt', { version: '00000000-0000-4000-8000-000000000009' }), { upsert: true }));
    expect(r).toMatchObject({ status: 'updated', object: { id: ids.priv, owner_id: OWNER, version: '00000000-0000-4000-8000-000000000009' } });
    expect(r.status === 'updated' && r.previous?.size).toBe(5);
    await expect(as('other', (tx) => insertObject(tx, newObject('priv', 'x.txt', { owner_id: OWNER }), { upsert: false })))
      .rejects.toMatchObject({ code: '42501' });
    const mine = await as('owner', (tx) => insertObject(tx, newObject('priv', 'x.txt'), { upsert: false }));
    expect(mine).toMatchObject({ status: 'created', object: { owner_id: OWNER, path: 'x.txt', name: 'x.txt', size: 5 } });
  });
});

describe('check before bytes', () => {
  it('answers exists, denied and bucket_not_found without writing, and leaves the transaction usable', async () => {
    await as('other', async (tx) => {
      expect(await checkWrite(tx, newObject('priv', 'docs/doc.txt'), { upsert: false })).toEqual({ ok: false, reason: 'exists' });
      expect(await checkWrite(tx, newObject('priv', 'docs/doc.txt'), { upsert: true })).toEqual({ ok: false, reason: 'denied' });
      expect(await checkWrite(tx, newObject('nope', 'a.txt'), { upsert: false })).toEqual({ ok: false, reason: 'bucket_not_found' });
      expect(await checkWrite(tx, newObject('priv', 'mine.txt'), { upsert: false })).toEqual({ ok: true, overwrites: null });
      // Nothing was kept by the dry runs, and the transaction still works.
      expect(await findObject(tx, 'priv', 'mine.txt')).toBeUndefined();
    });
    expect(await as('owner', (tx) => checkWrite(tx, newObject('priv', 'docs/doc.txt'), { upsert: true }))).toEqual({ ok: true, overwrites: { version: expect.any(String), size: 5 } });
    const [row] = await db.sql`select etag, updated_at = created_at as untouched from storage.objects where bucket_id = 'priv'`;
    expect(row).toEqual({ etag: '"a"', untouched: true });
  });

  it('answers exists for a taken name without upsert even when the caller could overwrite', async () => {
    expect(await as('owner', (tx) => insertObject(tx, newObject('pub', 'docs/doc.txt'), { upsert: false }))).toEqual({ status: 'exists' });
  });
});

describe('move, copy, delete', () => {
  it('moves for the owner and a write share, refuses others, reports a taken target', async () => {
    expect(await as('owner', (tx) => moveObject(tx, 'priv', 'docs/doc.txt', 'docs/renamed.txt'))).toMatchObject({ status: 'moved', object: { id: ids.priv, name: 'docs/renamed.txt' } });
    expect(await as('writer', (tx) => moveObject(tx, 'priv', 'docs/doc.txt', 'docs/renamed.txt'))).toMatchObject({ status: 'moved' });
    expect(await as('reader', (tx) => moveObject(tx, 'priv', 'docs/doc.txt', 'docs/renamed.txt'))).toEqual({ status: 'not_found' });
    expect(await as('owner', async (tx) => {
      await insertObject(tx, newObject('priv', 'docs/taken.txt'), { upsert: false });
      const r = await moveObject(tx, 'priv', 'docs/doc.txt', 'docs/taken.txt');
      // The savepoint kept the transaction usable.
      return { r, still: (await findObject(tx, 'priv', 'docs/doc.txt'))?.id };
    })).toEqual({ r: { status: 'exists' }, still: ids.priv });
  });

  it('copies a readable object to a new one the caller owns', async () => {
    const r = await as('reader', (tx) => copyObject(tx, 'priv', 'docs/doc.txt', 'copies/doc.txt'));
    expect(r).toMatchObject({ status: 'copied', object: { owner_id: READER, size: 5, mime_type: 'text/plain' }, source: { id: ids.priv } });
    expect(r.status === 'copied' && r.object.id).not.toBe(ids.priv);
    expect(await as('other', (tx) => copyObject(tx, 'priv', 'docs/doc.txt', 'copies/doc.txt'))).toEqual({ status: 'not_found' });
    expect(await as('anon', (tx) => copyObject(tx, 'pub', 'docs/doc.txt', 'copies/doc.txt'))).toEqual({ status: 'denied' });
    expect(await as('reader', async (tx) => {
      const dry = await copyObject(tx, 'priv', 'docs/doc.txt', 'copies/doc.txt', { dryRun: true });
      return { dry: dry.status, after: await findObject(tx, 'priv', 'copies/doc.txt') };
    })).toEqual({ dry: 'copied', after: undefined });
  });

  it('returns the deleted row (for the byte delete after commit) and cascades its shares', async () => {
    const n = await as('owner', async (tx) => {
      const row = await deleteObject(tx, 'pub', 'docs/doc.txt');
      expect(row).toMatchObject({ id: ids.pub, version: expect.any(String) });
      return (await tx`select count(*)::int as n from storage.object_shares where object_id = ${ids.pub!}`)[0]!.n as number;
    });
    expect(n).toBe(0);
  });
});

describe('buckets', () => {
  it('shows public buckets to anyone and every bucket to signed-in users', async () => {
    expect((await as('anon', (tx) => listBuckets(tx))).map((b) => b.id)).toEqual(['pub']);
    expect((await as('other', (tx) => listBuckets(tx))).map((b) => b.id).sort()).toEqual(['empty', 'priv', 'pub']);
    expect(await as('anon', (tx) => getBucket(tx, 'priv'))).toBeUndefined();
    expect(await as('other', (tx) => getBucket(tx, 'priv'))).toMatchObject({ id: 'priv', name: 'priv', public: false, max_file_size: null });
  });

  it('lets only the admin principal create, change and delete buckets', async () => {
    for (const who of ['anon', 'owner', 'other'] as const) {
      await expect(as(who, (tx) => createBucket(tx, 'newb', {}))).rejects.toMatchObject({ code: '42501' });
      expect(await allowed(as(who, (tx) => updateBucket(tx, 'priv', { public: true })))).toBe(false);
      expect(await as(who, (tx) => deleteBucket(tx, 'empty')).catch((e: { code: string }) => e.code)).toMatch(/^(not_found|42501)$/);
    }
    for (const who of ['admin', 'service'] as const) {
      expect(await as(who, (tx) => createBucket(tx, 'newb', { public: true, allowed_mime_types: ['image/*'], max_file_size: 1024 })))
        .toMatchObject({ status: 'created', bucket: { id: 'newb', public: true, allowed_mime_types: ['image/*'], max_file_size: 1024 } });
      expect(await as(who, (tx) => createBucket(tx, 'priv', {}))).toEqual({ status: 'exists' });
      expect(await as(who, (tx) => updateBucket(tx, 'priv', { max_file_size: 10 })))
        .toMatchObject({ public: false, max_file_size: 10, allowed_mime_types: null });
      expect(await as(who, (tx) => deleteBucket(tx, 'empty'))).toBe('deleted');
      expect(await as(who, (tx) => deleteBucket(tx, 'missing'))).toBe('not_found');
      expect(await as(who, (tx) => deleteBucket(tx, 'priv'))).toBe('not_empty');
    }
  });

  it('refuses to delete a bucket whose objects the admin cannot see (the foreign key decides)', async () => {
    // The admin user sees no object of OWNER in the private bucket, yet it is not empty.
    expect(await as('admin', async (tx) => {
      const r = await deleteBucket(tx, 'priv');
      return { r, still: (await getBucket(tx, 'priv'))?.id };
    })).toEqual({ r: 'not_empty', still: 'priv' });
  });

  it('reads admin status from auth.users, not from a claim', async () => {
    const claimOnly: RequestContext = { ...ctx('other'), claims: { sub: OTHER, role: 'authenticated', user_role: 'admin' } };
    await expect(withRequestTx(pool, claimOnly, (tx) => createBucket(tx, 'sneaky', {}), { rollback: true })).rejects.toMatchObject({ code: '42501' });
  });
});

describe('shares', () => {
  it('lets only the owner grant, change and revoke; users see their own shares', async () => {
    const granted = await as('owner', async (tx) => {
      const share = await upsertShare(tx, ids.priv!, OTHER, 'read');
      const changed = await upsertShare(tx, ids.priv!, OTHER, 'write');
      return { share, changed, all: (await listShares(tx, ids.priv!)).map((s) => [s.user_id, s.permission]) };
    });
    expect(granted.share).toMatchObject({ user_id: OTHER, permission: 'read', granted_by: OWNER });
    expect(granted.changed.permission).toBe('write');
    expect(granted.all).toEqual(expect.arrayContaining([[READER, 'read'], [WRITER, 'write'], [OTHER, 'write']]));
    await expect(as('other', (tx) => upsertShare(tx, ids.priv!, OTHER, 'write'))).rejects.toMatchObject({ code: '42501' });
    await expect(as('writer', (tx) => upsertShare(tx, ids.priv!, OTHER, 'read'))).rejects.toMatchObject({ code: '42501' });
    await expect(as('anon', (tx) => upsertShare(tx, ids.pub!, OTHER, 'read'))).rejects.toMatchObject({ code: '42501' });
    expect((await as('reader', (tx) => listShares(tx, ids.priv!))).map((s) => s.user_id)).toEqual([READER]);
    expect(await as('other', (tx) => listShares(tx, ids.priv!))).toEqual([]);
    expect(await as('writer', (tx) => deleteShare(tx, ids.priv!, READER))).toBe(false);
    expect(await as('owner', (tx) => deleteShare(tx, ids.priv!, READER))).toBe(true);
  });

  it('takes a revoked share away at once', async () => {
    expect(await as('owner', async (tx) => {
      await deleteShare(tx, ids.priv!, READER);
      await tx`select set_config('request.jwt.claim.sub', ${READER}, true)`;
      return findObject(tx, 'priv', 'docs/doc.txt');
    })).toBeUndefined();
  });
});

describe('listing', () => {
  beforeAll(async () => {
    const names = ['a.txt', 'photos/1.png', 'photos/2.png', 'photos/2024/x.png', 'photos/2024/y.png', 'photos/zz/q.png', 'videos/v.mp4', 'Photo.txt', 'p%_x.txt'];
    for (const n of names) await db.sql`insert into storage.objects (bucket_id, name, owner_id, size) values ('pub', ${`l/${n}`}, ${OTHER}, 1)`;
    await db.sql`insert into storage.objects (bucket_id, name, owner_id, size) values ('priv', 'l/photos/secret.png', ${OTHER}, 1)`;
  });

  it('returns direct children and common prefixes with a delimiter, in key order', async () => {
    const r = await as('anon', (tx) => listObjects(tx, 'pub', { prefix: 'l/', delimiter: '/' }));
    expect(r.objects.map((o) => o.name)).toEqual(['l/Photo.txt', 'l/a.txt', 'l/p%_x.txt']);
    expect(r.prefixes).toEqual(['l/photos/', 'l/videos/']);
    expect(r.count).toBe(5);
    const deeper = await as('anon', (tx) => listObjects(tx, 'pub', { prefix: 'l/photos/', delimiter: '/' }));
    expect(deeper.objects.map((o) => o.name)).toEqual(['l/photos/1.png', 'l/photos/2.png']);
    expect(deeper.prefixes).toEqual(['l/photos/2024/', 'l/photos/zz/']);
  });

  it('returns every object under the prefix without a delimiter, paged', async () => {
    const all = await as('anon', (tx) => listObjects(tx, 'pub', { prefix: 'l/photos' }));
    expect(all.objects.map((o) => o.name)).toEqual(['l/photos/1.png', 'l/photos/2.png', 'l/photos/2024/x.png', 'l/photos/2024/y.png', 'l/photos/zz/q.png']);
    expect(all.count).toBe(5);
    const page = await as('anon', (tx) => listObjects(tx, 'pub', { prefix: 'l/photos', limit: 2, offset: 2 }));
    expect(page.objects.map((o) => o.name)).toEqual(['l/photos/2024/x.png', 'l/photos/2024/y.png']);
    expect(page.count).toBe(5);
    const past = await as('anon', (tx) => listObjects(tx, 'pub', { prefix: 'l/photos', offset: 50 }));
    expect(past).toEqual({ objects: [], prefixes: [], count: 5 });
  });

  it('treats % and _ in a prefix literally, searches entry names case-insensitively, and shows only visible rows', async () => {
    expect((await as('anon', (tx) => listObjects(tx, 'pub', { prefix: 'l/p%_' }))).objects.map((o) => o.name)).toEqual(['l/p%_x.txt']);
    const s = await as('anon', (tx) => listObjects(tx, 'pub', { prefix: 'l/', delimiter: '/', search: 'PHOTO' }));
    expect({ objects: s.objects.map((o) => o.name), prefixes: s.prefixes }).toEqual({ objects: ['l/Photo.txt'], prefixes: ['l/photos/'] });
    expect(await as('anon', (tx) => listObjects(tx, 'priv', { prefix: 'l/' }))).toEqual({ objects: [], prefixes: [], count: 0 });
    expect((await as('other', (tx) => listObjects(tx, 'priv', { prefix: 'l/', delimiter: '/' }))).prefixes).toEqual(['l/photos/']);
  });
});

describe('upload sessions', () => {
  it('belong to their creator; anonymous callers have none; chunks are recorded once', async () => {
    const s = await commitAs('owner', (tx) => createSession(tx, { bucket_id: 'priv', name: 'big.bin', total_size: 12, chunk_size: 5, content_type: 'application/octet-stream' }));
    expect(s).toMatchObject({ owner_id: OWNER, total_chunks: 3, received_chunks: [], status: 'active', upsert: false, total_size: 12 });
    expect(s.id).toMatch(/^[0-9a-f]{32}$/);
    expect(s.expires_at.getTime() - s.created_at.getTime()).toBeGreaterThan(23.9 * 3600_000);
    expect(await as('other', (tx) => getSession(tx, s.id))).toBeUndefined();
    expect(await as('other', (tx) => recordChunk(tx, s.id, 0))).toBeUndefined();
    await expect(as('anon', (tx) => createSession(tx, { bucket_id: 'pub', name: 'x', total_size: 1, chunk_size: 1 }))).rejects.toMatchObject({ code: '42501' });
    const after = await commitAs('owner', async (tx) => {
      await recordChunk(tx, s.id, 2, { etag: 'c' });
      await recordChunk(tx, s.id, 0, { etag: 'a' });
      await recordChunk(tx, s.id, 2, { etag: 'c2' });
      expect(await recordChunk(tx, s.id, 3)).toBeUndefined(); // out of range
      return getSession(tx, s.id);
    });
    expect(after).toMatchObject({ received_chunks: [0, 2], parts: { 0: { etag: 'a' }, 2: { etag: 'c2' } } });
    expect(missingChunks(after!)).toEqual([1]);
    await db.sql`update storage.upload_sessions set expires_at = now() - interval '1 second' where id = ${s.id}`;
    expect(await as('owner', (tx) => recordChunk(tx, s.id, 1))).toBeUndefined(); // expired
    expect((await as('service', (tx) => deleteExpiredSessions(tx))).map((r) => r.id)).toEqual([s.id]);
  });
});

describe('reconciliation and helpers', () => {
  it('names the stored keys no row accounts for', async () => {
    const [row] = await db.sql<{ version: string }[]>`select version::text from storage.objects where bucket_id = 'priv' and name = 'docs/doc.txt'`;
    const found = await as('service', (tx) => orphans(tx, [
      { bucket_id: 'priv', name: 'docs/doc.txt', version: row!.version },
      { bucket_id: 'priv', name: 'docs/doc.txt', version: '00000000-0000-4000-8000-000000000001' },
      { bucket_id: 'priv', name: 'docs/doc.txt' },
      { bucket_id: 'priv', name: 'gone.txt' },
    ]));
    expect(found).toEqual([
      { bucket_id: 'priv', name: 'docs/doc.txt', version: '00000000-0000-4000-8000-000000000001' },
      { bucket_id: 'priv', name: 'gone.txt' },
    ]);
  });

  it('defines foldername, filename and extension as Supabase does, callable by every role', async () => {
    const r = await as('anon', (tx) => tx`
      select storage.foldername('a/b/c.tar.gz') as f, storage.filename('a/b/c.tar.gz') as n, storage.extension('a/b/c.tar.gz') as e,
             storage.foldername('top.png') as f1, storage.extension('noext') as e1`);
    expect(r[0]).toEqual({ f: ['a', 'b'], n: 'c.tar.gz', e: 'tar', f1: [], e1: '' });
  });

  it('refuses traversal names written with SQL too (a backstop behind name-rules)', async () => {
    for (const bad of ['../x', 'a/../b', '/abs', 'a/./b', 'a\\b', 'tab\there']) {
      await expect(db.sql`insert into storage.objects (bucket_id, name) values ('pub', ${bad})`, bad).rejects.toMatchObject({ code: '23514' });
    }
    await expect(db.sql`insert into storage.buckets (id, name) values ('Bad..', 'Bad..')`).rejects.toMatchObject({ code: '23514' });
  });
});
