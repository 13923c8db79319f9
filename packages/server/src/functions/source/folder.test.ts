import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasRelativeImport, loadFunctionFile, loadFunctionsFolder } from './folder.ts';

let dir: string;

function write(files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const full = path.join(dir, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-fnfolder-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadFunctionsFolder', () => {
  it('reads single files and folders, sorted by name, with their annotations', async () => {
    write({
      'zeta.js': 'export default () => new Response("z");\n',
      'hello.ts': '// @fluxbase:allow_unauthenticated\n// @fluxbase:timeout 5\nexport default () => "hi";\n',
      'report/index.ts': '// @fluxbase:namespace billing\nimport { total } from "./lib/total.ts";\nexport default () => total();\n',
      'report/lib/total.ts': 'export const total = () => 1;\n',
      'plain/index.js': 'import x from "npm:left-pad";\nexport default () => x;\n',
    });
    const { functions, errors, warnings } = await loadFunctionsFolder(dir);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(functions.map((f) => [f.name, f.namespace, path.relative(dir, f.file), f.dir && path.relative(dir, f.dir), f.hasLocalImports])).toEqual([
      ['hello', undefined, 'hello.ts', undefined, false],
      ['plain', undefined, 'plain/index.js', 'plain', false],
      ['report', 'billing', 'report/index.ts', 'report', true],
      ['zeta', undefined, 'zeta.js', undefined, false],
    ]);
    expect(functions[0]!.fields).toEqual({ allow_unauthenticated: true, timeout_seconds: 5 });
    expect(functions[0]!.code).toContain('export default () => "hi"');
    expect(functions[2]!.fields).toEqual({ namespace: 'billing' });
  });

  it('skips _ and . names, node_modules, tests, declarations and other files', async () => {
    write({
      '_shared/cors.ts': 'export {};', '_draft.ts': 'x', '.hidden.ts': 'x', '.git/index.ts': 'x', 'node_modules/pkg/index.js': 'x',
      'hello.test.ts': 'x', 'hello.spec.js': 'x', 'types.d.ts': 'x', 'README.md': '# hi', 'deno.json': '{}',
      'ok.ts': 'export default () => 1;',
    });
    const r = await loadFunctionsFolder(dir);
    expect(r.functions.map((f) => f.name)).toEqual(['ok']);
    expect(r.errors).toEqual([]);
  });

  it('answers a missing folder with nothing, and a file with an error', async () => {
    expect(await loadFunctionsFolder(path.join(dir, 'nope'))).toEqual({ functions: [], errors: [], warnings: [] });
    write({ 'f.ts': 'x' });
    expect((await loadFunctionsFolder(path.join(dir, 'f.ts'))).errors).toEqual([{ file: path.join(dir, 'f.ts'), error: 'is a file, not a functions folder' }]);
  });

  it.each([
    ['an upper-case name', { 'Hello.ts': 'x' }, 'Hello.ts', '"Hello" is not a valid function name: a function name uses lowercase letters, digits, - and _, starts with a letter or digit and has at most 63 characters; rename Hello.ts'],
    ['a folder with a bad name', { 'my fn/index.ts': 'x' }, 'my fn/index.ts', '"my fn" is not a valid function name: a function name uses lowercase letters, digits, - and _, starts with a letter or digit and has at most 63 characters; rename the folder my fn/'],
    ['a name too long', { [`${'a'.repeat(64)}.ts`]: 'x' }, `${'a'.repeat(64)}.ts`, 'is not a valid function name'],
    ['a folder without an index', { 'lib/util.ts': 'x' }, 'lib', 'folder lib/ has no index.ts or index.js; add its entry, or rename the folder to _lib if it holds shared code'],
    ['a folder with two entries', { 'two/index.ts': 'x', 'two/index.js': 'x' }, 'two', 'folder two/ has both index.ts and index.js; keep one entry'],
    ['a file and a folder of one name', { 'dup.ts': 'x', 'dup/index.ts': 'x' }, 'dup/index.ts', 'function dup is defined 2 times (dup/index.ts, dup.ts); keep one'],
    ['a .ts and a .js of one name', { 'dup.js': 'x', 'dup.ts': 'x' }, 'dup.js', 'function dup is defined 2 times (dup.js, dup.ts); keep one'],
    ['a bad annotation', { 'bad.ts': '\n// @fluxbase:timeout soon\n' }, 'bad.ts', 'line 2: @fluxbase:timeout takes a whole number above 0 (got "soon")'],
  ])('reports %s, naming the file and the fix, and leaves the function out', async (_name, files, file, error) => {
    write({ ...files, 'good.ts': 'export default () => 1;' });
    const r = await loadFunctionsFolder(dir);
    expect(r.functions.map((f) => f.name)).toEqual(['good']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.file).toBe(path.join(dir, file));
    expect(r.errors[0]!.error).toContain(error);
  });

  it('passes on warnings for ignored upstream annotations and keeps the function', async () => {
    write({ 'pub.ts': '// @fluxbase:public\nexport default () => 1;' });
    const r = await loadFunctionsFolder(dir);
    expect(r.functions.map((f) => f.name)).toEqual(['pub']);
    expect(r.warnings).toEqual([{ file: path.join(dir, 'pub.ts'), error: expect.stringContaining('line 1: @fluxbase:public is ignored') }]);
  });
});

describe('loadFunctionFile', () => {
  it('names a function after its file, or its folder for an index', async () => {
    write({ 'send-mail.ts': 'export default () => 1;', 'digest/index.ts': 'export * from "../_shared/x.ts";' });
    expect((await loadFunctionFile(path.join(dir, 'send-mail.ts'))).fn).toMatchObject({ name: 'send-mail', hasLocalImports: false });
    expect((await loadFunctionFile(path.join(dir, 'digest/index.ts'))).fn).toMatchObject({ name: 'digest', dir: path.join(dir, 'digest'), hasLocalImports: true });
  });

  it('reports an unreadable file', async () => {
    const r = await loadFunctionFile(path.join(dir, 'gone.ts'));
    expect(r.fn).toBeUndefined();
    expect(r.errors[0]!.error).toMatch(/^cannot read it: ENOENT/);
  });
});

describe('hasRelativeImport', () => {
  it.each([
    ['import { a } from "./a.ts";', true],
    ["import a from '../_shared/a.ts'", true],
    ['export * from "./lib/x.ts";', true],
    ['import "./side-effect.ts";', true],
    ['const m = await import("./lazy.ts");', true],
    ['import { serve } from "https://deno.land/std/http/server.ts";', false],
    ['import pad from "npm:left-pad";', false],
    ['// import a from "./a.ts";', false],
    ['/* import a from "./a.ts"; */', false],
    ['const path = "./not-an-import.ts";', false],
  ])('%s → %s', (code, expected) => {
    expect(hasRelativeImport(code)).toBe(expected);
  });
});
