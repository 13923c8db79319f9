// `client.storage`: buckets (list and read as the caller; create, change and delete with an
// admin credential: the service role key or an admin user) and `from(bucket)` for objects.
import { emptyResult, objectResult } from '../result-shape.ts';
import type { FluxbaseResult, Transport } from '../transport.ts';
import { StorageFileApi } from './file-api.ts';
import type { StorageSettings } from './storage-request.ts';
import { STORAGE_PATH } from './storage-urls.ts';
import type { Bucket, BucketOptions } from './types.ts';

const bucketUrl = (name: string) => `${STORAGE_PATH}/buckets/${encodeURIComponent(name)}`;

/** The server's bucket fields; options left out are not sent. */
function bucketBody(o: BucketOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (o.public !== undefined) body.public = o.public;
  if (o.allowedMimeTypes !== undefined) body.allowed_mime_types = o.allowedMimeTypes;
  if (o.fileSizeLimit !== undefined) body.max_file_size = o.fileSizeLimit;
  return body;
}

export class StorageClient {
  private readonly transport: Transport;
  private readonly settings: StorageSettings;

  /** Built by createClient. */
  constructor(transport: Transport, settings: StorageSettings) {
    this.transport = transport;
    this.settings = settings;
  }

  /** The objects of `bucket`. */
  from(bucket: string): StorageFileApi {
    return new StorageFileApi(this.transport, this.settings, bucket);
  }

  /** The buckets the caller may see (public ones anonymously, all when signed in), newest first. */
  async listBuckets(): Promise<FluxbaseResult<Bucket[]>> {
    const res = await objectResult<{ buckets: Bucket[] }>(this.transport('GET', `${STORAGE_PATH}/buckets`), 'a bucket list');
    if (res.error) return res;
    return Array.isArray(res.data.buckets) ? { data: res.data.buckets, error: null } : { data: [], error: null };
  }

  /** One bucket; NOT_FOUND when absent or not visible to the caller. */
  getBucket(name: string): Promise<FluxbaseResult<Bucket>> {
    return objectResult(this.transport('GET', bucketUrl(name)), 'a bucket');
  }

  /** Admin. ALREADY_EXISTS (409) when the name is taken; VALIDATION_FAILED for a bad name or MIME pattern. */
  async createBucket(name: string, options: BucketOptions = {}): Promise<FluxbaseResult<Bucket>> {
    const res = await objectResult<Bucket & { message?: string }>(this.transport('POST', bucketUrl(name), { body: bucketBody(options) }), 'a bucket');
    if (res.error) return res;
    const { message: _message, ...bucket } = res.data;
    return { data: bucket, error: null };
  }

  /** Admin. Changes only the options given; `null` clears a limit. */
  updateBucket(name: string, options: BucketOptions): Promise<FluxbaseResult<Bucket>> {
    return objectResult(this.transport('PUT', bucketUrl(name), { body: bucketBody(options) }), 'a bucket');
  }

  /** Admin. BUCKET_NOT_EMPTY (409) while it holds objects: remove them first. */
  deleteBucket(name: string): Promise<FluxbaseResult<null>> {
    return emptyResult(this.transport('DELETE', bucketUrl(name)));
  }
}
