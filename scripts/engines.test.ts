// The Node version the project says it needs is the one its dependencies need: every
// installed package accepts the root `engines.node` range at its lowest version and the
// running Node, so `npm install` on a supported Node prints no EBADENGINE warning.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

function installedEngines(dir: string, out: { name: string; range: string }[] = []): { name: string; range: string }[] {
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    const full = path.join(dir, entry);
    if (entry.startsWith('@')) {
      installedEngines(full, out);
      continue;
    }
    const manifest = path.join(full, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string; engines?: { node?: string } };
      if (pkg.engines?.node) out.push({ name: `${pkg.name}@${pkg.version}`, range: pkg.engines.node });
    }
    const nested = path.join(full, 'node_modules');
    if (existsSync(nested)) installedEngines(nested, out);
  }
  return out;
}

describe('Node version', () => {
  const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const lowest = semver.minVersion(root.engines.node)!;
  const packages = installedEngines(path.join(ROOT, 'node_modules'));

  it(`every installed package accepts the lowest supported Node (${lowest.version}, from engines "${root.engines.node}")`, () => {
    expect(packages.length).toBeGreaterThan(50);
    const refusing = packages.filter((p) => !semver.satisfies(lowest, p.range));
    expect(refusing.map((p) => `${p.name} needs node ${p.range}`)).toEqual([]);
  });

  it(`every installed package accepts the running Node (${process.version})`, () => {
    expect(semver.satisfies(process.version, root.engines.node)).toBe(true);
    const refusing = packages.filter((p) => !semver.satisfies(process.version, p.range));
    expect(refusing.map((p) => `${p.name} needs node ${p.range}`)).toEqual([]);
  });
});
