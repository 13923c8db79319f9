// ImageTransformer against real sharp: images are generated with sharp itself; the busy
// cases hold a slot with a stream the test controls, so nothing depends on timing.
import { PassThrough, Readable } from 'node:stream';
import zlib from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseTransformQuery, type TransformSpec } from '../src/storage/transform-params.ts';
import { ImageTooLargeError, ImageTransformer, NotAnImageError, TransformBusyError } from '../src/storage/transformer.ts';

const limits = { maxWidth: 4096, maxHeight: 4096, defaultQuality: 80 };

function spec(query: Record<string, string>): TransformSpec {
  const parsed = parseTransformQuery(query, limits);
  if (!parsed.ok || !parsed.spec) throw new Error(`bad test spec ${JSON.stringify(query)}`);
  return parsed.spec;
}

function image(width: number, height: number): Sharp {
  return sharp({ create: { width, height, channels: 3, background: '#3366cc', noise: { type: 'gaussian', mean: 128, sigma: 40 } } });
}

/** A PNG whose header says width × height, with a bogus IDAT: decoding it would fail. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(Buffer.concat([Buffer.from(type), data])));
    return Buffer.concat([len, Buffer.from(type), data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.alloc(16))), chunk('IEND', Buffer.alloc(0))]);
}

let png: Buffer;
let jpeg: Buffer;
let webp: Buffer;
let gif: Buffer;
let tiff: Buffer;

beforeAll(async () => {
  png = await image(400, 200).png().toBuffer();
  jpeg = await image(400, 200).jpeg().toBuffer();
  webp = await image(400, 200).webp().toBuffer();
  gif = await image(400, 200).gif().toBuffer();
  tiff = await image(400, 200).tiff().toBuffer();
});

afterEach(() => {
  vi.useRealTimers();
});

async function describeOutput(body: Buffer) {
  const meta = await sharp(body).metadata();
  return { format: meta.format, width: meta.width, height: meta.height };
}

describe('ImageTransformer output', () => {
  const t = new ImageTransformer({ concurrency: 2 });

  it.each([
    ['png → webp, width rounded 120 → 150', () => png, 'image/png', { w: '120', fmt: 'webp' }, { format: 'webp', width: 150, height: 75 }, 'image/webp'],
    ['jpeg keeps jpeg', () => jpeg, 'image/jpeg', { h: '100' }, { format: 'jpeg', width: 200, height: 100 }, 'image/jpeg'],
    ['webp keeps webp', () => webp, 'image/webp', { w: '200' }, { format: 'webp', width: 200, height: 100 }, 'image/webp'],
    ['gif becomes png', () => gif, 'image/gif', { w: '100' }, { format: 'png', width: 100, height: 50 }, 'image/png'],
    ['tiff becomes png', () => tiff, 'image/tiff', { w: '100' }, { format: 'png', width: 100, height: 50 }, 'image/png'],
    ['→ avif', () => png, 'image/png', { w: '50', fmt: 'avif', q: '40' }, { format: 'heif', width: 50, height: 25 }, 'image/avif'],
    ['→ jpeg with content-type parameters', () => png, 'IMAGE/PNG; charset=binary', { fmt: 'jpeg' }, { format: 'jpeg', width: 400, height: 200 }, 'image/jpeg'],
    ['fit cover', () => jpeg, 'image/jpeg', { w: '100', h: '100', fit: 'cover' }, { format: 'jpeg', width: 100, height: 100 }, 'image/jpeg'],
    ['fit contain', () => png, 'image/png', { w: '100', h: '100', fit: 'contain' }, { format: 'png', width: 100, height: 100 }, 'image/png'],
    ['fit fill', () => png, 'image/png', { w: '100', h: '100', fit: 'fill' }, { format: 'png', width: 100, height: 100 }, 'image/png'],
    ['fit inside', () => png, 'image/png', { w: '100', h: '100', fit: 'inside' }, { format: 'png', width: 100, height: 50 }, 'image/png'],
    ['fit outside', () => png, 'image/png', { w: '100', h: '100', fit: 'outside' }, { format: 'png', width: 200, height: 100 }, 'image/png'],
  ] as const)('%s', async (name, input, type, query, expected, contentType) => {
    const result = await t.transform(input(), type, spec(query), `case/${name}`);
    expect(result.contentType).toBe(contentType);
    expect(result.cacheHit).toBe(false);
    expect(await describeOutput(result.body)).toEqual(expected);
  });

  it('fit modes crop, letterbox or stretch', async () => {
    // 400×200: the left quarter red, the rest blue.
    const red = await sharp({ create: { width: 100, height: 200, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const quarters = await sharp({ create: { width: 400, height: 200, channels: 3, background: '#0000ff' } })
      .composite([{ input: red, left: 0, top: 0 }])
      .png()
      .toBuffer();
    const colour = async (fit: string, x: number, y: number) => {
      const { body } = await t.transform(quarters, 'image/png', spec({ w: '100', h: '100', fit, fmt: 'png' }), 'quarters');
      const { data, info } = await sharp(body).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      const [r, , b, a] = data.subarray((y * info.width + x) * 4);
      return a! < 10 ? 'transparent' : r! > 200 && b! < 50 ? 'red' : b! > 200 && r! < 50 ? 'blue' : 'mixed';
    };
    expect(await colour('cover', 10, 50)).toBe('blue'); // centre crop: the red quarter is cut off
    expect(await colour('fill', 10, 50)).toBe('red'); // stretched: red stays at the left
    expect(await colour('contain', 50, 5)).toBe('transparent'); // letterboxed
    expect(await colour('contain', 10, 50)).toBe('red');
  });

  it('lowers jpeg quality into smaller output', async () => {
    const high = await t.transform(png, 'image/png', spec({ fmt: 'jpeg', q: '95' }), 'quality');
    const low = await t.transform(png, 'image/png', spec({ fmt: 'jpeg', q: '10' }), 'quality');
    expect(low.body.length).toBeLessThan(high.body.length);
  });

  it('reads a stream input', async () => {
    const result = await t.transform(Readable.from([jpeg.subarray(0, 100), jpeg.subarray(100)]), 'image/jpeg', spec({ w: '100' }), 'stream');
    expect(await describeOutput(result.body)).toEqual({ format: 'jpeg', width: 100, height: 50 });
  });
});

describe('ImageTransformer cache', () => {
  it('serves the second identical request from the cache without opening the object', async () => {
    const t = new ImageTransformer();
    const s = spec({ w: '100', fmt: 'webp' });
    const first = await t.transform(png, 'image/png', s, 'b/k#etag1');
    const open = vi.fn(async () => png);
    const second = await t.transform(open, 'image/png', s, 'b/k#etag1');
    expect(second.cacheHit).toBe(true);
    expect(second.body).toBe(first.body);
    expect(open).not.toHaveBeenCalled();
    expect(t.stats()).toMatchObject({ hits: 1, misses: 1, cacheEntries: 1, cacheBytes: first.body.length });

    const stream = new PassThrough();
    await t.transform(stream, 'image/png', s, 'b/k#etag1');
    expect(stream.destroyed).toBe(true);

    expect((await t.transform(png, 'image/png', s, 'b/k#etag2')).cacheHit).toBe(false); // new version
    expect((await t.transform(png, 'image/png', spec({ w: '100', fmt: 'png' }), 'b/k#etag1')).cacheHit).toBe(false); // other spec
    expect(t.stats()).toMatchObject({ hits: 2, misses: 3, cacheEntries: 3 });
  });

  it('equal specs from different spellings share an entry', async () => {
    const t = new ImageTransformer();
    await t.transform(png, 'image/png', spec({ w: '101', h: '149' }), 'x');
    const again = await t.transform(png, 'image/png', spec({ width: '150', height: '150', quality: '80', fit: 'cover' }), 'x');
    expect(again.cacheHit).toBe(true);
  });

  it('stays within its byte bound, evicting the least recently used', async () => {
    const probe = await new ImageTransformer().transform(png, 'image/png', spec({ w: '100', fmt: 'png' }), 'probe');
    const bound = Math.floor(probe.body.length * 2.5);
    const t = new ImageTransformer({ cacheBytes: bound });
    for (let i = 0; i < 6; i++) {
      await t.transform(png, 'image/png', spec({ w: '100', fmt: 'png' }), `obj-${i}`);
      expect(t.stats().cacheBytes).toBeLessThanOrEqual(bound);
    }
    expect(t.stats().cacheEntries).toBe(2);
    expect((await t.transform(png, 'image/png', spec({ w: '100', fmt: 'png' }), 'obj-5')).cacheHit).toBe(true);
    expect((await t.transform(png, 'image/png', spec({ w: '100', fmt: 'png' }), 'obj-0')).cacheHit).toBe(false);
  });

  it('does not cache with cacheBytes 0', async () => {
    const t = new ImageTransformer({ cacheBytes: 0 });
    await t.transform(png, 'image/png', spec({ w: '50' }), 'n');
    expect((await t.transform(png, 'image/png', spec({ w: '50' }), 'n')).cacheHit).toBe(false);
  });
});

describe('ImageTransformer refusals', () => {
  const t = new ImageTransformer();

  it.each([
    ['5000 px wide', pngHeaderOnly(5000, 10)],
    ['4000 × 4001 (over 16 Mpx)', pngHeaderOnly(4000, 4001)],
    ['100000 × 100000 (over sharp limitInputPixels)', pngHeaderOnly(100_000, 100_000)],
  ])('refuses %s from the header, without decoding', async (_name, bytes) => {
    // Decoding the bogus IDAT would fail as undecodable; a size error proves it was not attempted.
    await expect(t.transform(bytes, 'image/png', spec({ w: '100' }), 'big')).rejects.toBeInstanceOf(ImageTooLargeError);
  });

  it('refuses a planned output over the maxima (one-sided resize of a thin image)', async () => {
    const thin = await image(1000, 10).png().toBuffer();
    await expect(t.transform(thin, 'image/png', spec({ h: '500' }), 'thin')).rejects.toThrow(/would be 50000×500/);
    await expect(t.transform(thin, 'image/png', spec({ w: '50', h: '500', fit: 'outside' }), 'thin')).rejects.toBeInstanceOf(ImageTooLargeError);
  });

  it('honours smaller configured caps', async () => {
    const small = new ImageTransformer({ maxPixels: 1000, maxOutputWidth: 100, maxOutputHeight: 100 });
    await expect(small.transform(png, 'image/png', spec({ w: '50' }), 'p')).rejects.toBeInstanceOf(ImageTooLargeError);
    const bytes = new ImageTransformer({ maxInputBytes: 100 });
    await expect(bytes.transform(Readable.from([png]), 'image/png', spec({ w: '50' }), 'p')).rejects.toThrow(/larger than 100 bytes/);
  });

  it.each([
    ['a declared type that is not an image', Buffer.from('%PDF-1.7'), 'application/pdf', 'unsupported_type'],
    ['svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), 'image/svg+xml', 'unsupported_type'],
    ['no content type', Buffer.from('x'), '', 'unsupported_type'],
    ['text claiming to be png', Buffer.from('hello, this is not an image at all'), 'image/png', 'not_an_image'],
    ['svg claiming to be png', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), 'image/png', 'not_an_image'],
    ['truncated png', 'truncated', 'image/png', 'undecodable'],
  ])('refuses %s', async (_name, input, type, reason) => {
    const bytes = input === 'truncated' ? png.subarray(0, png.length - 200) : (input as Buffer);
    const error = await t.transform(bytes, type, spec({ w: '100' }), 'bad').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotAnImageError);
    expect((error as NotAnImageError).reason).toBe(reason);
  });

  it('stops reading a large non-image stream early', async () => {
    let produced = 0;
    const stream = new Readable({
      read() {
        produced++;
        this.push(Buffer.alloc(64 * 1024, 0x61));
      },
    });
    await expect(t.transform(stream, 'image/png', spec({ w: '100' }), 'text')).rejects.toBeInstanceOf(NotAnImageError);
    expect(stream.destroyed).toBe(true);
    expect(produced).toBeLessThan(5);
  });

  it('does not open the object for an unsupported type', async () => {
    const open = vi.fn(async () => png);
    await expect(t.transform(open, 'text/plain', spec({ w: '100' }), 'txt')).rejects.toBeInstanceOf(NotAnImageError);
    expect(open).not.toHaveBeenCalled();
  });
});

describe('ImageTransformer concurrency', () => {
  /** Starts a transform whose input stream stays open (holding its slot) until `release`. */
  function held(t: ImageTransformer, key: string) {
    const gate = new PassThrough();
    const result = t.transform(gate, 'image/png', spec({ w: '100' }), key);
    return { result, release: () => gate.end(png) };
  }

  it('refuses at once when the slots are taken and the queue is full, then recovers', async () => {
    const t = new ImageTransformer({ concurrency: 1, maxQueue: 0, retryAfterSeconds: 3 });
    const first = held(t, 'a');
    expect(t.stats().active).toBe(1); // acquired synchronously
    const error = await t.transform(png, 'image/png', spec({ w: '100' }), 'b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransformBusyError);
    expect(error).toMatchObject({ reason: 'queue_full', retryAfterSeconds: 3 });
    expect(t.stats().busyRejections).toBe(1);
    first.release();
    expect((await first.result).contentType).toBe('image/png');
    expect(t.stats().active).toBe(0);
    expect((await t.transform(png, 'image/png', spec({ w: '100' }), 'b')).cacheHit).toBe(false);
  });

  it('queues up to maxQueue and hands the slot over in order', async () => {
    const t = new ImageTransformer({ concurrency: 1, maxQueue: 1 });
    const first = held(t, 'a');
    expect(t.stats().active).toBe(1); // acquired synchronously
    const queued = t.transform(png, 'image/png', spec({ w: '50' }), 'b');
    expect(t.stats().waiting).toBe(1); // queued synchronously
    await expect(t.transform(png, 'image/png', spec({ w: '50' }), 'c')).rejects.toMatchObject({ reason: 'queue_full' });
    first.release();
    expect(await describeOutput((await queued).body)).toMatchObject({ width: 50 });
    await first.result;
    expect(t.stats()).toMatchObject({ active: 0, waiting: 0 });
  });

  it('gives up on a wait longer than queueTimeoutMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const t = new ImageTransformer({ concurrency: 1, maxQueue: 4, queueTimeoutMs: 500 });
    const first = held(t, 'a');
    expect(t.stats().active).toBe(1); // acquired synchronously
    const waiting = t.transform(png, 'image/png', spec({ w: '50' }), 'b').catch((e: unknown) => e);
    expect(t.stats().waiting).toBe(1); // queued synchronously
    vi.advanceTimersByTime(499);
    expect(t.stats().waiting).toBe(1);
    vi.advanceTimersByTime(1);
    expect(await waiting).toMatchObject({ reason: 'wait_timeout', retryAfterSeconds: 1 });
    expect(t.stats().waiting).toBe(0);
    vi.useRealTimers();
    first.release();
    await first.result;
    expect(t.stats().active).toBe(0);
  });

  it('runs identical concurrent requests once', async () => {
    const t = new ImageTransformer({ concurrency: 1, maxQueue: 0 });
    const first = held(t, 'same');
    expect(t.stats().active).toBe(1); // acquired synchronously
    const joiner = new PassThrough();
    const second = t.transform(joiner, 'image/png', spec({ w: '100' }), 'same'); // joins, takes no slot or queue place
    expect(joiner.destroyed).toBe(true);
    first.release();
    const [a, b] = await Promise.all([first.result, second]);
    expect(b.body).toBe(a.body);
  });
});
