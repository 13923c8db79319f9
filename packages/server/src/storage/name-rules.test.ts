// Name rules as a table of [input, result]: accepted names, and refusals with the reason code
// (never a cleaned name).
import { describe, expect, it } from 'vitest';
import { checkBucketName, checkObjectName, type NameErrorCode } from './name-rules.ts';

const long = (n: number, c = 'a') => c.repeat(n);

describe('checkObjectName', () => {
  const accepted = [
    'a', 'file.txt', 'folder/sub/file.png', 'a..b', '..a', 'a..', '.hidden', 'folder/.emptyFolderPlaceholder', '...',
    'name with spaces.txt', 'ünïcødé/日本語.txt', '100%.txt', '50%off/a', 'a%zz', 'share.txt', 'shares/x', 'my-share',
    'a%2eb', 'emoji/😀.png', `${long(255)}/${long(255)}/${long(255)}/${long(255)}`,
    `${long(253)}é`, // a 255-byte segment
  ];
  it.each(accepted)('accepts %j', (name) => {
    expect(checkObjectName(name)).toEqual({ ok: true });
  });

  const refused: [string, unknown, NameErrorCode][] = [
    ['empty', '', 'empty'],
    ['not a string', 42, 'empty'],
    ['dot-dot', '..', 'dot_segment'],
    ['dot', '.', 'dot_segment'],
    ['leading dot-dot', '../etc/passwd', 'dot_segment'],
    ['inner dot-dot', 'a/../b', 'dot_segment'],
    ['trailing dot-dot', 'a/..', 'dot_segment'],
    ['inner dot', 'a/./b', 'dot_segment'],
    ['encoded dot-dot', '%2e%2e/x', 'dot_segment'],
    ['encoded dot-dot, upper case', 'a/%2E%2E/b', 'dot_segment'],
    ['half-encoded dot-dot', 'a/.%2e/b', 'dot_segment'],
    ['double-encoded dot-dot', '%252e%252e/x', 'dot_segment'],
    ['triple-encoded dot-dot', 'a/%25252e%25252e', 'dot_segment'],
    ['encoded slash then dot-dot', 'a%2F..%2Fb', 'dot_segment'],
    ['encoded dot segment', 'a/%2e/b', 'dot_segment'],
    ['backslash dot-dot', '..\\x', 'backslash'],
    ['backslash', 'a\\b', 'backslash'],
    ['encoded backslash dot-dot', 'a/..%5cb', 'backslash'],
    ['double-encoded backslash', 'a%255c..%255cb', 'backslash'],
    ['absolute', '/etc/passwd', 'absolute_path'],
    ['encoded absolute', '%2Fetc/passwd', 'absolute_path'],
    ['double-encoded absolute', '%252Fetc', 'absolute_path'],
    ['drive letter', 'C:/Windows', 'absolute_path'],
    ['NUL', 'a\u0000b', 'control_character'],
    ['encoded NUL', 'a%00b', 'control_character'],
    ['double-encoded NUL', 'a%2500b', 'control_character'],
    ['newline', 'a\nb', 'control_character'],
    ['encoded newline', 'a%0Ab', 'control_character'],
    ['tab', 'a\tb', 'control_character'],
    ['DEL', 'a\u007fb', 'control_character'],
    ['C1 control', 'a\u0085b', 'control_character'],
    ['empty segment', 'a//b', 'empty_segment'],
    ['trailing slash', 'folder/', 'empty_segment'],
    ['encoded empty segment', 'a%2F%2Fb', 'empty_segment'],
    ['over 1,024 bytes', long(1025), 'too_long'],
    ['over 1,024 bytes in UTF-8', `${'é'.repeat(513)}`, 'too_long'],
    ['segment over 255 bytes', `a/${long(256)}`, 'segment_too_long'],
    ['segment over 255 bytes in UTF-8', `${'é'.repeat(128)}`, 'segment_too_long'],
    ['a 256-byte segment', `${long(254)}é`, 'segment_too_long'],
    ['encoded lone dot', '%2e', 'dot_segment'],
    ['lone surrogate', 'a\ud800b', 'invalid_encoding'],
    ['endless encoding', 'a%2525252525252541', 'invalid_encoding'],
    ['reserved share', 'docs/report.pdf/share', 'reserved_name'],
    ['reserved shares', 'shares', 'reserved_name'],
  ];
  it.each(refused)('refuses %s', (_label, name, code) => {
    const r = checkObjectName(name);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.message.length).toBeGreaterThan(20);
    }
  });

  it('never returns a cleaned name, only a verdict', () => {
    expect(Object.keys(checkObjectName('../a'))).toEqual(['ok', 'code', 'message']);
  });
});

describe('checkBucketName', () => {
  it.each(['a', 'avatars', 'my-bucket', 'my_bucket', 'v1.2', '0', 'a'.repeat(63), 'user-uploads'])('accepts %j', (name) => {
    expect(checkBucketName(name)).toEqual({ ok: true });
  });

  const refused: [unknown, NameErrorCode][] = [
    ['', 'empty'], [undefined, 'empty'], ['a'.repeat(64), 'too_long'], ['Avatars', 'invalid_characters'], ['my bucket', 'invalid_characters'],
    ['a/b', 'invalid_characters'], ['.', 'invalid_characters'], ['..', 'invalid_characters'], ['-a', 'invalid_characters'], ['a-', 'invalid_characters'],
    ['a..b', 'dot_segment'], ['é', 'invalid_characters'], ['a%2e', 'invalid_characters'], ['buckets', 'reserved_name'], ['object', 'reserved_name'],
    ['config', 'reserved_name'],
  ];
  it.each(refused)('refuses %j (%s)', (name, code) => {
    expect(checkBucketName(name)).toMatchObject({ ok: false, code });
  });
});

describe('share route names', () => {
  it('refuses a name ending in share/<uuid> (the revoke route) and accepts share/other', () => {
    expect(checkObjectName('a/share/3f1c2b8e-1d2a-4c3b-9e8f-0a1b2c3d4e5f')).toMatchObject({ ok: false, code: 'reserved_name' });
    expect(checkObjectName('a/share/readme.txt')).toEqual({ ok: true });
  });
});
