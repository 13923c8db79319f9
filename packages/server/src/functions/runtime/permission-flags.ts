// Deno command-line flags for one invocation. Everything not granted stays denied
// (run, ffi, sys, import from disk beyond the module graph); --no-prompt turns a missing
// grant into a NotCapable error instead of a prompt.
import type { FunctionLimits, FunctionPermissions } from './types.ts';

export function denoArgs(permissions: FunctionPermissions, limits: FunctionLimits, responsePath: string, bootstrapPath: string): string[] {
  const args = ['run', '--no-prompt', '--quiet', '--no-config', '--no-lock', '--no-check', `--v8-flags=--max-old-space-size=${Math.max(1, Math.floor(limits.memoryMb))}`];
  if (permissions.net === true) args.push('--allow-net');
  else if (Array.isArray(permissions.net) && permissions.net.length > 0) args.push(`--allow-net=${permissions.net.map(checkedListItem).join(',')}`);
  if (permissions.env.length > 0) args.push(`--allow-env=${permissions.env.map(checkedListItem).join(',')}`);
  if (permissions.read) args.push('--allow-read');
  // The bootstrap needs to open its response file; it revokes this grant before user code runs.
  args.push(permissions.write ? '--allow-write' : `--allow-write=${responsePath}`);
  args.push(bootstrapPath);
  return args;
}

function checkedListItem(item: string): string {
  if (item.length === 0 || /[,\s]/.test(item)) throw new Error(`invalid permission list entry ${JSON.stringify(item)}`);
  return item;
}
