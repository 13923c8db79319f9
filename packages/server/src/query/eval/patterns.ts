// LIKE and POSIX regular expressions in memory, with PostgreSQL's meaning under the C
// collation: `%`/`_` and `\` escapes, ASCII-only case folding for ILIKE and `~*`. LIKE uses a
// linear-backtracking matcher; regexes are translated to JavaScript only when the pattern
// uses a subset both engines read alike, and nested quantifiers (ReDoS) are refused.

export class Unsupported extends Error {}

const cps = (s: string): number[] => Array.from(s, (c) => c.codePointAt(0) as number);
const foldAscii = (cp: number): number => (cp >= 65 && cp <= 90 ? cp + 32 : cp);

type LikeToken = -1 /* % */ | -2 /* _ */ | number;

/** A LIKE pattern as tokens (code points, -1 for `%`, -2 for `_`); throws on a trailing `\`. */
export function compileLike(pattern: string, fold: boolean): LikeToken[] {
  const out: LikeToken[] = [];
  const p = cps(pattern);
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as number;
    if (c === 92 /* \ */) {
      if (i + 1 >= p.length) throw new Unsupported('a LIKE pattern must not end with the escape character "\\"');
      const next = p[++i] as number;
      out.push(fold ? foldAscii(next) : next);
    } else if (c === 37 /* % */) {
      if (out[out.length - 1] !== -1) out.push(-1);
    } else if (c === 95 /* _ */) out.push(-2);
    else out.push(fold ? foldAscii(c) : c);
  }
  return out;
}

export function matchLike(tokens: readonly LikeToken[], subject: string, fold: boolean): boolean {
  const s = fold ? cps(subject).map(foldAscii) : cps(subject);
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    const t = tokens[j];
    if (t !== undefined && t !== -1 && (t === -2 || t === s[i])) {
      i++;
      j++;
    } else if (t === -1) {
      star = j++;
      mark = i;
    } else if (star !== -1) {
      j = star + 1;
      i = ++mark;
    } else return false;
  }
  while (tokens[j] === -1) j++;
  return j === tokens.length;
}

const u = (cp: number): string => `\\u{${cp.toString(16)}}`;
const isAsciiAlnum = (ch: string): boolean => /^[A-Za-z0-9]$/.test(ch);
const CLASS_ESCAPES: Record<string, string> = {
  d: '[0-9]', D: '[^0-9]', s: '[ \\t\\n\\r\\f\\v]', S: '[^ \\t\\n\\r\\f\\v]', w: '[A-Za-z0-9_]', W: '[^A-Za-z0-9_]',
};
const CLASS_BODIES: Record<string, string> = { d: '0-9', s: ' \\t\\n\\r\\f\\v', w: 'A-Za-z0-9_' };
const CHAR_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, f: 12, v: 11 };

interface Group { quantified: boolean; alternation: boolean }
type Last = 'none' | 'atom' | 'anchor' | 'quantifier' | Group;

/** Translates an Advanced Regular Expression to a JavaScript regex, or throws Unsupported. */
class RegexTranslator {
  private pos = 0;
  private out = '';
  private readonly p: string[];
  private readonly groups: Group[] = [{ quantified: false, alternation: false }];
  private last: Last = 'none';

  constructor(pattern: string, private readonly icase: boolean) {
    if (pattern.length > 1000) throw new Unsupported('the regular expression is too long to evaluate in memory');
    if (pattern.startsWith('***')) throw new Unsupported('regular expression directors (***) cannot be evaluated in memory');
    this.p = Array.from(pattern);
  }

  private literal(cp: number): string {
    if (this.icase && ((cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122))) {
      const lower = foldAscii(cp);
      return `[${String.fromCodePoint(lower)}${String.fromCodePoint(lower - 32)}]`;
    }
    const ch = String.fromCodePoint(cp);
    return isAsciiAlnum(ch) ? ch : u(cp);
  }

  private quantifier(text: string): void {
    const last = this.last;
    if (last === 'none' || last === 'anchor' || last === 'quantifier') throw new Unsupported('a quantifier must follow something to repeat');
    if (typeof last === 'object' && (last.quantified || last.alternation)) {
      throw new Unsupported('nested quantifiers or quantified alternations cannot be evaluated in memory');
    }
    (this.groups[this.groups.length - 1] as Group).quantified = true;
    this.out += text;
    if (this.p[this.pos] === '?') {
      this.pos++;
      this.out += '?';
    }
    this.last = 'quantifier';
  }

  private bound(): void {
    const m = /^\{(\d{1,3})(?:(,)(\d{0,3}))?\}/.exec(this.p.slice(this.pos - 1, this.pos + 8).join(''));
    if (!m) throw new Unsupported('"{" must start a bound such as {2} or {1,3}');
    const lo = Number(m[1]);
    const hi = m[3] === undefined || m[3] === '' ? undefined : Number(m[3]);
    if (lo > 255 || (hi !== undefined && (hi > 255 || hi < lo))) throw new Unsupported('invalid repetition bound');
    this.pos += m[0].length - 1;
    this.quantifier(m[0]);
  }

