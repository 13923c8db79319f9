// Value types of configuration keys. Each accepts the typed YAML form and the string
// form that environment variables carry, and normalises to one runtime representation:
// durations → milliseconds, sizes → bytes, lists → string[], rates → {count, windowMs}.
import { z } from 'zod';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

export function parseDuration(input: string): number | undefined {
  // A bare number is seconds, as docs/configuration.md says (environment values are strings).
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(input);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (DURATION_UNITS[(m[2] ?? 's').toLowerCase()] ?? 1));
}

export function parseSize(input: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(input);
  if (!m) return undefined;
  const bytes = Number(m[1]) * (SIZE_UNITS[(m[2] ?? 'b').toLowerCase()] ?? 1);
  return Number.isSafeInteger(Math.round(bytes)) ? Math.round(bytes) : undefined;
}

/** Human form of a byte count: binary units, one decimal only when not whole ("1.5 MB", "64 KB"). */
export function formatSize(bytes: number): string {
  const units: [string, number][] = [['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024]];
  for (const [name, size] of units) {
    if (bytes >= size) {
      const v = Math.round((bytes / size) * 10) / 10;
      return `${Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1)} ${name}`;
    }
  }
  return `${bytes} bytes`;
}

export interface Rate {
  count: number;
  windowMs: number;
}

export const duration = () =>
  z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
    if (typeof v === 'number') return v * 1000; // bare numbers are seconds
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 500ms, 5m or 1h, got "${v}"` });
      return z.NEVER;
    }
    return ms;
  });

export const size = () =>
  z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
    if (typeof v === 'number') return v;
    const bytes = parseSize(v);
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a size in bytes or like 64KB, 1MB, 5GB, got "${v}"` });
      return z.NEVER;
    }
    return bytes;
  });

export const bool = () =>
  z.union([z.boolean(), z.string()]).transform((v, ctx) => {
    if (typeof v === 'boolean') return v;
    const s = v.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(s)) return true;
    if (['false', '0', 'no', 'off'].includes(s)) return false;
    ctx.addIssue({ code: 'custom', message: `expected true or false, got "${v}"` });
    return z.NEVER;
  });

export const int = (min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `expected an integer from ${min} to ${max}, got "${String(v)}"` });
      return z.NEVER;
    }
    return n;
  });

export const num = (min: number, max: number) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : v.trim() === '' ? NaN : Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `expected a number from ${min} to ${max}, got "${String(v)}"` });
      return z.NEVER;
    }
    return n;
  });

export const str = () => z.string();

export const list = () =>
  z.union([z.array(z.string()), z.string()]).transform((v) =>
    (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0),
  );

export const oneOf = <T extends string>(...values: [T, ...T[]]) => z.enum(values);

export const url = () =>
  z.string().refine((v) => v === '' || URL.canParse(v), { message: 'expected a URL' });

export const rate = () =>
  z.string().transform((v, ctx) => {
    const m = /^\s*(\d+)\s*\/\s*(\d*)\s*(ms|s|m|h|d)\s*$/i.exec(v);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `expected a rate like 100/1m, got "${v}"` });
      return z.NEVER;
    }
    const windowMs = parseDuration(`${m[2] || '1'}${m[3]}`) ?? 0;
    return { count: Number(m[1]), windowMs } satisfies Rate;
  });
