// PrincipalResolver.resolveNow: the usual request (one Bearer JWT, already verified, whose
// revocation check needs no I/O) resolves without a promise, and answers exactly what
// resolve() answers in every other case: the same principal, the same errors.
import { describe, expect, it } from 'vitest';
import { AppError } from './errors/index.ts';
import { signJwt } from './jwt.ts';
import { ANONYMOUS, PrincipalResolver, type Principal, type RevocationChecker } from './principal.ts';

const SECRET = 's'.repeat(40);
const exp = Math.floor(Date.now() / 1000) + 3600;
const user = signJwt({ role: 'authenticated', sub: 'u1', exp }, SECRET);
const session = signJwt({ role: 'authenticated', sub: 'u1', session_id: 'sess', exp }, SECRET);

function resolver(revocation?: RevocationChecker) {
  return new PrincipalResolver({ jwtSecret: SECRET, leewaySeconds: 30, revocation });
}

async function settle(v: Principal | Promise<Principal> | (() => Principal | Promise<Principal>)): Promise<Principal | AppError> {
  try {
    return await (typeof v === 'function' ? v() : v);
  } catch (err) {
    return err as AppError;
  }
}

describe('PrincipalResolver.resolveNow', () => {
  it('answers a Bearer token without a promise when its revocation check needs no I/O, remembered or not', async () => {
    const r = resolver();
    const first = r.resolveNow({ authorization: `Bearer ${user}` });
    expect(first).not.toBeInstanceOf(Promise);
    const again = r.resolveNow({ authorization: `bearer   ${user}` });
    expect(again).toBe(first); // the remembered principal
    expect((again as Principal).userId).toBe('u1');
  });

  it('runs the revocation check on every use: a cached answer at once, a pending one awaited, a refusal thrown', async () => {
    let live = true;
    let pending = false;
    const r = resolver({
      check: (claims) => {
        if (claims.session_id === undefined) return undefined;
        if (pending) return Promise.resolve().then(() => { if (!live) throw new AppError('TOKEN_REVOKED', { message: 'ended' }); });
        if (!live) throw new AppError('TOKEN_REVOKED', { message: 'ended' });
        return undefined;
      },
    });
    await r.resolveNow({ authorization: `Bearer ${session}` });
    expect(r.resolveNow({ authorization: `Bearer ${session}` })).not.toBeInstanceOf(Promise);
    pending = true;
    const awaited = r.resolveNow({ authorization: `Bearer ${session}` });
    expect(awaited).toBeInstanceOf(Promise);
    expect((await awaited).userId).toBe('u1');
    live = false;
    expect(await settle(() => r.resolveNow({ authorization: `Bearer ${session}` }))).toMatchObject({ code: 'TOKEN_REVOKED' });
    pending = false;
    expect(await settle(() => r.resolveNow({ authorization: `Bearer ${session}` }))).toMatchObject({ code: 'TOKEN_REVOKED' });
  });

  it.each([
    ['no credential', {}],
    ['a malformed Authorization', { authorization: 'Bearer a b' }],
    ['another scheme', { authorization: `Basic ${user}` }],
    ['an apikey next to the token', { authorization: `Bearer ${user}`, apikey: 'nope' }],
    ['a client key', { 'x-client-key': 'k', authorization: `Bearer ${user}` }],
    ['a forged token', { authorization: `Bearer ${signJwt({ role: 'authenticated', sub: 'u1', exp }, 'x'.repeat(40))}` }],
    ['an unknown stored key', { authorization: 'Bearer sk_unknown' }],
  ])('answers %s as resolve() does', async (_name, headers) => {
    const a = await settle(() => resolver().resolveNow(headers));
    const b = await settle(() => resolver().resolve(headers));
    if (b instanceof AppError) expect([(a as AppError).code, (a as AppError).message]).toEqual([b.code, b.message]);
    else expect(a).toEqual(b);
    if (Object.keys(headers).length === 0) expect(a).toBe(ANONYMOUS);
  });
});
