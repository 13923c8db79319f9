// Admin request bodies are parsed by the route's zod schema through http's parseInput,
// with a field of the wrong type answered 400 INVALID_REQUEST_BODY naming it (`details.field`):
// the admin routes' contract since they landed (docs/errors.md "Codes you will meet now").
import type { z } from 'zod';
import { parseInput } from '../http/index.ts';

export function parseAdminBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  return parseInput(schema, body, 'body', 'INVALID_REQUEST_BODY');
}
