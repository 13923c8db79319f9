// Admin user management (API.md §7.3): list/search, create, update (role, app_metadata,
// ban), delete, and sessions list/revoke. Service role or admin users only. A ban, a
// password change and a role change end the user's sessions; so does deletion.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseDuration } from '../../config/index.ts';
import { AppError, adminOnly, errors } from '../../http/index.ts';
import { authQuery } from '../core/db.ts';
import { normalizeEmail } from '../core/email.ts';
import type { AuthDeps } from '../deps.ts';
import { objectBody, optionalMetadata, optionalString } from '../core/body.ts';
import { getAdminUser, listSessions, searchUsers, updateUser, type UserPatch } from './store.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLE = /^[a-z_][a-z0-9_]{0,62}$/;
const RESERVED_ROLES = new Set(['anon', 'service_role']);
const CREATE_FIELDS = new Set(['email', 'password', 'email_verified', 'role', 'user_metadata', 'app_metadata']);
const PATCH_FIELDS = new Set([...CREATE_FIELDS, 'ban_duration']);

const invalid = (field: string, problem: string) =>
  new AppError('VALIDATION_FAILED', { message: `${field} ${problem}`, details: { fields: { [field]: problem } } });

function userId(request: FastifyRequest): string {
  const id = (request.params as { id: string }).id;
  if (!UUID.test(id)) throw new AppError('INVALID_ID', { message: 'The user id must be a UUID', details: { field: 'id' } });
  return id;
}

function checkFields(body: Record<string, unknown>, allowed: Set<string>): void {
  const unknown = Object.keys(body).filter((k) => !allowed.has(k));
  if (unknown.length > 0) {
    throw new AppError('VALIDATION_FAILED', {
      message: `Unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
      details: { fields: Object.fromEntries(unknown.map((k) => [k, 'unknown field'])) },
    });
  }
}

function role(body: Record<string, unknown>): string | undefined {
  const r = optionalString(body, 'role', 63);
  if (r === undefined) return undefined;
  if (!ROLE.test(r)) throw invalid('role', 'must be lower-case letters, digits and _');
  if (RESERVED_ROLES.has(r)) throw invalid('role', 'anon and service_role are database roles, not user roles');
  return r;
}

function bool(body: Record<string, unknown>, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw invalid(field, 'must be a boolean');
  return v;
}

function intParam(value: unknown, name: string, def: number, max: number): number {
  if (value === undefined || value === '') return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new AppError('INVALID_FORMAT', { message: `${name} must be an integer from 0 to ${max}`, details: { parameter: name } });
  return n;
}

export function registerAdminUserRoutes(app: FastifyInstance, deps: AuthDeps): void {
  const { core } = deps;
  const pool = deps.db.pool;
  const base = '/api/v1/admin/users';
  const found = async (id: string) => {
    const user = await getAdminUser(pool, id);
    if (!user) throw errors.notFound('user', 'No user with this id');
    return user;
  };

  app.get(base, { preHandler: adminOnly }, async (request) => {
    const q = request.query as Record<string, unknown>;
    const search = typeof q.search === 'string' ? q.search.slice(0, 200) : '';
    const limit = Math.max(1, intParam(q.limit, 'limit', 50, 1000));
    const offset = intParam(q.offset, 'offset', 0, 10_000_000);
    const { users, total } = await searchUsers(pool, search, limit, offset);
    return { users, total, limit, offset };
  });

  app.post(base, { preHandler: adminOnly }, async (request, reply) => {
    const body = objectBody(request);
    checkFields(body, CREATE_FIELDS);
    const email = normalizeEmail(body.email);
    const password = body.password === undefined ? undefined : core.passwords.validate(body.password);
    const row = await core.users.create({
      email, password, emailVerified: bool(body, 'email_verified') ?? false, role: role(body),
      userMetadata: optionalMetadata(body, 'user_metadata'), appMetadata: optionalMetadata(body, 'app_metadata'),
    });
    return reply.code(201).send(await found(row.id));
  });

  app.get(`${base}/:id`, { preHandler: adminOnly }, async (request) => found(userId(request)));

  app.patch(`${base}/:id`, { preHandler: adminOnly }, async (request) => {
    const id = userId(request);
    const body = objectBody(request);
    checkFields(body, PATCH_FIELDS);
    const before = await found(id);
    const patch: UserPatch = {
      role: role(body), emailVerified: bool(body, 'email_verified'),
      userMetadata: optionalMetadata(body, 'user_metadata'), appMetadata: optionalMetadata(body, 'app_metadata'),
    };
    if (body.email !== undefined) {
      patch.email = normalizeEmail(body.email);
      const other = await core.users.findByEmail(patch.email);
      if (other && other.id !== id) throw new AppError('ALREADY_EXISTS', { message: 'An account with this email already exists', details: { resource: 'user' } });
    }
    if (body.password !== undefined) patch.passwordHash = await core.passwords.hash(core.passwords.validate(body.password));
    const ban = optionalString(body, 'ban_duration', 32);
    if (ban !== undefined) {
      if (ban === 'none') patch.bannedUntil = null;
      else {
        const ms = parseDuration(ban);
        if (ms === undefined || ms <= 0) throw invalid('ban_duration', 'must be a duration like "24h" or "none"');
        patch.bannedUntil = new Date(Date.now() + ms);
      }
    }
    await updateUser(pool, id, patch);
    const endSessions = patch.passwordHash !== undefined || (patch.bannedUntil instanceof Date)
      || (patch.role !== undefined && patch.role !== before.role);
    if (endSessions) await core.sessions.revokeUserSessions(id, 'admin_change');
    return found(id);
  });

  app.delete(`${base}/:id`, { preHandler: adminOnly }, async (request, reply) => {
    const id = userId(request);
    await core.sessions.revokeUserSessions(id, 'user_deleted');
    const rows = await authQuery(pool, (sql) => sql`delete from auth.users where id = ${id}::uuid returning id`);
    if (rows.length === 0) throw errors.notFound('user', 'No user with this id');
    return reply.code(204).send();
  });

  app.get(`${base}/:id/sessions`, { preHandler: adminOnly }, async (request) => {
    const id = userId(request);
    await found(id);
    return { sessions: await listSessions(pool, id) };
  });

  app.delete(`${base}/:id/sessions`, { preHandler: adminOnly }, async (request, reply) => {
    const id = userId(request);
    await found(id);
    await core.sessions.revokeUserSessions(id, 'admin_revoked');
    return reply.code(204).send();
  });
}
