// The admin check lives in http/ (auth supplies the admin-user lookup); admin routes use
// it through this re-export.
export { adminOnly, requireAdmin } from '../http/index.ts';
