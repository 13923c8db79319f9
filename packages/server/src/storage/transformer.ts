// Image transforms with sharp (API.md §10 "Transforms"): resize/convert one stored image
// under input caps, a concurrency limit with a short bounded wait, and a byte-bounded LRU of
// results. It knows nothing of buckets, RLS or HTTP: the route reads the object, maps the
// typed errors below to statuses and sets `X-Image-Transformed` / `Retry-After`.
import type { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import sharp from 'sharp';
import { transformKey, type OutputFormat, type TransformSpec } from './transform-params.ts';

/** Declared content types a transform accepts (API.md: jpeg, png, webp, gif, tiff, avif). */
export const TRANSFORMABLE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/tiff', 'image/avif'] as const;

type InputFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';

const OUTPUT_TYPES: Record<OutputFormat, string> = { webp: 'image/webp', jpeg: 'image/jpeg', png: 'image/png', avif: 'image/avif' };

/** The object is not a transformable image: `unsupported_type` (declared type) → 415; the others → 400. */
export class NotAnImageError extends Error {
  constructor(
    readonly reason: 'unsupported_type' | 'not_an_image' | 'undecodable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NotAnImageError';
  }
}

/** Input (or planned output) over the caps; found from the header, before decoding. */
export class ImageTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageTooLargeError';
  }
}

/** No transform slot free within the wait: 503 with `Retry-After: retryAfterSeconds`. */
export class TransformBusyError extends Error {
  constructor(
    readonly reason: 'queue_full' | 'wait_timeout',
    readonly retryAfterSeconds: number,
  ) {
    super(reason === 'queue_full' ? 'too many image transforms are waiting' : 'no image transform slot became free in time');
    this.name = 'TransformBusyError';
  }
}

export interface ImageTransformerOptions {
  /** `storage.transforms.max_pixels` (default 16 000 000): largest input, width × height. */
  maxPixels?: number;
  /** Widest and tallest input (default 4096 each). */
  maxInputWidth?: number;
  maxInputHeight?: number;
  /** `storage.transforms.max_width|max_height` (default 4096): the planned output may not exceed them (fit=outside and one-sided resizes of thin images could). */
  maxOutputWidth?: number;
  maxOutputHeight?: number;
  /** Largest input object read into memory (default 64 MiB). */
  maxInputBytes?: number;
  /** `storage.transforms.concurrency` (default 4): transforms running at once. */
  concurrency?: number;
  /** Transforms waiting for a slot (default 2 × concurrency); beyond it a call fails at once. */
  maxQueue?: number;
  /** How long a call waits for a slot, ms (default 2000). */
  queueTimeoutMs?: number;
  /** `Retry-After` of a busy answer, seconds (default 1). */
  retryAfterSeconds?: number;
  /** Result cache size in bytes of output (default 64 MiB); 0 disables it. */
  cacheBytes?: number;
  /**
   * libvips threads per image (default 1), set process-wide with sharp.concurrency(). With
   * one thread per image, `concurrency` is the number of cores transforms may use, and
   * `concurrency` is best kept below UV_THREADPOOL_SIZE (4) so file and DNS work still runs.
   */
  vipsThreadsPerImage?: number;
}

export interface TransformResult {
  body: Buffer;
  contentType: string;
  cacheHit: boolean;
}

export interface TransformerStats {
  hits: number;
  misses: number;
  cacheEntries: number;
  cacheBytes: number;
  active: number;
  waiting: number;
  busyRejections: number;
}

/** The input: bytes, a stream (the transformer consumes or destroys it) or a way to open one only when needed (not on a cache hit). */
export type TransformInput = Buffer | Readable | (() => Promise<Buffer | Readable>);

interface CachedImage {
  body: Buffer;
  contentType: string;
}

export class ImageTransformer {
  readonly limiter: TransformLimiter;
  readonly #cache: LRUCache<string, CachedImage> | undefined;
  readonly #inflight = new Map<string, Promise<CachedImage>>();
  readonly #caps: Required<Pick<ImageTransformerOptions, 'maxPixels' | 'maxInputWidth' | 'maxInputHeight' | 'maxOutputWidth' | 'maxOutputHeight' | 'maxInputBytes'>>;
  #hits = 0;
  #misses = 0;

