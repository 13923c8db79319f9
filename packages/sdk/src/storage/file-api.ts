// `client.storage.from(bucket)`: the objects of one bucket (API.md §10). Every call runs
// as the client's credential, so RLS decides: another user's object is NOT_FOUND, as an
// absent one is. Fixes upstream's mismatches: metadata goes in the form's `metadata` field,
// `list` reads `objects`, `createSignedUrl` sends a nested `transform`, and move and copy
// call routes that exist.
import { FluxbaseError } from '../errors.ts';
import { emptyResult, objectResult } from '../result-shape.ts';
import type { FluxbaseResult, Transport } from '../transport.ts';
import { readJsonObject, sendStorage, type StorageSettings } from './storage-request.ts';
import { bucketPath, objectPath, transformBody, transformQuery, withQuery } from './storage-urls.ts';
import { signedUploadBody, uploadRequest } from './upload-request.ts';
import type {
  CopyResult, DownloadOptions, ListOptions, MoveResult, PublicUrlOptions, RemoveFailure, RemoveResponse, SignedUploadOptions,
  SignedUploadUrl, SignedUrl, SignedUrlOptions, StorageBody, StorageList, UploadOptions, UploadResult,
} from './types.ts';

/** DELETEs in flight at once during `remove`. */
const REMOVE_CONCURRENCY = 8;

interface SignResponse {
  signed_url: string;
  expires_in: number;
  expires_at: string;
  method: 'GET' | 'PUT';
}

export class StorageFileApi {
  readonly bucketId: string;
  private readonly transport: Transport;
  private readonly settings: StorageSettings;

  /** Built by `client.storage.from`. */
  constructor(transport: Transport, settings: StorageSettings, bucketId: string) {
    this.transport = transport;
    this.settings = settings;
    this.bucketId = bucketId;
  }

  /**
   * Store `body` at `path`. Errors: ALREADY_EXISTS (409) when the path is taken and `upsert`
   * is not set (the stored bytes are left alone), FILE_TOO_LARGE (413),
   * UNSUPPORTED_MEDIA_TYPE (415, refused by the bucket), NOT_FOUND (no such bucket),
   * RLS_POLICY_VIOLATION / AUTHENTICATION_REQUIRED (not allowed to write there).
   */
  upload(path: string, body: StorageBody, options: UploadOptions = {}): Promise<FluxbaseResult<UploadResult>> {
    return this.send(path, body, options, false);
  }

  /** Store `body` at `path`, replacing what is there (PUT; creates it when absent). */
  update(path: string, body: StorageBody, options: Omit<UploadOptions, 'upsert'> = {}): Promise<FluxbaseResult<UploadResult>> {
    return this.send(path, body, options, true);
  }

  /**
   * The object's bytes as a Blob (its `type` is the stored Content-Type, or the transform's
   * output type). `range` answers only those bytes; `transform` an image resized or converted.
   */
  download(path: string, options: DownloadOptions = {}): Promise<FluxbaseResult<Blob>> {
    const headers: Record<string, string> = {};
    if (options.range !== undefined) headers.Range = `bytes=${options.range.start}-${options.range.end ?? ''}`;
    const url = withQuery(this.settings.baseUrl + objectPath(this.bucketId, path), transformQuery(options.transform));
    return sendStorage(this.settings, { method: 'GET', url, headers, signal: options.signal }, async (res) => ({ data: await res.blob(), error: null }));
  }

  /**
   * One page of the objects whose path starts with `prefix` (a plain string prefix: `'docs/'`
   * is the folder, `'docs'` also matches `docs-old/x`), in key order.
   */
  async list(prefix?: string, options: ListOptions = {}): Promise<FluxbaseResult<StorageList>> {
    const query = { prefix: prefix === undefined || prefix === '' ? undefined : prefix, limit: options.limit, offset: options.offset, search: options.search, delimiter: options.delimiter };
    const res = await objectResult<StorageList & { files?: unknown }>(this.transport('GET', bucketPath(this.bucketId), { query }), 'an object list');
    if (res.error) return res;
    const { bucket, objects, prefixes, count } = res.data;
    return { data: { bucket, objects, prefixes, count }, error: null };
  }

