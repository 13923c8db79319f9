// verifyWebhookSignature against fixed vectors (computed with openssl) and headers signed
// here. The SDK typechecks without Node types, so this test signs with Web Crypto too.
import { describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from './index.ts';

const T = 1_700_000_000;
const at = (seconds: number) => () => seconds * 1000;
const body = '{"id":"evt_1","event":"INSERT"}';
// printf '%s' '1700000000.{"id":"evt_1","event":"INSERT"}' | openssl dgst -sha256 -hmac <secret>
const V1_TEST = 'efb2ec2fd8d99cc1b7b71a76162847a9d4ad856ffbea98abf528acef76cf6b64';
const V1_OLD = '445451934cd47797d789ce7941fa83b562977c4dbca50c61f46893ca0ef13903';

async function sign(secret: string, t: number, payload: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(`${t}.${payload}`)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

describe('verifyWebhookSignature', () => {
  it('accepts the fixed vector, for a string and a Uint8Array payload', async () => {
    const header = `t=${T},v1=${V1_TEST}`;
    expect(await verifyWebhookSignature(body, header, 'whsec_test', 300, at(T))).toBe(true);
    expect(await verifyWebhookSignature(new TextEncoder().encode(body), header, 'whsec_test', 300, at(T))).toBe(true);
    expect(await verifyWebhookSignature(body, `t=${T},v1=${V1_TEST.toUpperCase()}`, 'whsec_test', 300, at(T))).toBe(true);
  });

  it('verifies non-ASCII bodies byte for byte', async () => {
    const payload = '{"title":"héllo ✓ 😀"}';
    const header = `t=${T},v1=${await sign('whsec_x', T, payload)}`;
    expect(await verifyWebhookSignature(payload, header, 'whsec_x', 300, at(T))).toBe(true);
    expect(await verifyWebhookSignature(new TextEncoder().encode(payload), header, 'whsec_x', 300, at(T))).toBe(true);
  });

  it('accepts when any one of several v1 entries matches, in any position', async () => {
    const other = await sign('whsec_unrelated', T, body);
    expect(await verifyWebhookSignature(body, `t=${T},v1=${V1_TEST},v1=${V1_OLD}`, 'whsec_old', 300, at(T))).toBe(true);
    expect(await verifyWebhookSignature(body, `t=${T},v1=${V1_TEST},v1=${V1_OLD}`, 'whsec_test', 300, at(T))).toBe(true);
    expect(await verifyWebhookSignature(body, `t=${T},v1=${other},v1=${V1_TEST}`, 'whsec_test', 300, at(T))).toBe(true);
  });

  it('tolerates spaces and ignores unknown keys', async () => {
    expect(await verifyWebhookSignature(body, ` t=${T} , v0=abc, v1= ${V1_TEST} ,v2=zzz`, 'whsec_test', 300, at(T))).toBe(true);
  });

  it('refuses a tampered payload and a wrong secret', async () => {
    const header = `t=${T},v1=${V1_TEST}`;
    expect(await verifyWebhookSignature(`${body} `, header, 'whsec_test', 300, at(T))).toBe(false);
    expect(await verifyWebhookSignature(body.replace('INSERT', 'DELETE'), header, 'whsec_test', 300, at(T))).toBe(false);
    expect(await verifyWebhookSignature(body, header, 'whsec_wrong', 300, at(T))).toBe(false);
    expect(await verifyWebhookSignature(body, header, '', 300, at(T))).toBe(false);
    // The timestamp is signed too: moving it breaks the signature.
    expect(await verifyWebhookSignature(body, `t=${T + 1},v1=${V1_TEST}`, 'whsec_test', 300, at(T))).toBe(false);
  });

  it('refuses timestamps beyond the tolerance in either direction', async () => {
    const header = `t=${T},v1=${V1_TEST}`;
    expect(await verifyWebhookSignature(body, header, 'whsec_test', 300, at(T + 300))).toBe(true);
    expect(await verifyWebhookSignature(body, header, 'whsec_test', 300, at(T - 300))).toBe(true);
    expect(await verifyWebhookSignature(body, header, 'whsec_test', 300, at(T + 301))).toBe(false);
    expect(await verifyWebhookSignature(body, header, 'whsec_test', 300, at(T - 301))).toBe(false);
    expect(await verifyWebhookSignature(body, header, 'whsec_test', 10, at(T + 11))).toBe(false);
    expect(await verifyWebhookSignature(body, header, 'whsec_test', 3600, at(T + 3000))).toBe(true);
  });

  it('uses the clock by default', async () => {
    const t = Math.floor(Date.now() / 1000);
    expect(await verifyWebhookSignature(body, `t=${t},v1=${await sign('whsec_now', t, body)}`, 'whsec_now')).toBe(true);
    expect(await verifyWebhookSignature(body, `t=${T},v1=${V1_TEST}`, 'whsec_test')).toBe(false);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['empty', ''],
    ['no t', `v1=${V1_TEST}`],
    ['no v1', `t=${T}`],
    ['non-numeric t', `t=abc,v1=${V1_TEST}`],
    ['negative t', `t=-${T},v1=${V1_TEST}`],
    ['fractional t', `t=${T}.5,v1=${V1_TEST}`],
    ['empty t', `t=,v1=${V1_TEST}`],
    ['two t', `t=${T},t=${T},v1=${V1_TEST}`],
    ['short v1', `t=${T},v1=${V1_TEST.slice(0, 63)}`],
    ['non-hex v1', `t=${T},v1=${'z'.repeat(64)}`],
    ['no separators', `t${T}v1${V1_TEST}`],
    ['only commas', ',,,'],
  ])('refuses a malformed header (%s)', async (_name, header) => {
    expect(await verifyWebhookSignature(body, header, 'whsec_test', 300, at(T))).toBe(false);
  });
});
