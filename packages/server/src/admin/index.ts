// Admin: routes for the admin principal only (schema cache refresh, schema metadata,
// TypeScript type generation). Reads the schema cache; never serves user data.
export { registerAdminRoutes, type AdminDeps } from './routes.ts';
