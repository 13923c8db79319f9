// The body of POST and PUT /api/v1/storage/buckets/:bucket (API.md §10). Unknown fields are
// refused; a MIME pattern is exact (`image/png`), `type/*` or `*/*`.
import { z } from 'zod';

const MIME = /^(\*\/\*|[a-z0-9][a-z0-9!#$&^_.+-]*\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*))$/i;

export const BucketBody = z.strictObject({
  public: z.boolean().optional(),
  allowed_mime_types: z.array(z.string().regex(MIME, 'must be MIME types such as "image/png", "image/*" or "*/*"')).max(100).nullable().optional(),
  max_file_size: z.number().int().min(1).nullable().optional(),
});
export type BucketInput = z.output<typeof BucketBody>;
