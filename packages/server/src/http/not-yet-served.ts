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
    message: 'File storage is not served by this version of Fluxbase yet (neither /storage/v1 nor /api/v1/storage)',
    hint: 'Keep files elsewhere for now; see the README for what this version serves',
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
    message: 'GraphQL is not served by this version of Fluxbase yet',
    hint: 'Use the REST API: /rest/v1 (PostgREST) or /api/v1/tables (docs/rest.md)',
  },
];

/** The 404 for a path under a mount not served yet, or undefined. */
export function notYetServed(path: string): AppError | undefined {
  const mount = MOUNTS.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`));
  if (!mount) return undefined;
  return new AppError('NOT_FOUND', { message: mount.message, hint: mount.hint, details: { resource: 'route', mount: mount.prefix } });
}
