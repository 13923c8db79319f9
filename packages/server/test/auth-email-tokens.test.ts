// One-time tokens and the development outbox against real PostgreSQL (docs/auth.md "Token
// lifetimes and storage", "The development outbox"): stored hashed, single use, expiring,
// replaced by a newer token of the same purpose, three attempts per code, and the outbox
// listing newest first.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../src/db/index.ts';
import { isAppError } from '../src/http/index.ts';
import { createLogger } from '../src/observability/index.ts';
import { checkLinkToken, consumeCode, consumeLinkToken, issueToken, MAX_CODE_ATTEMPTS } from '../src/auth/email/one-time-tokens.ts';
import { createOutboxMailer, listOutbox } from '../src/auth/email/outbox-mailer.ts';
import { createTestDatabase, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let pool: Pool;
let userId: string;
const EMAIL = 'tokens@example.com';

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool({ url: db.url, max: 3, min: 0, statementTimeoutMs: 10_000, connectTimeoutMs: 5000, poolWaitTimeoutMs: 5000 });
  const [row] = await db.sql<{ id: string }[]>`insert into auth.users (email) values (${EMAIL}) returning id`;
  userId = row!.id;
});
afterAll(async () => {
  await pool?.close();
  await db?.drop();
});

const reasonOf = async (p: Promise<unknown>): Promise<string | undefined> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (err === undefined) return undefined;
  if (!isAppError(err)) throw err;
  expect(err.code).toBe('INVALID_ONE_TIME_TOKEN');
  return err.details?.reason as string;
};
const consumeLink = (token: string) => pool.withConnection((sql) => consumeLinkToken(sql, ['magiclink'], token));
const link = (ttlMs = 60_000) => issueToken(pool, { purpose: 'magiclink', email: EMAIL, userId, ttlMs, kind: 'link' });
const code = (ttlMs = 60_000) => issueToken(pool, { purpose: 'email_otp', email: EMAIL, userId, ttlMs, kind: 'code' });
const tryCode = (c: string) => consumeCode(pool, { purpose: 'email_otp', owner: { email: EMAIL }, code: c });
const wrong = (c: string) => (c === '000000' ? '000001' : '000000');

describe('link tokens', () => {
  it('are 32 random bytes stored only as SHA-256', async () => {
    const { id, token } = await link();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [row] = await db.sql<{ token_hash: Buffer; dump: string }[]>`
      select token_hash, row_to_json(t)::text as dump from auth.one_time_tokens t where id = ${id}`;
    expect(row!.token_hash.equals(createHash('sha256').update(token).digest())).toBe(true);
    expect(row!.dump).not.toContain(token);
  });

  it('are consumed once; a replay is "used"', async () => {
    const { token } = await link();
    const row = await consumeLink(token);
    expect(row).toMatchObject({ user_id: userId, email: EMAIL, purpose: 'magiclink' });
    expect(await reasonOf(consumeLink(token))).toBe('used');
  });

  it('only for their purpose', async () => {
    const { token } = await link();
    expect(await reasonOf(pool.withConnection((sql) => consumeLinkToken(sql, ['recovery'], token)))).toBe('unknown');
    expect(await reasonOf(consumeLink(token))).toBeUndefined();
  });

  it('expire', async () => {
    const { id, token } = await link();
    await db.sql`update auth.one_time_tokens set expires_at = now() - interval '1 second' where id = ${id}`;
    expect(await reasonOf(checkLinkToken(pool, ['magiclink'], token))).toBe('expired');
    expect(await reasonOf(consumeLink(token))).toBe('expired');
  });

  it('are replaced by a newer one of the same purpose', async () => {
    const first = await link();
    const second = await link();
    expect(await reasonOf(consumeLink(first.token))).toBe('unknown');
    expect(await reasonOf(consumeLink(second.token))).toBeUndefined();
  });

  it('refuse garbage without a lookup error', async () => {
    expect(await reasonOf(consumeLink(''))).toBe('unknown');
    expect(await reasonOf(consumeLink('x'.repeat(5000)))).toBe('unknown');
    expect(await reasonOf(consumeLink("' or 1=1 --"))).toBe('unknown');
  });

  it('check without consuming', async () => {
    const { token } = await link();
    await checkLinkToken(pool, ['magiclink'], token);
    await checkLinkToken(pool, ['magiclink'], token);
    expect(await reasonOf(consumeLink(token))).toBeUndefined();
  });

  it('let exactly one of concurrent consumers win', async () => {
    const { token } = await link();
    const results = await Promise.all(Array.from({ length: 5 }, () => reasonOf(consumeLink(token))));
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    expect(results.filter((r) => r === 'used')).toHaveLength(4);
  });
});

