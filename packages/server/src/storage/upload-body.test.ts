import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { guessType, multipartUploads, rawUpload, streamUpload, type UploadSource } from './upload-body.ts';

async function form(parts: [string, string | Blob, string?][]): Promise<{ headers: Record<string, string>; body: Readable }> {
  const fd = new FormData();
  for (const [k, v, name] of parts) if (typeof v === 'string') fd.append(k, v); else fd.append(k, v, name);
  const req = new Request('http://x/', { method: 'POST', body: fd });
  const bytes = Buffer.from(await req.arrayBuffer());
  return { headers: { 'content-type': req.headers.get('content-type')! }, body: Readable.from([bytes]) };
}

async function collect(headers: Record<string, string>, body: Readable, fields = ['file'], max = 1) {
  const got: (Omit<UploadSource, 'body'> & { text: string })[] = [];
  await multipartUploads(headers, body, fields, max, async (s) => {
    const chunks: Buffer[] = [];
    for await (const c of s.body) chunks.push(c as Buffer);
    const { body: _b, fields: _f, ...rest } = s;
    got.push({ ...rest, text: Buffer.concat(chunks).toString() });
  });
  return got;
}

describe('upload bodies', () => {
  it('reads a multipart file with the fields sent before it', async () => {
    const { headers, body } = await form([
      ['content_type', 'text/markdown'], ['cache_control', 'max-age=60'], ['metadata', '{"a":1}'], ['metadata_b', 'two'], ['upsert', 'true'],
      ['file', new Blob(['hello']), 'note.txt'],
    ]);
    expect(await collect(headers, body)).toEqual([{
      contentType: 'text/markdown', cacheControl: 'max-age=60', metadata: { a: 1, b: 'two' }, upsert: true, fileName: 'note.txt', text: 'hello',
    }]);
  });

  it('guesses the type from the part, then the file name', async () => {
    const { headers, body } = await form([['file', new Blob(['x'], { type: 'image/png' }), 'a.bin']]);
    expect((await collect(headers, body))[0]!.contentType).toBe('image/png');
    const other = await form([['file', new Blob(['x']), 'photo.jpg']]);
    expect((await collect(other.headers, other.body))[0]!.contentType).toBe('image/jpeg');
  });

  it('reads several files in order on the multi-file route', async () => {
    const { headers, body } = await form([['files', new Blob(['1']), 'a.txt'], ['files', new Blob(['22']), 'b.txt']]);
    expect((await collect(headers, body, ['files'], 10)).map((f) => [f.fileName, f.text])).toEqual([['a.txt', '1'], ['b.txt', '22']]);
  });

  it.each([
    ['no file', [['note', 'x']], /file is required/],
    ['a wrong file field', [['upload', new Blob(['x']), 'a.txt']], /upload is not a file field here/],
    ['metadata not JSON', [['metadata', '{nope'], ['file', new Blob(['x']), 'a.txt']], /metadata must be a JSON object/],
    ['metadata an array', [['metadata', '[1]'], ['file', new Blob(['x']), 'a.txt']], /metadata must be a JSON object/],
    ['a bad upsert', [['upsert', 'maybe'], ['file', new Blob(['x']), 'a.txt']], /upsert must be true or false/],
  ] as [string, [string, string | Blob, string?][], RegExp][])('refuses %s', async (_n, parts, message) => {
    const { headers, body } = await form(parts);
    await expect(collect(headers, body)).rejects.toThrow(message);
  });

  it('refuses more files than allowed and a malformed body', async () => {
    const { headers, body } = await form([['files', new Blob(['1']), 'a'], ['files', new Blob(['2']), 'b']]);
    await expect(collect(headers, body, ['files'], 1)).rejects.toThrow(/At most 1 files/);
    await expect(collect({ 'content-type': 'multipart/form-data' }, Readable.from([Buffer.from('x')]))).rejects.toThrow(/multipart body/);
  });

  it('describes raw and stream-route bodies from their headers', () => {
    const body = Readable.from([]);
    expect(rawUpload({ 'content-type': 'application/pdf; charset=x', 'x-upsert': 'true', 'cache-control': 'no-cache' }, body, 'a.bin')).toMatchObject({ contentType: 'application/pdf', upsert: true, cacheControl: 'no-cache' });
    expect(rawUpload({}, body, 'a.png').contentType).toBe('image/png');
    expect(streamUpload({ 'x-storage-content-type': 'text/csv', 'x-storage-metadata': '{"k":"v"}', 'x-storage-upsert': 'false' }, body, 'a')).toMatchObject({ contentType: 'text/csv', metadata: { k: 'v' }, upsert: false });
    expect(() => streamUpload({ 'x-storage-metadata': 'nope' }, body, 'a')).toThrow(/X-Storage-Metadata must be a JSON object/);
    expect(guessType('noext')).toBe('application/octet-stream');
  });
});
