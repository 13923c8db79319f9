// Exact decimal comparison for `numeric` values, so `x=gt.0.1` on a numeric column agrees
// with PostgreSQL even where doubles would round (0.1 + 0.2 style). NaN sorts above
// everything and equals itself, as in PostgreSQL.

export type Decimal =
  | { kind: 'nan' }
  | { kind: 'inf'; sign: 1 | -1 }
  /** value = sign × 0.digits × 10^exp; digits has no leading or trailing zeros ('' for zero). */
  | { kind: 'num'; sign: -1 | 0 | 1; digits: string; exp: number };

const NUMBER = /^[ \t\n\r\v\f]*([+-])?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?[ \t\n\r\v\f]*$/;
const SPECIAL = /^[ \t\n\r\v\f]*(?:(nan)|([+-])?(inf|infinity))[ \t\n\r\v\f]*$/i;
/** Exponents beyond this are refused rather than modelled (PostgreSQL's own limits are wider). */
const MAX_EXP = 1000;

export function parseDecimal(text: string): Decimal | undefined {
  const special = SPECIAL.exec(text);
  if (special) return special[1] ? { kind: 'nan' } : { kind: 'inf', sign: special[2] === '-' ? -1 : 1 };
  const m = NUMBER.exec(text);
  if (!m) return undefined;
  const int = m[2] ?? '';
  const frac = m[3] ?? m[4] ?? '';
  const e = m[5] !== undefined ? Number(m[5]) : 0;
  if (!Number.isSafeInteger(e) || Math.abs(e) > MAX_EXP) return undefined;
  const all = int + frac;
  const lead = all.length - all.replace(/^0+/, '').length;
  const digits = all.slice(lead).replace(/0+$/, '');
  if (digits === '') return { kind: 'num', sign: 0, digits: '', exp: 0 };
  return { kind: 'num', sign: m[1] === '-' ? -1 : 1, digits, exp: int.length - lead + e };
}

export function decimalFromNumber(n: number): Decimal {
  if (Number.isNaN(n)) return { kind: 'nan' };
  if (!Number.isFinite(n)) return { kind: 'inf', sign: n > 0 ? 1 : -1 };
  return parseDecimal(String(n)) as Decimal;
}

/** Rank on the line -inf < finite < +inf < NaN. */
const rank = (d: Decimal): number => (d.kind === 'nan' ? 3 : d.kind === 'inf' ? (d.sign > 0 ? 2 : 0) : 1);

function compareMagnitude(a: { digits: string; exp: number }, b: { digits: string; exp: number }): number {
  if (a.exp !== b.exp) return a.exp > b.exp ? 1 : -1;
  const n = Math.max(a.digits.length, b.digits.length);
  const x = a.digits.padEnd(n, '0');
  const y = b.digits.padEnd(n, '0');
  return x === y ? 0 : x > y ? 1 : -1;
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra > rb ? 1 : -1;
  if (a.kind !== 'num' || b.kind !== 'num') return 0;
  if (a.sign !== b.sign) return a.sign > b.sign ? 1 : -1;
  if (a.sign === 0) return 0;
  const m = compareMagnitude(a, b);
  return a.sign > 0 ? m : -m;
}

/** Plain decimal text of a number, without exponent (how PostgreSQL prints a jsonb number). */
export function plainNumberText(n: number): string {
  const d = decimalFromNumber(n);
  if (d.kind !== 'num') return String(n);
  if (d.sign === 0) return '0';
  const sign = d.sign < 0 ? '-' : '';
  if (d.exp <= 0) return `${sign}0.${'0'.repeat(-d.exp)}${d.digits}`;
  if (d.exp >= d.digits.length) return `${sign}${d.digits}${'0'.repeat(d.exp - d.digits.length)}`;
  return `${sign}${d.digits.slice(0, d.exp)}.${d.digits.slice(d.exp)}`;
}