describe('codes', () => {
  it('are six digits and work once', async () => {
    const { token } = await code();
    expect(token).toMatch(/^\d{6}$/);
    expect(await reasonOf(tryCode(token))).toBeUndefined();
    expect(await reasonOf(tryCode(token))).toBe('used');
  });

  it(`allow ${MAX_CODE_ATTEMPTS} attempts: the right code after that fails`, async () => {
    const { token } = await code();
    for (let i = 0; i < MAX_CODE_ATTEMPTS; i++) expect(await reasonOf(tryCode(wrong(token)))).toBe('unknown');
    expect(await reasonOf(tryCode(token))).toBe('too_many_attempts');
    const [row] = await db.sql<{ attempts: number; consumed_at: Date | null }[]>`
      select attempts, consumed_at from auth.one_time_tokens where purpose = 'email_otp' and email = ${EMAIL}`;
    expect(row).toEqual({ attempts: MAX_CODE_ATTEMPTS, consumed_at: null });
  });

  it('accept the right code on the last allowed attempt', async () => {
    const { token } = await code();
    for (let i = 0; i < MAX_CODE_ATTEMPTS - 1; i++) await reasonOf(tryCode(wrong(token)));
    expect(await reasonOf(tryCode(token))).toBeUndefined();
  });

  it('expire', async () => {
    const { id, token } = await code();
    await db.sql`update auth.one_time_tokens set expires_at = now() - interval '1 second' where id = ${id}`;
    expect(await reasonOf(tryCode(token))).toBe('expired');
  });

  it('only the newest code of an address counts', async () => {
    const first = await code();
    const second = await code();
    if (first.token !== second.token) expect(await reasonOf(tryCode(first.token))).toBe('unknown');
    expect(await reasonOf(tryCode(second.token))).toBeUndefined();
  });

  it('are "unknown" for an address that has none', async () => {
    expect(await reasonOf(consumeCode(pool, { purpose: 'email_otp', owner: { email: 'nobody@example.com' }, code: '123456' }))).toBe('unknown');
  });

  it('per user for reauthentication nonces', async () => {
    const { token } = await issueToken(pool, { purpose: 'reauthentication', email: EMAIL, userId, ttlMs: 60_000, kind: 'code' });
    const other = '00000000-0000-4000-8000-000000000000';
    expect(await reasonOf(consumeCode(pool, { purpose: 'reauthentication', owner: { userId: other }, code: token }))).toBe('unknown');
    expect(await reasonOf(consumeCode(pool, { purpose: 'reauthentication', owner: { userId }, code: token }))).toBeUndefined();
  });
});

describe('development outbox', () => {
  it('stores messages and lists them newest first, filtered by recipient', async () => {
    const mailer = createOutboxMailer(pool, createLogger({ level: 'silent', format: 'json' }));
    expect(mailer.kind).toBe('outbox');
    await mailer.send({ to: 'one@example.com', subject: 'first', text: 'code 111111', html: '<p>111111</p>' });
    await mailer.send({ to: 'two@example.com', subject: 'second', text: 't', html: 'h' });
    await mailer.send({ to: 'one@example.com', subject: 'third', text: 't', html: 'h' });
    const one = await listOutbox(pool, 'one@example.com', 50);
    expect(one.map((m) => m.subject)).toEqual(['third', 'first']);
    expect(one[1]).toMatchObject({ to: 'one@example.com', text: 'code 111111', html: '<p>111111</p>' });
    expect(one[1]!.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await listOutbox(pool, undefined, 2)).map((m) => m.subject)).toEqual(['third', 'second']);
  });

  it('logs each message with its recipient only, never its subject or text (links and codes are credentials)', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
    const mailer = createOutboxMailer(pool, createLogger({ level: 'info', format: 'json', destination }));
    await mailer.send({ to: 'log@example.com', subject: 'Your code', text: 'code 424242', html: '<p>424242</p>' });
    const entry = lines.map((l) => JSON.parse(l) as { level: number; mail?: { to: string; subject: string; text: string } }).find((l) => l.mail);
    expect(entry).toMatchObject({ level: 30, mail: { to: 'log@example.com' } });
    expect(lines.join('')).not.toMatch(/424242|Your code/);
  });
});