  constructor(options: ImageTransformerOptions = {}) {
    const concurrency = options.concurrency ?? 4;
    this.limiter = new TransformLimiter(concurrency, options.maxQueue ?? 2 * concurrency, options.queueTimeoutMs ?? 2000, options.retryAfterSeconds ?? 1);
    this.#caps = {
      maxPixels: options.maxPixels ?? 16_000_000,
      maxInputWidth: options.maxInputWidth ?? 4096,
      maxInputHeight: options.maxInputHeight ?? 4096,
      maxOutputWidth: options.maxOutputWidth ?? 4096,
      maxOutputHeight: options.maxOutputHeight ?? 4096,
      maxInputBytes: options.maxInputBytes ?? 64 * 1024 * 1024,
    };
    const cacheBytes = options.cacheBytes ?? 64 * 1024 * 1024;
    if (cacheBytes > 0) this.#cache = new LRUCache({ maxSize: cacheBytes, sizeCalculation: (v) => Math.max(1, v.body.length) });
    sharp.concurrency(options.vipsThreadsPerImage ?? 1);
  }

  /**
   * Transforms one image. `cacheKey` names the object's identity and version (e.g.
   * `${bucket}/${key}#${etag}`); the spec is appended to it. The returned body may be shared
   * with other callers: do not modify it.
   */
  async transform(input: TransformInput, inputContentType: string, spec: TransformSpec, cacheKey: string): Promise<TransformResult> {
    const key = `${cacheKey}\n${transformKey(spec)}`;
    const cached = this.#cache?.get(key);
    if (cached) {
      this.#hits++;
      discard(input);
      return { ...cached, cacheHit: true };
    }
    this.#misses++;
    const running = this.#inflight.get(key);
    if (running) {
      discard(input);
      return { ...(await running), cacheHit: false };
    }
    const work = this.#run(input, inputContentType, spec).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, work);
    const result = await work;
    this.#cache?.set(key, result);
    return { ...result, cacheHit: false };
  }

  stats(): TransformerStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      cacheEntries: this.#cache?.size ?? 0,
      cacheBytes: this.#cache?.calculatedSize ?? 0,
      active: this.limiter.active,
      waiting: this.limiter.waiting,
      busyRejections: this.limiter.rejections,
    };
  }

  async #run(input: TransformInput, inputContentType: string, spec: TransformSpec): Promise<CachedImage> {
    const declared = inputContentType.split(';')[0]!.trim().toLowerCase();
    if (!(TRANSFORMABLE_TYPES as readonly string[]).includes(declared)) {
      discard(input);
      throw new NotAnImageError('unsupported_type', `cannot transform ${declared || 'an object without a content type'}; transforms accept ${TRANSFORMABLE_TYPES.join(', ')}`);
    }
    let release: () => void;
    try {
      release = await this.limiter.acquire();
    } catch (error) {
      discard(input);
      throw error;
    }
    try {
      const bytes = await readInput(input, this.#caps.maxInputBytes);
      const sniffed = sniffFormat(bytes);
      if (!sniffed) throw new NotAnImageError('not_an_image', 'the object is not a jpeg, png, webp, gif, tiff or avif image');
      const { width, height } = await this.#checkHeader(bytes);
      checkPlannedOutput(width, height, spec, this.#caps.maxOutputWidth, this.#caps.maxOutputHeight);
      return await this.#encode(bytes, sniffed, spec);
    } finally {
      release();
    }
  }

  /** Reads only the header (sharp metadata) and refuses oversized images before any pixel is decoded. */
  async #checkHeader(bytes: Buffer): Promise<{ width: number; height: number }> {
    const { maxPixels, maxInputWidth, maxInputHeight } = this.#caps;
    const meta = await sharp(bytes, { limitInputPixels: maxPixels }).metadata().catch((error: unknown) => {
      throw sharpError(error);
    });
    if (meta.format === 'heif' && meta.compression !== 'av1') throw new NotAnImageError('not_an_image', 'HEIC images are not transformable');
    const w = meta.width ?? 0;
    const h = meta.height ?? 0;
    const [width, height] = (meta.orientation ?? 1) >= 5 ? [h, w] : [w, h];
    if (width > maxInputWidth || height > maxInputHeight || width * height > maxPixels) {
      throw new ImageTooLargeError(`the image is ${width}×${height}; transforms accept up to ${maxInputWidth}×${maxInputHeight} and ${maxPixels} pixels`);
    }
    return { width, height };
  }

  async #encode(bytes: Buffer, inputFormat: InputFormat, spec: TransformSpec): Promise<CachedImage> {
    const format = spec.format ?? defaultOutput(inputFormat);
    let pipeline = sharp(bytes, { limitInputPixels: this.#caps.maxPixels }).rotate();
    if (spec.width !== undefined || spec.height !== undefined) {
      pipeline = pipeline.resize({ width: spec.width, height: spec.height, fit: spec.fit ?? 'cover', background: { r: 0, g: 0, b: 0, alpha: 0 } });
    }
    switch (format) {
      case 'jpeg':
        pipeline = pipeline.jpeg({ quality: spec.quality });
        break;
      case 'webp':
        pipeline = pipeline.webp({ quality: spec.quality });
        break;
      case 'avif':
        pipeline = pipeline.avif({ quality: spec.quality });
        break;
      case 'png':
        pipeline = pipeline.png();
        break;
      default:
        return assertNever(format);
    }
    const body = await pipeline.toBuffer().catch((error: unknown) => {
      throw sharpError(error);
    });
    return { body, contentType: OUTPUT_TYPES[format] };
  }
}

