// A functions folder on disk (docs/functions.md), as `fluxbase functions deploy <dir>` and
// a server's `functions.dir` read it. Two layouts, as upstream:
//   <dir>/<name>.ts | .js          one file is one function;
//   <dir>/<name>/index.ts | .js    a folder whose index is the entry and may import its
//                                  own files (hasLocalImports: the code must be bundled).
// Skipped: names starting with `_` or `.` (`_shared/`, `.git`), `node_modules`, tests
// (`*.test.ts`, `*.spec.ts`) and declarations (`*.d.ts`); other files (README.md,
// deno.json) are not functions and are passed over. Unlike upstream, which lets a flat
// file silently win over a folder of the same name and skips folders without an index,
// both are errors here: a function that quietly does not deploy is worse than a message.
// A function whose annotations have errors is reported, not returned, so a typo in
// `// @fluxbase:allow_net false` cannot deploy a function with the network open.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseAnnotations, type AnnotationFields } from './annotations.ts';

/** Function names (and folder/file names) on disk: `^[a-z0-9][a-z0-9_-]{0,62}$`. */
export const FUNCTION_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const FUNCTION_NAME_RULE = 'a function name uses lowercase letters, digits, - and _, starts with a letter or digit and has at most 63 characters';

export interface FolderFunction {
  name: string;
  /** From `// @fluxbase:namespace`; absent means the caller's (default "default"). */
  namespace?: string;
  /** Path of the entry file. */
  file: string;
  /** The function's own folder (folder layout), else undefined. */
  dir?: string;
  /** Source of the entry file. */
  code: string;
  /** The entry imports a relative path (`./x`, `../_shared/x`): it needs bundling before upload. */
  hasLocalImports: boolean;
  fields: AnnotationFields;
}

export interface FolderProblem {
  file: string;
  error: string;
}

export interface LoadedFolder {
  functions: FolderFunction[];
  errors: FolderProblem[];
  /** Ignored upstream annotations (see annotations.ts). */
  warnings: FolderProblem[];
}

const ENTRY_EXTENSIONS = ['.ts', '.js'];

function isSkipped(name: string): boolean {
  return name.startsWith('_') || name.startsWith('.') || name === 'node_modules';
}

function isEntryFile(name: string): boolean {
  const ext = path.extname(name);
  if (!ENTRY_EXTENSIONS.includes(ext)) return false;
  return !/\.(test|spec)\.[tj]s$/.test(name) && !name.endsWith('.d.ts');
}

/** Code with comments blanked (roughly: enough that a commented-out import does not count). */
function withoutComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** True when the code imports or re-exports a relative path, statically or with `import()`. */
export function hasRelativeImport(code: string): boolean {
  return /(?:\bfrom\s*|\bimport\s*\(?\s*)(["'])\.{1,2}\/[^"']*\1/.test(withoutComments(code));
}

async function isDirectory(p: string): Promise<boolean | undefined> {
  try {
    return (await stat(p)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * One function from its entry file. `name` defaults to the file name without extension,
 * or the folder name for an `index.*` entry.
 */
export async function loadFunctionFile(file: string, name?: string): Promise<{ fn?: FolderFunction; errors: FolderProblem[]; warnings: FolderProblem[] }> {
  const base = path.basename(file, path.extname(file));
  const inFolder = base === 'index';
  const fnName = name ?? (inFolder ? path.basename(path.dirname(path.resolve(file))) : base);
  if (!FUNCTION_NAME.test(fnName)) {
    const fix = `rename ${inFolder ? `the folder ${fnName}/` : path.basename(file)}`;
    return { errors: [{ file, error: `"${fnName}" is not a valid function name: ${FUNCTION_NAME_RULE}; ${fix}` }], warnings: [] };
  }
  let code: string;
  try {
    code = await readFile(file, 'utf8');
  } catch (err) {
    return { errors: [{ file, error: `cannot read it: ${(err as Error).message}` }], warnings: [] };
  }
  const { fields, errors, warnings } = parseAnnotations(code);
  const warn = warnings.map((w) => ({ file, error: w }));
  if (errors.length > 0) return { errors: errors.map((e) => ({ file, error: e })), warnings: warn };
  const fn: FolderFunction = {
    name: fnName,
    ...(fields.namespace !== undefined ? { namespace: fields.namespace } : {}),
    file,
    ...(inFolder ? { dir: path.dirname(file) } : {}),
    code,
    hasLocalImports: hasRelativeImport(code),
    fields,
  };
  return { fn, errors: [], warnings: warn };
}

/** The folder's entry (`index.ts` or `index.js`), or a problem. */
async function folderEntry(dir: string, name: string): Promise<string | FolderProblem> {
  const present: string[] = [];
  for (const ext of ENTRY_EXTENSIONS) {
    const p = path.join(dir, `index${ext}`);
    if ((await isDirectory(p)) === false) present.push(p);
  }
  if (present.length === 1) return present[0]!;
  if (present.length === 0) {
    return { file: dir, error: `folder ${name}/ has no index.ts or index.js; add its entry, or rename the folder to _${name} if it holds shared code` };
  }
  return { file: dir, error: `folder ${name}/ has both index.ts and index.js; keep one entry` };
}

/**
 * Every function of a functions folder, sorted by name. A missing folder has none (a new
 * project); unreadable entries and bad names are errors naming the file and the fix.
 */
export async function loadFunctionsFolder(dir: string): Promise<LoadedFolder> {
  const out: LoadedFolder = { functions: [], errors: [], warnings: [] };
  const isDir = await isDirectory(dir);
  if (isDir === undefined) return out;
  if (!isDir) return { ...out, errors: [{ file: dir, error: 'is a file, not a functions folder' }] };

  // name → entry files claiming it, to report a name defined twice
  const entries = new Map<string, string[]>();
  const claim = (name: string, file: string) => entries.set(name, [...(entries.get(name) ?? []), file]);

  for (const entry of (await readdir(dir)).sort()) {
    if (isSkipped(entry)) continue;
    const full = path.join(dir, entry);
    const entryIsDir = await isDirectory(full);
    if (entryIsDir === undefined) continue; // a dangling symlink
    if (entryIsDir) {
      const index = await folderEntry(full, entry);
      if (typeof index === 'string') claim(entry, index);
      else out.errors.push(index);
    } else if (isEntryFile(entry)) {
      claim(path.basename(entry, path.extname(entry)), full);
    }
  }

  for (const [name, files] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (files.length > 1) {
      out.errors.push({ file: files[0]!, error: `function ${name} is defined ${files.length} times (${files.map((f) => path.relative(dir, f)).join(', ')}); keep one` });
      continue;
    }
    const loaded = await loadFunctionFile(files[0]!, name);
    if (loaded.fn) out.functions.push(loaded.fn);
    out.errors.push(...loaded.errors);
    out.warnings.push(...loaded.warnings);
  }
  out.errors.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return out;
}
