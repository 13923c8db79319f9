// Offline module checks (deno check with remote imports stubbed) and bundling of a
// folder function's local imports, against the real `deno` binary. No network.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DenoRuntime } from '../src/functions/runtime/deno-runtime.ts';
import { bundleEntry, checkModule } from '../src/functions/runtime/module-check.ts';

let tmpRoot: string;
let work: string;

beforeAll(() => {
  tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-check-test-'));
  work = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-check-src-'));
});
afterAll(() => {
  rmSync(tmpRoot, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('checkModule', () => {
  it.each([
    ['a plain handler', `export default (req: Request) => new Response(req.method);`],
    ['remote, npm and jsr imports (offline)', [
      `import { serve } from "https://deno.land/std@0.200.0/http/server.ts";`,
      `import { z } from "npm:zod@3";`,
      `import * as path from "jsr:@std/path";`,
      `import type { Foo } from "https://esm.sh/foo";`,
      `export default async (_req: Request) => Response.json({ s: typeof serve, z: typeof z, p: path.join('a'), f: null as Foo | null });`,
    ].join('\n')],
    ['node: builtins and Deno APIs', `import { join } from "node:path";\nexport default () => new Response(join('a', String(Deno.pid)));`],
  ])('accepts %s', async (_name, code) => {
    expect(await checkModule(code, { tmpRoot })).toEqual({ ok: true });
  });

  it('reports a syntax error with its message and position', async () => {
    const r = await checkModule(`export default () => 1;\nconst x = ;\n`, { tmpRoot });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ line: 2, column: 11 });
    expect(r.diagnostics[0]!.message).toMatch(/Expression expected/);
  });

  it('reports a syntax error in a module with remote imports', async () => {
    const r = await checkModule(`import { serve } from "https://deno.land/std/http/server.ts";\nexport default () => serve(;\n`, { tmpRoot });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics[0]).toMatchObject({ line: 2 });
  });

  it('reports a type error with its line, also next to remote imports', async () => {
    const r = await checkModule(`import x from "npm:left-pad";\nexport default () => x;\nconst n: number = 'a';\n`, { tmpRoot });
    expect(r).toEqual({ ok: false, diagnostics: [{ message: "TS2322: Type 'string' is not assignable to type 'number'.", line: 3, column: 7 }] });
  });

  it.each([[''], ['  \n\t ']])('rejects empty code %j', async (code) => {
    expect(await checkModule(code, { tmpRoot })).toEqual({ ok: false, diagnostics: [{ message: 'the function code is empty' }] });
  });

  it('leaves no temp dir behind', () => {
    expect(readdirSync(tmpRoot)).toEqual([]);
  });
});

describe('bundleEntry', () => {
  it('inlines a relative import; the bundle runs in DenoRuntime and returns the helper value', async () => {
    writeFileSync(path.join(work, 'helper.ts'), `export const answer: number = 41 + 1;\nexport function greet(n: string): string { return 'hi ' + n; }\n`);
    const entry = path.join(work, 'index.ts');
    writeFileSync(entry, `import { answer, greet } from './helper.ts';\nimport type { Foo } from 'https://esm.sh/foo';\nexport default (_req: Request) => Response.json({ answer, hi: greet('x'), f: null as Foo | null });\n`);
    const b = await bundleEntry(entry);
    expect(b.ok).toBe(true);
    if (!b.ok) return;
    expect(b.code).not.toMatch(/from ['"]\.\/helper/);
    const runtime = new DenoRuntime({ tmpRoot });
    const r = await runtime.invoke({
      code: b.code,
      request: { method: 'GET', url: 'http://localhost/functions/v1/fn', headers: {} },
      env: {},
      permissions: { net: false, env: [], read: false, write: false },
      limits: { memoryMb: 128, timeoutMs: 10_000, maxOutputBytes: 1024 * 1024 },
    });
    expect(JSON.parse(r.body.toString())).toEqual({ answer: 42, hi: 'hi x', f: null });
  });

  it('keeps remote imports external', async () => {
    const entry = path.join(work, 'remote.ts');
    writeFileSync(entry, `import { serve } from "https://deno.land/std/http/server.ts";\nimport z from "npm:zod";\nexport default () => [serve, z];\n`);
    const b = await bundleEntry(entry);
    expect(b.ok).toBe(true);
    if (b.ok) {
      expect(b.code).toContain('https://deno.land/std/http/server.ts');
      expect(b.code).toContain('npm:zod');
    }
  });

  it('a missing local import is a diagnostic naming it', async () => {
    const entry = path.join(work, 'broken.ts');
    writeFileSync(entry, `import { nope } from './missing.ts';\nexport default () => nope;\n`);
    const b = await bundleEntry(entry);
    expect(b.ok).toBe(false);
    if (b.ok) return;
    expect(b.diagnostics[0]).toMatchObject({ line: 1, file: entry });
    expect(b.diagnostics[0]!.message).toMatch(/Could not resolve "\.\/missing\.ts"/);
  });
});
