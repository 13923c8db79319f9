// The JSON shapes of API.md §10: Upload, Object.
import type { ObjectRow } from '../object-store.ts';

export function uploadView(o: ObjectRow) {
  return {
    id: o.id, key: o.name, path: o.name, full_path: `${o.bucket_id}/${o.name}`, bucket: o.bucket_id, size: o.size,
    content_type: o.mime_type, etag: o.etag, last_modified: o.updated_at, owner_id: o.owner_id,
  };
}

export function objectView(o: ObjectRow) {
  return {
    id: o.id, bucket: o.bucket_id, name: o.name, path: o.name, mime_type: o.mime_type, size: o.size, metadata: o.metadata,
    owner_id: o.owner_id, etag: o.etag, created_at: o.created_at, updated_at: o.updated_at,
  };
}
