// The queue of sign-in emails that anonymous callers ask for (magic link, email code,
// password reset): the route only inserts a request, the same statement whether or not
// the address has an account, and answers; a worker on every instance sends them. So the
// answer takes the same time for a known and an unknown address (no timing oracle, where
// looking the account up, issuing a token and mailing took several times longer), and a
// refusing mail server cannot tell the caller either. At-least-once: a request is leased
// while it is sent, deleted once sent, retried with backoff, dropped after five attempts.
import type postgres from 'postgres';
import type { Pool } from '../../db/index.ts';
import type { EmailDeps } from './email-deps.ts';
import { sendEmailOtp } from './email-otp.ts';
import { sendMagicLink } from './magic-link.ts';
import { sendPasswordReset } from './password-reset.ts';

export const MAIL_CHANNEL = 'fluxbase_auth_mail';
const MAX_ATTEMPTS = 5;
/** How long a claimed request is leased to its sender before another instance may take it. */
const LEASE_S = 120;
const BATCH = 10;
const POLL_MS = 1000;

export type MailRequest =
  | { kind: 'magiclink'; email: string; redirectTo?: string | undefined }
  | { kind: 'email_otp'; email: string; createUser: boolean; purpose?: string | undefined }
  | { kind: 'recovery'; email: string; redirectTo?: string | undefined };

interface Row {
  id: string;
  kind: MailRequest['kind'];
  email: string;
  redirect_to: string | null;
  data: { createUser?: boolean; purpose?: string };
  attempts: number;
}

/** Queue a request (one statement, whatever the address). */
export async function enqueueMailRequest(pool: Pool, request: MailRequest): Promise<void> {
  const data = request.kind === 'email_otp' ? { createUser: request.createUser, ...(request.purpose ? { purpose: request.purpose } : {}) } : {};
  const redirectTo = request.kind === 'email_otp' ? null : request.redirectTo ?? null;
  await pool.withConnection((sql) => sql`
    with queued as (
      insert into auth.mail_requests (kind, email, redirect_to, data) values (${request.kind}, ${request.email}, ${redirectTo}, ${sql.json(data)})
      returning id)
    select pg_notify(${MAIL_CHANNEL}, '') from queued`);
}

/** Seconds before retry n (1-based): 5 s, 30 s, 2 min, 10 min. */
const backoffS = (attempt: number) => [5, 30, 120, 600][attempt - 1] ?? 600;

function send(deps: EmailDeps, row: Row): Promise<void> {
  const redirectTo = row.redirect_to ?? undefined;
  switch (row.kind) {
    case 'magiclink': return sendMagicLink(deps, row.email, redirectTo);
    case 'recovery': return sendPasswordReset(deps, row.email, redirectTo);
    case 'email_otp': return sendEmailOtp(deps, row.email, { createUser: row.data.createUser === true, purpose: row.data.purpose });
  }
}

export interface MailRequestWorker {
  start(): Promise<void>;
  /** Stop claiming; wait for the batch being sent. */
  stop(): Promise<void>;
  /** Send what is due now (tests, and the worker's own loop). */
  runOnce(): Promise<number>;
}

export function createMailRequestWorker(deps: EmailDeps, listener: postgres.Sql): MailRequestWorker {
  const pool = deps.db.pool;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let unlisten: (() => Promise<unknown>) | undefined;
  let running: Promise<number> | undefined;
  let again = false;

  async function claim(): Promise<Row[]> {
    return pool.withConnection((sql) => sql<Row[]>`
      update auth.mail_requests set attempts = attempts + 1, run_after = now() + ${LEASE_S} * interval '1 second'
      where id in (select id from auth.mail_requests where run_after <= now() order by id limit ${BATCH} for update skip locked)
      returning id::text, kind, email, redirect_to, data, attempts`);
  }

  async function settle(row: Row, err: unknown): Promise<void> {
    if (err === undefined) {
      await pool.withConnection((sql) => sql`delete from auth.mail_requests where id = ${row.id}::bigint`);
      return;
    }
    const message = (err as Error).message ?? String(err);
    if (row.attempts >= MAX_ATTEMPTS) {
      deps.logger.error({ kind: row.kind, attempts: row.attempts, error: message }, 'auth email dropped after repeated failures');
      await pool.withConnection((sql) => sql`delete from auth.mail_requests where id = ${row.id}::bigint`);
      return;
    }
    deps.logger.warn({ kind: row.kind, attempt: row.attempts, error: message }, 'auth email failed; retrying later');
    await pool.withConnection((sql) => sql`
      update auth.mail_requests set run_after = now() + ${backoffS(row.attempts)} * interval '1 second', last_error = ${message.slice(0, 500)}
      where id = ${row.id}::bigint`);
  }

  async function drain(): Promise<number> {
    let sent = 0;
    for (;;) {
      const rows = await claim();
      for (const row of rows) {
        let failure: unknown;
        try {
          await send(deps, row);
          sent++;
        } catch (err) {
          failure = err ?? new Error('unknown failure');
        }
        await settle(row, failure).catch((err: unknown) => deps.logger.warn({ err }, 'could not update an auth email request'));
      }
      if (rows.length < BATCH) return sent;
    }
  }

  /** One drain at a time; a wake-up during one runs another after it. */
  function wake(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = drain()
      .catch((err: unknown) => {
        deps.logger.warn({ err }, 'auth email queue unavailable; retrying');
        return 0;
      })
      .finally(() => {
        running = undefined;
        if (again && !stopped) {
          again = false;
          void wake();
        }
      });
    return running;
  }

  return {
    async start() {
      if (!stopped) return;
      stopped = false;
      const listening = await listener.listen(MAIL_CHANNEL, () => void wake(), () => void wake()).catch((err: unknown) => {
        deps.logger.warn({ err }, 'could not LISTEN for auth email requests; polling only');
        return undefined;
      });
      unlisten = listening?.unlisten;
      timer = setInterval(() => void wake(), POLL_MS);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await unlisten?.().catch(() => {});
      unlisten = undefined;
      await running;
    },
    async runOnce() {
      // Wait out drains already under way (and those they chain), then drain once more.
      let sent = 0;
      do {
        while (running) await running;
        sent += await wake();
      } while (running);
      return sent;
    },
  };
}