  private escape(): void {
    const c = this.p[this.pos++];
    if (c === undefined) throw new Unsupported('a regular expression must not end with "\\"');
    const cls = CLASS_ESCAPES[c];
    if (cls) this.out += cls;
    else if (CHAR_ESCAPES[c] !== undefined) this.out += u(CHAR_ESCAPES[c]);
    else if (!isAsciiAlnum(c)) this.out += this.literal(c.codePointAt(0) as number);
    else throw new Unsupported(`the escape \\${c} cannot be evaluated in memory`);
    this.last = 'atom';
  }

  private classChar(): { cp?: number; body?: string } {
    const c = this.p[this.pos++];
    if (c === undefined) throw new Unsupported('unterminated bracket expression');
    if (c === '[' && /[:.=]/.test(this.p[this.pos] ?? '')) throw new Unsupported('[: :], [. .] and [= =] cannot be evaluated in memory');
    if (c !== '\\') return { cp: c.codePointAt(0) as number };
    const e = this.p[this.pos++];
    if (e === undefined) throw new Unsupported('unterminated bracket expression');
    if (CLASS_BODIES[e]) return { body: CLASS_BODIES[e] };
    if (CHAR_ESCAPES[e] !== undefined) return { cp: CHAR_ESCAPES[e] };
    if (!isAsciiAlnum(e)) return { cp: e.codePointAt(0) as number };
    throw new Unsupported(`the escape \\${e} in a bracket expression cannot be evaluated in memory`);
  }

  private foldRange(lo: number, hi: number): string {
    let extra = '';
    const add = (a: number, b: number, shift: number): void => {
      const x = Math.max(lo, a);
      const y = Math.min(hi, b);
      if (x <= y) extra += `${u(x + shift)}-${u(y + shift)}`;
    };
    if (this.icase) {
      add(97, 122, -32);
      add(65, 90, 32);
    }
    return `${u(lo)}-${u(hi)}${extra}`;
  }

  private bracket(): void {
    let body = '';
    const negated = this.p[this.pos] === '^';
    if (negated) this.pos++;
    let first = true;
    for (;;) {
      if (this.pos >= this.p.length) throw new Unsupported('unterminated bracket expression');
      if (this.p[this.pos] === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      const a = this.classChar();
      if (a.body !== undefined) {
        body += a.body;
        continue;
      }
      const lo = a.cp as number;
      if (this.p[this.pos] === '-' && this.p[this.pos + 1] !== undefined && this.p[this.pos + 1] !== ']') {
        this.pos++;
        const b = this.classChar();
        if (b.cp === undefined || b.cp < lo) throw new Unsupported('invalid range in a bracket expression');
        body += this.foldRange(lo, b.cp);
      } else body += this.foldRange(lo, lo);
    }
    this.out += `[${negated ? '^' : ''}${body}]`;
    this.last = 'atom';
  }

  translate(): RegExp {
    while (this.pos < this.p.length) {
      const c = this.p[this.pos++] as string;
      switch (c) {
        case '\\': this.escape(); break;
        case '[': this.bracket(); break;
        case '(': {
          if (this.p[this.pos] === '?') {
            if (this.p[this.pos + 1] !== ':') throw new Unsupported('lookaround and embedded options cannot be evaluated in memory');
            this.pos += 2;
          }
          this.groups.push({ quantified: false, alternation: false });
          this.out += '(?:';
          this.last = 'none';
          break;
        }
        case ')': {
          if (this.groups.length < 2) throw new Unsupported('unbalanced ")"');
          const g = this.groups.pop() as Group;
          const parent = this.groups[this.groups.length - 1] as Group;
          parent.quantified ||= g.quantified;
          parent.alternation ||= g.alternation;
          this.out += ')';
          this.last = g;
          break;
        }
        case '|': (this.groups[this.groups.length - 1] as Group).alternation = true; this.out += '|'; this.last = 'none'; break;
        case '^': case '$': this.out += c; this.last = 'anchor'; break;
        case '.': this.out += '.'; this.last = 'atom'; break;
        case '*': case '+': case '?': this.quantifier(c); break;
        case '{': this.bound(); break;
        case '}': case ']': throw new Unsupported(`a bare "${c}" cannot be evaluated in memory`);
        default: this.out += this.literal(c.codePointAt(0) as number); this.last = 'atom';
      }
    }
    if (this.groups.length !== 1) throw new Unsupported('unbalanced "("');
    try {
      return new RegExp(this.out, 'su');
    } catch {
      throw new Unsupported('the regular expression cannot be evaluated in memory');
    }
  }
}

/** `~` (icase false) / `~*` (true) pattern → a JavaScript regex with the same matches, or throws Unsupported. */
export function translateRegex(pattern: string, icase: boolean): RegExp {
  return new RegexTranslator(pattern, icase).translate();
}
