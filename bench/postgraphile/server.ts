// The GraphQL baseline: PostGraphile 5 (npm `postgraphile`, installed in bench/postgraphile on
// the first GraphQL bench run, bench/graphql.ts `ensurePostgraphile`, outside the project's install:
// its packages declare Node >= 22, which scripts/engines.test.ts keeps out of node_modules)
// with its amber preset on the same bench database, served by grafserv on a bare node:http
// server at POST /graphql. Configured as a PostGraphile user with RLS would:
// - a `pg` Pool of the same size as Fluxbase's (50), logged in as the same authenticator role
//   with the same statement_timeout, opened whole at start (as Fluxbase's pool.warm() does);
// - per request, `pgSettings` (grafast's per-request context) verifies the Bearer JWT
//   (`jsonwebtoken`, HS256, the run's secret) and sets the same settings Fluxbase's
//   db/context.ts sets: `role` (the token's, `authenticated`), `request.jwt.claims` (the
//   claims JSON), `request.jwt.claim.sub`, `request.jwt.claim.role`, `request.method`,
//   `request.path`. PostGraphile then runs BEGIN, its set_config statement, the operation's
//   SQL and COMMIT on one pooled connection, so RLS applies to the same role and claims;
// - introspection of `public` only, no watch mode, no GraphiQL, no websockets, explain off,
//   NODE_ENV=production (the child process's).
import { createRequire } from 'node:module';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { benchConfig } from '../lib/config.ts';
import { POSTGRAPHILE_PATH } from '../lib/graphql-fixture.ts';
import { authenticatorUrl } from '../lib/rest-fixture.ts';
import type { ServeOptions, SideServer } from '../lib/types.ts';

/** jsonwebtoken has no types installed; the one call used here. */
interface JsonWebToken {
  verify(token: string, secret: string, options: { algorithms: string[] }): unknown;
}
const jwt = createRequire(import.meta.url)('jsonwebtoken') as JsonWebToken;

// PostGraphile 5 / grafast declare node >= 22 and call Promise.withResolvers (ES2024, node 22),
// the only newer API they use; this repository runs on node 20, so the side process gets the
// standard's behaviour here (it is only called at request time, after the imports above).
const P = Promise as unknown as { withResolvers?: () => unknown };
P.withResolvers ??= () => {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

type Claims = Record<string, unknown> & { role?: unknown; sub?: unknown };

/** The settings of one request, from its verified Bearer token (anon without one). */
export function settingsFor(req: http.IncomingMessage | undefined, secret: string): Record<string, string> {
  const auth = req?.headers.authorization;
  const claims: Claims = auth?.startsWith('Bearer ')
    ? (jwt.verify(auth.slice(7), secret, { algorithms: ['HS256'] }) as Claims)
    : { role: 'anon' };
  const role = typeof claims.role === 'string' ? claims.role : 'anon';
  return {
    role,
    'request.jwt.claims': JSON.stringify({ ...claims, role }),
    'request.jwt.claim.sub': typeof claims.sub === 'string' ? claims.sub : '',
    'request.jwt.claim.role': role,
    'request.method': req?.method ?? 'POST',
    'request.path': req?.url ?? POSTGRAPHILE_PATH,
  };
}

export async function postgraphileServer(options: ServeOptions): Promise<SideServer> {
  const config = benchConfig(options);
  rmSync(config.data_dir, { recursive: true, force: true });
  const pool = new pg.Pool({
    connectionString: authenticatorUrl(options),
    max: options.maxConnections,
    idleTimeoutMillis: 0,
    statement_timeout: config.database.statement_timeout,
  });
  pool.on('error', () => {}); // idle client errors at shutdown
  const conns = await Promise.all(Array.from({ length: options.maxConnections }, () => pool.connect()));
  await Promise.all(conns.map((c) => c.query('select 1')));
  for (const c of conns) c.release();

  const preset: GraphileConfig.Preset = {
    extends: [PostGraphileAmberPreset],
    pgServices: [
      makePgService({
        pool,
        schemas: ['public'],
        pubsub: false,
        pgSettings: (ctx) => settingsFor(ctx.node?.req, options.jwtSecret),
      }),
    ],
    grafserv: { graphqlPath: POSTGRAPHILE_PATH, graphiql: false, websockets: false, watch: false },
    grafast: { explain: false },
  };
  const pgl = postgraphile(preset);
  await pgl.getSchemaResult();
  const serv = pgl.createServ(grafserv);
  const server = http.createServer();
  server.keepAliveTimeout = 72_000; // as bench/lib/bare.ts and Fastify
  await serv.addTo(server, false);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pgl.release(); // releases the serv too
      await pool.end().catch(() => {});
    },
  };
}