  /**
   * Delete each path (one DELETE per path, a few at a time). `data` lists what went and what
   * did not; `error` is set when any path failed (see RemoveResponse).
   */
  async remove(paths: readonly string[]): Promise<RemoveResponse> {
    const removed: string[] = [];
    const failed: RemoveFailure[] = [];
    const outcomes: (FluxbaseError | null)[] = new Array<FluxbaseError | null>(paths.length).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < paths.length) {
        const i = next++;
        outcomes[i] = (await emptyResult(this.transport('DELETE', objectPath(this.bucketId, paths[i]!)))).error;
      }
    };
    await Promise.all(Array.from({ length: Math.min(REMOVE_CONCURRENCY, paths.length) }, worker));
    paths.forEach((path, i) => {
      const error = outcomes[i];
      if (error) failed.push({ path, error });
      else removed.push(path);
    });
    const first = failed[0]?.error;
    const error = first === undefined ? null : new FluxbaseError({
      status: first.status, code: first.code, error: `${failed.length} of ${paths.length} objects were not removed`,
      message: failed.map((f) => `${f.path}: ${f.error.code}`).join('; '),
      details: { failed: failed.map((f) => ({ path: f.path, code: f.error.code, status: f.error.status })) },
      requestId: first.requestId,
    });
    return { data: { removed, failed }, error };
  }

  /** Rename an object within the bucket; TO an existing path is ALREADY_EXISTS. */
  async move(fromPath: string, toPath: string): Promise<FluxbaseResult<MoveResult>> {
    const res = await objectResult<{ path: string }>(this.transport('POST', `${bucketPath(this.bucketId)}/move`, { body: { from_path: fromPath, to_path: toPath } }), 'a move result');
    return res.error ? res : { data: { path: res.data.path }, error: null };
  }

  /** Copy an object (bytes and metadata) to a new path in the bucket; the copy is the caller's. */
  copy(fromPath: string, toPath: string): Promise<FluxbaseResult<CopyResult>> {
    return objectResult(this.transport('POST', `${bucketPath(this.bucketId)}/copy`, { body: { from_path: fromPath, to_path: toPath } }), 'a copy result');
  }

  /**
   * A URL that reads the object (or, with `method: 'PUT'`, writes it) without credentials
   * for `expiresIn` seconds. Signed only when the caller may read (write) it: another
   * user's object is NOT_FOUND.
   */
  async createSignedUrl(path: string, expiresIn: number, options: SignedUrlOptions = {}): Promise<FluxbaseResult<SignedUrl>> {
    const body: Record<string, unknown> = { expires_in: expiresIn, method: options.method ?? 'GET' };
    const transform = transformBody(options.transform);
    if (transform !== undefined) body.transform = transform;
    const res = await objectResult<SignResponse>(this.transport('POST', objectPath(this.bucketId, path, 'sign'), { body }), 'a signed URL');
    if (res.error) return res;
    const s = res.data;
    return { data: { signedUrl: s.signed_url, path, expiresIn: s.expires_in, expiresAt: s.expires_at, method: s.method }, error: null };
  }

  /** A URL anyone holding it can PUT the object's bytes to (`uploadToSignedUrl`), creating or replacing it. Default 2 hours. */
  async createSignedUploadUrl(path: string, expiresIn = 7200): Promise<FluxbaseResult<SignedUploadUrl>> {
    const res = await this.createSignedUrl(path, expiresIn, { method: 'PUT' });
    if (res.error) return res;
    const token = new URL(res.data.signedUrl).searchParams.get('token') ?? '';
    return { data: { signedUrl: res.data.signedUrl, path, token, expiresAt: res.data.expiresAt }, error: null };
  }

  /**
   * PUT `body` to a signed upload URL (from createSignedUploadUrl, here or elsewhere). The
   * client's credentials are not sent: the URL is the authorization. Errors:
   * INVALID_SIGNED_URL (401, bad or expired), METHOD_NOT_ALLOWED (a GET URL).
   */
  uploadToSignedUrl(signedUrl: string, body: StorageBody, options: SignedUploadOptions = {}): Promise<FluxbaseResult<UploadResult>> {
    const url = new URL(signedUrl, `${this.settings.baseUrl}/`).toString();
    const raw = signedUploadBody(body, options.contentType, options.cacheControl);
    return sendStorage(this.settings, { method: 'PUT', url, ...raw, signal: options.signal, anonymous: true }, readJsonObject<UploadResult>);
  }

  /**
   * The URL of an object in a public bucket (read without credentials); no request is made,
   * so nothing says whether the object exists or the bucket is public.
   */
  getPublicUrl(path: string, options: PublicUrlOptions = {}): { data: { publicUrl: string } } {
    const d = options.download;
    const download = d === undefined || d === false ? undefined : d === true ? '' : d;
    const publicUrl = withQuery(this.settings.baseUrl + objectPath(this.bucketId, path), { ...transformQuery(options.transform), download });
    return { data: { publicUrl } };
  }

  private send(path: string, body: StorageBody, options: UploadOptions, update: boolean): Promise<FluxbaseResult<UploadResult>> {
    const req = uploadRequest(this.bucketId, path, body, options, update);
    return sendStorage(this.settings, { ...req, url: this.settings.baseUrl + req.path, signal: options.signal }, readJsonObject<UploadResult>);
  }
}
