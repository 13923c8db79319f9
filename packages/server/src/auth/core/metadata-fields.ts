// The user-metadata fields of sign-up and anonymous sign-in: `user_metadata`, or the
// aliases of the Supabase clients, `options.data` and `data` (first given wins).
import { field } from '../../http/index.ts';

export const userMetadataFields = {
  user_metadata: field.metadata(),
  options: field.object({ data: field.metadata() }),
  data: field.metadata(),
};

export function userMetadataOf(body: {
  user_metadata?: Record<string, unknown> | undefined;
  options?: { data?: Record<string, unknown> | undefined } | undefined;
  data?: Record<string, unknown> | undefined;
}): Record<string, unknown> | undefined {
  return body.user_metadata ?? body.options?.data ?? body.data;
}
