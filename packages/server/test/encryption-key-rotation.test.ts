// `fluxbase encryption-key rotate`: every sealed auth value (OAuth client secret, refresh
// token child, TOTP secret) is re-sealed from the old key to the new one; a re-run changes
// nothing; a value neither key opens aborts the run and leaves the table as it was.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateEncryptionKey } from '../src/auth/index.ts';
import { createSecretBox } from '../src/auth/core/secret-box.ts';
import { rekeyWebhookSecrets } from '../src/webhooks/index.ts';
import { createTestDatabase, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const oldBox = createSecretBox(oldKey);
const newBox = createSecretBox(newKey);

beforeAll(async () => {
  db = await createTestDatabase();
  const [user] = await db.sql`insert into auth.users (email) values ('rekey@example.com') returning id`;
  await db.sql`insert into auth.oauth_providers (name, client_id, client_secret_enc) values ('acme', 'client', ${oldBox.encrypt('client-secret')})`;
  const [session] = await db.sql`insert into auth.sessions (user_id, expires_at) values (${user!.id}, now() + interval '1 day') returning id`;
  await db.sql`insert into auth.refresh_tokens (session_id, token_hash, child_token_enc) values (${session!.id}, '\\x01', ${oldBox.encrypt('child-token')})`;
  await db.sql`insert into auth.totp_factors (user_id, id, secret_enc) values (${user!.id}, gen_random_uuid(), ${oldBox.encrypt('JBSWY3DPEHPK3PXP')})`;
});
afterAll(async () => {
  await db?.drop();
});

describe('rotateEncryptionKey', () => {
  it('re-seals every value under the new key, and a re-run changes nothing', async () => {
    const first = await rotateEncryptionKey(db.sql, oldKey, newKey);
    expect(first).toEqual({ resealed: 3, unchanged: 0 });
    const [p] = await db.sql`select client_secret_enc from auth.oauth_providers where name = 'acme'`;
    const [t] = await db.sql`select child_token_enc from auth.refresh_tokens`;
    const [f] = await db.sql`select secret_enc from auth.totp_factors`;
    expect(newBox.decrypt(p!.client_secret_enc as string)).toBe('client-secret');
    expect(newBox.decrypt(t!.child_token_enc as string)).toBe('child-token');
    expect(newBox.decrypt(f!.secret_enc as string)).toBe('JBSWY3DPEHPK3PXP');
    expect(() => oldBox.decrypt(p!.client_secret_enc as string)).toThrow();
    expect(await rotateEncryptionKey(db.sql, oldKey, newKey)).toEqual({ resealed: 0, unchanged: 3 });
  });

  it('aborts when a value opens with neither key, changing nothing', async () => {
    const stranger = createSecretBox(randomBytes(32));
    await db.sql`insert into auth.oauth_providers (name, client_id, client_secret_enc) values ('zeta', 'c', ${stranger.encrypt('x')})`;
    const before = await db.sql`select name, client_secret_enc from auth.oauth_providers order by name`;
    await expect(rotateEncryptionKey(db.sql, oldKey, newKey)).rejects.toThrow(/opens with neither key/);
    expect(await db.sql`select name, client_secret_enc from auth.oauth_providers order by name`).toEqual(before);
  });
});

describe('rekeyWebhookSecrets', () => {
  it('re-seals current and previous webhook secrets, and a re-run changes nothing', async () => {
    await db.sql`insert into webhooks.webhooks (name, url, events, secret_enc, previous_secret_enc, previous_secret_expires_at)
      values ('w', 'https://example.com/h', '[]', ${oldBox.encrypt('whsec_new')}, ${oldBox.encrypt('whsec_old')}, now() + interval '1 hour')`;
    expect(await db.sql.begin((tx) => rekeyWebhookSecrets(tx, oldBox, newBox))).toEqual({ resealed: 1, unchanged: 0 });
    const [w] = await db.sql`select secret_enc, previous_secret_enc from webhooks.webhooks where name = 'w'`;
    expect(newBox.decrypt(w!.secret_enc as string)).toBe('whsec_new');
    expect(newBox.decrypt(w!.previous_secret_enc as string)).toBe('whsec_old');
    expect(await db.sql.begin((tx) => rekeyWebhookSecrets(tx, oldBox, newBox))).toEqual({ resealed: 0, unchanged: 1 });
  });
});
