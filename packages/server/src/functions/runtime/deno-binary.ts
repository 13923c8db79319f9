// Finds the Deno executable installed by the `deno` npm package, never PATH and never a
// download: the platform package (@deno/<os>-<arch>[-glibc]) holds the binary; the
// `deno` package's postinstall (allowed in the root package.json allowScripts) only
// hard-links it into node_modules/deno/deno, which is tried first.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

function platformPackage(): string {
  const arch = process.arch;
  if (process.platform === 'linux') return `@deno/linux-${arch}-glibc`;
  return `@deno/${process.platform}-${arch}`;
}

export function resolveDenoBinary(): string {
  const require = createRequire(import.meta.url);
  const exe = process.platform === 'win32' ? 'deno.exe' : 'deno';
  const denoDir = dirname(require.resolve('deno/package.json'));
  const linked = join(denoDir, exe);
  if (existsSync(linked)) return linked;
  const fromDeno = createRequire(join(denoDir, 'package.json'));
  const binary = join(dirname(fromDeno.resolve(`${platformPackage()}/package.json`)), exe);
  if (!existsSync(binary)) throw new Error(`Deno binary not found at ${binary}; reinstall dependencies`);
  return binary;
}