/**
 * A counting semaphore with a bounded FIFO of waiters, each waiting at most `timeoutMs`.
 * Exposed so metrics can read `active` / `waiting` (and tests can hold a slot).
 */
export class TransformLimiter {
  #active = 0;
  #rejections = 0;
  readonly #waiters: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly maxQueue: number,
    readonly timeoutMs: number,
    readonly retryAfterSeconds: number,
  ) {}

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  get rejections(): number {
    return this.#rejections;
  }

  /** Resolves with a release function (idempotent), or rejects with TransformBusyError. */
  acquire(): Promise<() => void> {
    if (this.#active < this.concurrency && this.#waiters.length === 0) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiters.length >= this.maxQueue) {
      this.#rejections++;
      return Promise.reject(new TransformBusyError('queue_full', this.retryAfterSeconds));
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(this.#releaser());
      };
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(grant);
        if (at >= 0) this.#waiters.splice(at, 1);
        this.#rejections++;
        reject(new TransformBusyError('wait_timeout', this.retryAfterSeconds));
      }, this.timeoutMs);
      timer.unref?.();
      this.#waiters.push(grant);
    });
  }

  /** Held slots pass straight to the next waiter, so `active` never dips while one waits. */
  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next();
      else this.#active--;
    };
  }
}

/** The output size sharp will produce (rounded up), refused when over the output caps. */
function checkPlannedOutput(width: number, height: number, spec: TransformSpec, maxWidth: number, maxHeight: number): void {
  let outW = width;
  let outH = height;
  if (spec.width !== undefined && spec.height !== undefined) {
    if (spec.fit === 'inside' || spec.fit === 'outside') {
      const pick = spec.fit === 'inside' ? Math.min : Math.max;
      const scale = pick(spec.width / width, spec.height / height);
      outW = Math.ceil(width * scale);
      outH = Math.ceil(height * scale);
    } else {
      outW = spec.width;
      outH = spec.height;
    }
  } else if (spec.width !== undefined) {
    outW = spec.width;
    outH = Math.ceil((height * spec.width) / width);
  } else if (spec.height !== undefined) {
    outH = spec.height;
    outW = Math.ceil((width * spec.height) / height);
  }
  if (outW > maxWidth || outH > maxHeight) {
    throw new ImageTooLargeError(`the transformed image would be ${outW}×${outH}; the output may be at most ${maxWidth}×${maxHeight}`);
  }
}

/** Enough of the head of a file for sniffFormat (an ISO-BMFF `ftyp` box lists its brands early). */
const SNIFF_BYTES = 256;

/** Formats by magic bytes, so no other libvips loader (SVG, PDF, …) ever sees the input. */
function sniffFormat(b: Buffer): InputFormat | undefined {
  const at = (offset: number, text: string) => b.length >= offset + text.length && b.toString('latin1', offset, offset + text.length) === text;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (at(0, '\x89PNG\r\n\x1a\n')) return 'png';
  if (at(0, 'GIF87a') || at(0, 'GIF89a')) return 'gif';
  if (at(0, 'RIFF') && at(8, 'WEBP')) return 'webp';
  if (at(0, 'II*\0') || at(0, 'MM\0*')) return 'tiff';
  if (at(4, 'ftyp')) {
    const boxSize = Math.min(b.readUInt32BE(0), b.length, SNIFF_BYTES);
    for (let i = 8; i + 4 <= boxSize; i += 4) {
      if (i !== 12 && (at(i, 'avif') || at(i, 'avis'))) return 'avif';
    }
  }
  return undefined;
}

/** Inputs without an allowed output format of their own become png. */
function defaultOutput(input: InputFormat): OutputFormat {
  return input === 'gif' || input === 'tiff' ? 'png' : input;
}

function sharpError(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new ImageTooLargeError('the image is larger than the transform pixel limit');
  return new NotAnImageError('undecodable', 'the image could not be decoded', { cause: error });
}

async function readInput(input: TransformInput, maxBytes: number): Promise<Buffer> {
  const source = typeof input === 'function' ? await input() : input;
  if (Buffer.isBuffer(source)) {
    if (source.length > maxBytes) throw new ImageTooLargeError(`the image is larger than ${maxBytes} bytes`);
    return source;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  let sniffed = false;
  for await (const chunk of source) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    total += buf.length;
    if (total > maxBytes) throw new ImageTooLargeError(`the image is larger than ${maxBytes} bytes`);
    chunks.push(buf);
    if (!sniffed && total >= SNIFF_BYTES) {
      // Not an image: stop reading a large object early (the caller sniffs again and refuses it).
      sniffed = true;
      if (!sniffFormat(Buffer.concat(chunks, total))) break;
    }
  }
  return Buffer.concat(chunks, total);
}

function discard(input: TransformInput): void {
  if (typeof input !== 'function' && !Buffer.isBuffer(input)) input.destroy();
}

function assertNever(value: never): never {
  throw new Error(`unexpected output format ${String(value)}`);
}
