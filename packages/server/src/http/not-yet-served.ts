// Paths under a mount this server does not serve yet, and what to use instead, so a
// newcomer following Supabase habits gets a 404 that says where to go rather than a bare
// "no route". Only unmatched paths reach this table: once a subsystem serves its mount,
// its routes answer first, and its entry here should go (or say how to turn it on).
import { AppError } from './errors/index.ts';

const MOUNTS: { prefix: string; message: string; hint: string }[] = [
  {
    prefix: '/auth/v1',
    message: 'Fluxbase serves authentication at /api/v1/auth; Supabase\'s /auth/v1 mount is not available yet',
    hint: 'Use the Fluxbase SDK (client.auth) or call /api/v1/auth/signup, /api/v1/auth/signin, … (docs/auth.md)',
  },
  {
    prefix: '/storage/v1',
    message: 'Fluxbase serves storage at /api/v1/storage; Supabase\'s /storage/v1 mount is not available yet',
    hint: 'Use the Fluxbase SDK (client.storage) or call /api/v1/storage/:bucket/<path> (docs/storage.md)',
  },
  {
    prefix: '/realtime/v1',
    message: 'Fluxbase serves realtime at /realtime with its own frames; Supabase\'s Phoenix protocol at /realtime/v1 is not available yet',
    hint: 'Use the Fluxbase SDK (client.channel(...)) or connect a WebSocket to /realtime (docs/realtime.md)',
  },
  {
    // Only reached when functions.enabled is false (otherwise the functions routes answer).
    prefix: '/functions/v1',
    message: 'Edge functions are disabled on this server (functions.enabled is false)',
    hint: 'Set functions.enabled to true (FLUXBASE_FUNCTIONS_ENABLED=true) and restart; see docs/functions.md',
  },
  {
    prefix: '/graphql/v1',
    message: 'Fluxbase serves GraphQL at /api/v1/graphql; Supabase\'s /graphql/v1 (pg_graphql) mount is not available',
    hint: 'POST {query, variables} to /api/v1/graphql, or use the SDK (client.graphql); see docs/graphql.md',
  },
  {
    // Only reached when graphql.enabled is false (otherwise the GraphQL routes answer).
    prefix: '/api/v1/graphql',
    message: 'GraphQL is disabled on this server (graphql.enabled is false)',
    hint: 'Set graphql.enabled to true (FLUXBASE_GRAPHQL_ENABLED=true) and restart; see docs/graphql.md',
  },
];

/** The 404 for a path under a mount not served yet, or undefined. */
export function notYetServed(path: string): AppError | undefined {
  const mount = MOUNTS.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`));
  if (!mount) return undefined;
  return new AppError('NOT_FOUND', { message: mount.message, hint: mount.hint, details: { resource: 'route', mount: mount.prefix } });
}
