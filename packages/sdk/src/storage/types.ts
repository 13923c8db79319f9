// The shapes of `client.storage` (API.md §10): the server's JSON as it is sent (snake_case),
// and the SDK's options (camelCase, turned into the server's fields by the client).
import type { FluxbaseError } from '../errors.ts';

/** A bucket as the server sends it. */
export interface Bucket {
  id: string;
  name: string;
  /** Objects readable without credentials (getPublicUrl). */
  public: boolean;
  /** MIME types accepted (`image/png`, `image/*`, `*\/*`); null: any. */
  allowed_mime_types: string[] | null;
  /** Largest object in bytes; null: the server's `storage.max_file_size`. */
  max_file_size: number | null;
  owner_id: string | null;
  created_at: string;
  updated_at: string;
}

/** `createBucket` / `updateBucket` options; a field left out is not sent (update: unchanged). */
export interface BucketOptions {
  /** Default false on create. */
  public?: boolean;
  /** `image/png`, `image/*` or `*\/*`; null: any type. Default on create: any. */
  allowedMimeTypes?: readonly string[] | null;
  /** Bytes; null: only the server-wide limit. Default on create: null. */
  fileSizeLimit?: number | null;
}

/** An object as listed. */
export interface StorageObject {
  id: string;
  bucket: string;
  /** The object's path in its bucket (same as `path`). */
  name: string;
  path: string;
  mime_type: string | null;
  size: number;
  metadata: Record<string, unknown> | null;
  owner_id: string | null;
  etag: string | null;
  created_at: string;
  updated_at: string;
}

/** What an upload answers. */
export interface UploadResult {
  id: string;
  /** The object's path in its bucket (same as `path`). */
  key: string;
  path: string;
  /** `<bucket>/<path>`. */
  full_path: string;
  bucket: string;
  size: number;
  content_type: string | null;
  etag: string | null;
  last_modified: string;
  owner_id: string | null;
}

/** A body the SDK can upload. A string is sent as UTF-8 text. */
export type StorageBody = Blob | ArrayBuffer | ArrayBufferView | string | ReadableStream<Uint8Array>;

export interface UploadOptions {
  /**
   * The object's type. Default: a Blob's own type, `text/plain;charset=UTF-8` for a string,
   * else the server's guess from the path's extension (`application/octet-stream` when none).
   */
  contentType?: string;
  /** Stored and sent back as `Cache-Control` on downloads. Default: the server's `max-age=3600`. */
  cacheControl?: string;
  /** Replace an existing object instead of failing with ALREADY_EXISTS. Default false (`update` always replaces). */
  upsert?: boolean;
  /** A JSON object stored with the object (listed as `metadata`). Default none. */
  metadata?: Record<string, unknown>;
  signal?: AbortSignal;
}

/** Image transform (jpeg, png, webp, gif, tiff, avif inputs); sizes are rounded up to 50 px by the server. */
export interface TransformOptions {
  width?: number;
  height?: number;
  /** Output format. Default: the input's. */
  format?: 'webp' | 'jpeg' | 'png' | 'avif';
  /** 1-100. Default: the server's `storage.transforms.default_quality` (80). */
  quality?: number;
  /** Default `cover`. */
  fit?: 'cover' | 'contain' | 'fill' | 'inside' | 'outside';
}

/** Bytes `start` to `end` inclusive (`end` left out: to the end of the object). */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface DownloadOptions {
  transform?: TransformOptions;
  /** Only these bytes (206); a range past the end is RANGE_NOT_SATISFIABLE. Not with `transform`. */
  range?: ByteRange;
  signal?: AbortSignal;
}

export interface ListOptions {
  /** Default 1000 (max 10,000): entries, objects and prefixes together, in key order. */
  limit?: number;
  /** Default 0. */
  offset?: number;
  /** Case-insensitive substring of the entry's name after the prefix. Default none. */
  search?: string;
  /** With `'/'`, only direct children are listed and deeper folders come as `prefixes`. Default none (every object under the prefix). */
  delimiter?: string;
}

/** `list` answers: one page of objects and (with a delimiter) folder prefixes. */
export interface StorageList {
  bucket: string;
  objects: StorageObject[];
  /** Common prefixes ending with the delimiter (`photos/2024/`); empty without a delimiter. */
  prefixes: string[];
  /** Entries (objects + prefixes) matching, before limit and offset. */
  count: number;
}

export interface RemoveFailure {
  path: string;
  error: FluxbaseError;
}

/** Which paths `remove` deleted and which it did not (with each one's error). */
export interface RemoveResult {
  removed: string[];
  failed: RemoveFailure[];
}

/**
 * `remove` always says which paths went: `data` is set even when some failed. `error` is
 * null when every path was removed, else one error for the lot, with the first failure's
 * status and code (NOT_FOUND for an absent or invisible object) and `details.failed`.
 */
export interface RemoveResponse {
  data: RemoveResult;
  error: FluxbaseError | null;
}

export interface MoveResult {
  /** The object's new path. */
  path: string;
}

export interface CopyResult {
  path: string;
  /** The new object's id. */
  id: string;
}

export interface SignedUrlOptions {
  /** A GET URL that serves the object transformed. */
  transform?: TransformOptions;
  /** `GET` (download, default) or `PUT` (upload; see createSignedUploadUrl). */
  method?: 'GET' | 'PUT';
}

export interface SignedUrl {
  /** Absolute URL on the server's `server.public_url`; needs no credentials. */
  signedUrl: string;
  path: string;
  expiresIn: number;
  /** RFC 3339. */
  expiresAt: string;
  method: 'GET' | 'PUT';
}

export interface SignedUploadUrl {
  signedUrl: string;
  path: string;
  /** The URL's `token` parameter. */
  token: string;
  expiresAt: string;
}

export interface SignedUploadOptions {
  /** Default as for `upload`. */
  contentType?: string;
  cacheControl?: string;
  signal?: AbortSignal;
}

export interface PublicUrlOptions {
  transform?: TransformOptions;
  /** Ask the browser to save the file: `true` under its own name, a string under that name. */
  download?: boolean | string;
}
