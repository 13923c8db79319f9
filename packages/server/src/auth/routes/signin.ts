// POST /api/v1/auth/signin (API.md §8.1, §8.3): email and password, with the per-email
// lockout. Unknown emails and wrong passwords take the same hashing work and get the same
// 401; the failure count is kept per address whether or not an account exists.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../http/index.ts';
import { authQuery } from '../core/db.ts';
import { normalizeEmail } from '../core/email.ts';
import type { UserRow } from '../core/types.ts';
import { USER_COLUMNS } from '../core/users.ts';
import type { AuthDeps } from '../deps.ts';
import { objectBody, requiredString } from '../core/body.ts';

export function registerSignin(app: FastifyInstance, deps: AuthDeps): void {
  const { core, config } = deps;
  const pool = deps.db.pool;
  const lockoutMs = config.auth.lockout_duration;
  app.post('/api/v1/auth/signin', { config: { allowWithoutKey: true } }, async (request, reply) => {
    const client = core.clientInfo(request);
    if (!config.auth.password_login_enabled) throw new AppError('PASSWORD_LOGIN_DISABLED', { message: 'Password sign-in is disabled' });
    const body = objectBody(request);
    const email = normalizeEmail(body.email);
    const password = requiredString(body, 'password', 4 * config.auth.password_max_length + 64);
    await deps.limits.hit(reply, 'login', { ip: client.ip, email });

    // One round trip for the lock and the account (the address may have neither).
    const [found] = await authQuery(pool, (sql) => sql<(Partial<UserRow> & { retry_s: number | null; has_attempts: boolean })[]>`
      select ${sql.unsafe(USER_COLUMNS.replace(/(^|,\s*)/g, '$1u.'))},
             case when a.locked_until > now() then ceil(extract(epoch from a.locked_until - now()))::int end as retry_s,
             a.email is not null as has_attempts
      from (select ${email}::text as email) e
      left join auth.users u on u.email = e.email
      left join auth.login_attempts a on a.email = e.email`);
    if (typeof found?.retry_s === 'number') throw locked(found.retry_s);
    const user = typeof found?.id !== 'string' ? undefined : (found as unknown as UserRow);

    const { ok, rehash } = await core.passwords.verify(user?.encrypted_password ?? null, password);
    if (!ok || !user) {
      const [row] = await authQuery(pool, (sql) => sql<{ locked: boolean }[]>`
        insert into auth.login_attempts as a (email, failed_count, last_failed_at)
        values (${email}, 1, now())
        on conflict (email) do update set
          failed_count = case when a.locked_until is not null and a.locked_until <= now() then 1 else a.failed_count + 1 end,
          last_failed_at = now(),
          locked_until = case
            when (case when a.locked_until is not null and a.locked_until <= now() then 1 else a.failed_count + 1 end) >= ${config.auth.lockout_max_attempts}
            then now() + interval '1 millisecond' * ${lockoutMs}::float8 else null end
        returning locked_until is not null as locked`);
      if (row?.locked) request.log.warn({ request_id: request.id }, 'sign-in locked for an email after repeated failures');
      throw new AppError('INVALID_CREDENTIALS', { message: 'Invalid email or password' });
    }
    if (found!.has_attempts || rehash) {
      await authQuery(pool, async (sql) => {
        await sql`delete from auth.login_attempts where email = ${email}`;
        if (rehash) await sql`update auth.users set encrypted_password = ${await core.passwords.hash(password)} where id = ${user.id}::uuid`;
      });
    }
    if (config.auth.require_email_verification && !user.email_verified) {
      throw new AppError('EMAIL_NOT_VERIFIED', { message: 'Confirm your email address before signing in', extra: { requires_email_verification: true } });
    }
    return core.completeSignIn(user, 'password', client);
  });
}

function locked(retryAfterSeconds: number): AppError {
  const s = Math.max(1, retryAfterSeconds);
  return new AppError('ACCOUNT_LOCKED', {
    message: `Too many failed sign-in attempts; try again in ${s} seconds`,
    headers: { 'Retry-After': String(s) },
    details: { retry_after: s },
  });
}
