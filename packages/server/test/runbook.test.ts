// The operations docs name only what exists (hardening item 5.3): every `fluxbase …`
// command of docs/runbook.md, docs/monitoring.md and docs/deploy.md is a real command or
// subcommand of the real binary (its `--help` answers with its own usage line) and takes
// the `--options` the docs give it; every metric named there, in the alert rules and in the
// Grafana dashboard is served on a live /metrics (or written by `fluxbase backup`); every
// alert has a runbook section, and every link of these docs resolves.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { BACKUP_METRIC_NAMES } from '../src/cli/backup/metrics-file.ts';
import { createMetrics } from '../src/observability/index.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = path.join(ROOT, 'packages/server/bin/fluxbase.js');
const DOCS = ['docs/runbook.md', 'docs/monitoring.md', 'docs/deploy.md'];
const ALERTS = 'deploy/prometheus/alerts.yml';
const ALERT_TESTS = 'deploy/prometheus/alerts.test.yml';
const DASHBOARD = 'deploy/grafana/fluxbase-dashboard.json';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

// ---------------------------------------------------------------------------------------
// Extractors (exported for the negative checks below)

/** A fenced block, also indented (inside a list item); group 1 is its body. */
const FENCE = /^[ \t]*```[^\n]*\n([\s\S]*?)^[ \t]*```/gm;

/** The code of a markdown text: fenced blocks and inline code spans, one string each. */
export function codeOf(markdown: string): string[] {
  const out: string[] = [];
  const prose = markdown.replace(FENCE, (_m, body: string) => {
    out.push(body);
    return '';
  });
  for (const m of prose.matchAll(/`([^`\n]+)`/g)) out.push(m[1]!);
  return out;
}

export interface CliUse {
  /** Command words after `fluxbase` (command, then maybe subcommand or argument). */
  words: string[];
  /** Long options given (`--name`), without values. */
  options: string[];
  /** The command as written, for messages. */
  text: string;
}

const SEPARATORS = new Set(['|', '||', '&&', ';', '&']);

/**
 * The `fluxbase` invocations in some code: the token `fluxbase` at the start of a command
 * (line start, after `npx`, `$(`, a separator or VAR=value assignments), followed by up to
 * two bare words and any options up to the end of the command. `journalctl -u fluxbase`,
 * `fluxbase.yaml` and `fluxbase_…` metric names are not invocations.
 */
export function fluxbaseCommands(code: string): CliUse[] {
  const uses: CliUse[] = [];
  for (const line of code.replace(/\\\n/g, ' ').split('\n')) {
    const tokens = line.trim().split(/\s+/).filter(Boolean);
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!.replace(/^["'`(]*(\$\()?/, '');
      if (token !== 'fluxbase') continue;
      const prev = tokens[i - 1]?.replace(/^["'`(]*(\$\()?/, '');
      const startsCommand = prev === undefined || prev === 'npx' || SEPARATORS.has(prev) || /^["'`]*\$\(/.test(tokens[i]!)
        || tokens.slice(0, i).every((t) => /^[A-Z_][A-Z0-9_]*=/.test(t));
      if (!startsCommand) continue;
      const words: string[] = [];
      const options: string[] = [];
      const rest: string[] = ['fluxbase'];
      for (let j = i + 1; j < tokens.length; j++) {
        const raw = tokens[j]!;
        if (SEPARATORS.has(raw)) break;
        const t = raw.replace(/[)"'`]+$/, '');
        rest.push(t);
        if (options.length === 0 && words.length < 2 && /^[a-z][a-z-]*$/.test(t) && rest.length === words.length + 2) words.push(t);
        const opt = /^--([a-z][a-z0-9-]*)/.exec(t);
        if (opt) options.push(`--${opt[1]}`);
        if (raw !== t && /\)$/.test(raw.replace(/["'`]+$/, ''))) break;
      }
      uses.push({ words, options, text: rest.join(' ') });
    }
  }
  return uses;
}

/** Metric names in a text: fluxbase_*, and the Node.js process metrics (process_*, nodejs_*). */
export function metricNames(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\b(?:fluxbase|process|nodejs)_[a-z0-9_]*[a-z0-9]\b(?!\.[a-z])/g)) names.add(m[0]);
  return [...names].sort();
}

/** The names of `known` that `names` do not match, a histogram's _bucket/_sum/_count series counting as the histogram. */
export function unknownMetrics(names: string[], known: ReadonlySet<string>): string[] {
  return names.filter((n) => !known.has(n) && !known.has(n.replace(/_(bucket|sum|count)$/, '')));
}

/** GitHub's anchor for a heading. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const body = markdown.replace(FENCE, '');
  return new Set([...body.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

// ---------------------------------------------------------------------------------------
// The real CLI

const run = promisify(execFile);
const helpCache = new Map<string, Promise<{ code: number; out: string }>>();

/** `fluxbase <words…> --help`: exit code and output (cached). */
function help(words: string[]): Promise<{ code: number; out: string }> {
  const key = words.join(' ');
  let p = helpCache.get(key);
  if (!p) {
    p = run(process.execPath, [BIN, ...words, '--help'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } })
      .then((r) => ({ code: 0, out: r.stdout + r.stderr }))
      .catch((err: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof err.code === 'number' ? err.code : 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }));
    helpCache.set(key, p);
  }
  return p;
}

const usageOf = (out: string) => /^Usage: (.*)$/m.exec(out)?.[1] ?? '';
const subcommandsOf = (out: string) => {
  const section = /\nCommands:\n([\s\S]*?)(\n\S|$)/.exec(out)?.[1] ?? '';
  return new Set([...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!));
};

/** The command path a use names: [command] or [command, subcommand] (a second word that is not a subcommand is an argument). */
async function commandPath(use: CliUse): Promise<{ path: string[]; problem?: string }> {
  if (use.words.length === 0) return { path: [] };
  const [cmd, sub] = use.words as [string, string | undefined];
  const top = await help([cmd]);
  if (top.code !== 0 || !usageOf(top.out).startsWith(`fluxbase ${cmd} `)) return { path: [cmd], problem: `\`fluxbase ${cmd}\` is not a command (usage: ${usageOf(top.out)})` };
  const subs = subcommandsOf(top.out);
  if (sub === undefined || !subs.size) return { path: [cmd] };
  // The parent's help lists its subcommands; the leaf's own help is needed for its options.
  if (use.options.length === 0) return subs.has(sub) ? { path: [cmd, sub] } : { path: [cmd, sub], problem: `\`fluxbase ${cmd} ${sub}\` is not a subcommand (\`fluxbase ${cmd} --help\` lists ${[...subs].join(', ')})` };
  const leaf = await help([cmd, sub]);
  if (leaf.code !== 0 || !usageOf(leaf.out).startsWith(`fluxbase ${cmd} ${sub} `)) return { path: [cmd, sub], problem: `\`fluxbase ${cmd} ${sub}\` is not a subcommand (usage: ${usageOf(leaf.out)})` };
  return { path: [cmd, sub] };
}

/** Problems of one use: an unknown command or subcommand, or an option none of its help texts lists. */
async function problemsOf(use: CliUse): Promise<string[]> {
  const { path: words, problem } = await commandPath(use);
  if (problem) return [`${use.text}: ${problem}`];
  if (use.options.length === 0) return [];
  const helps = await Promise.all([help([]), ...words.map((_, k) => help(words.slice(0, k + 1)))]);
  const text = helps.map((h) => h.out).join('\n');
  return use.options.filter((o) => !new RegExp(`(^|[\\s,])${o}(?![a-z0-9-])`, 'm').test(text)).map((o) => `${use.text}: \`fluxbase ${words.join(' ')}\` has no option ${o}`);
}

// ---------------------------------------------------------------------------------------

describe('the extractors', () => {
  it('find commands, options and metrics, and nothing else', () => {
    const md = [
      'Run `npx fluxbase service-keys revoke <id> --reason "x"` or `fluxbase keys --env`.',
      '```sh',
      'psql "$(npx fluxbase db url)" -c "select 1"',
      'FLUXBASE_ENCRYPTION_KEY=<new> npx fluxbase encryption-key rotate \\',
      '  --old-key <old> | tee log',
      'journalctl -u fluxbase -n 200; sudo -u fluxbase env A=1 npx fluxbase --version',
      '```',
      'See `fluxbase.yaml` and `fluxbase_backup.prom`; watch `fluxbase_db_pool_connections{state="waiting"}`.',
    ].join('\n');
    const uses = codeOf(md).flatMap(fluxbaseCommands).map((u) => ({ words: u.words, options: u.options }));
    expect(uses).toEqual([
      { words: ['db', 'url'], options: [] },
      { words: ['encryption-key', 'rotate'], options: ['--old-key'] },
      { words: [], options: ['--version'] },
      { words: ['service-keys', 'revoke'], options: ['--reason'] },
      { words: ['keys'], options: ['--env'] },
    ]);
    expect(metricNames(md)).toEqual(['fluxbase_db_pool_connections']);
  });

  it('report a misspelt metric, and accept a histogram series by its histogram', () => {
    const known = new Set(['fluxbase_db_pool_connections', 'fluxbase_http_request_duration_seconds']);
    const names = metricNames('rate(fluxbase_http_request_duration_seconds_bucket[5m]) fluxbase_db_pool_conections fluxbase_db_pool_connections');
    expect(unknownMetrics(names, known)).toEqual(['fluxbase_db_pool_conections']);
  });

  it('report an unknown command, subcommand and option from the real help', async () => {
    const problems = await Promise.all([
      problemsOf({ words: ['service-key', 'list'], options: [], text: 'fluxbase service-key list' }),
      problemsOf({ words: ['service-keys', 'remove'], options: [], text: 'fluxbase service-keys remove' }),
      problemsOf({ words: ['service-keys', 'revoke'], options: ['--why'], text: 'fluxbase service-keys revoke 1 --why x' }),
      problemsOf({ words: ['service-keys', 'revoke'], options: ['--reason'], text: 'fluxbase service-keys revoke 1 --reason x' }),
    ]);
    expect(problems[0]).toEqual([expect.stringContaining('`fluxbase service-key` is not a command')]);
    expect(problems[1]).toEqual([expect.stringContaining('`fluxbase service-keys remove` is not a subcommand')]);
    expect(problems[2]).toEqual([expect.stringContaining('has no option --why')]);
    expect(problems[3]).toEqual([]);
  }, 60_000);

  it('slug headings as GitHub does', () => {
    expect(slug('Rotating `encryption_key`')).toBe('rotating-encryption_key');
    expect(slug('Jobs, webhooks and edge functions')).toBe('jobs-webhooks-and-edge-functions');
  });
});

describe('the fluxbase commands of the operations docs', () => {
  const uses = DOCS.filter((f) => existsSync(path.join(ROOT, f))).flatMap((file) =>
    codeOf(read(file)).flatMap(fluxbaseCommands).map((use) => ({ file, use })));

  it('are many (the extractor works on these docs)', () => {
    expect(uses.filter((u) => u.file === 'docs/runbook.md').length).toBeGreaterThan(30);
  });

  it('exist, with the options given, per the real --help', async () => {
    const problems: string[] = [];
    // A few at a time: each is a node process.
    const queue = [...uses];
    await Promise.all(Array.from({ length: 2 }, async () => {
      for (let u = queue.shift(); u; u = queue.shift()) problems.push(...(await problemsOf(u.use)).map((p) => `${u.file}: ${p}`));
    }));
    expect(problems).toEqual([]);
  }, 240_000);

  it('include the runbook\'s security and maintenance commands', () => {
    const texts = uses.filter((u) => u.file === 'docs/runbook.md').map((u) => u.use.words.join(' '));
    for (const c of ['service-keys revoke', 'service-keys rotate', 'encryption-key rotate', 'keys', 'sql', 'jobs retry', 'realtime disable', 'backup verify', 'restore', 'migrate']) {
      expect(texts, c).toContain(c);
    }
  });
});

describe('the metrics of the docs, alert rules and dashboard', () => {
  let db: TestDatabase;
  let app: TestApp;
  const known = new Set<string>(BACKUP_METRIC_NAMES);

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url, { overrides: { metrics: { bearer_token: '' } } });
    const res = await app.fetch('/metrics');
    expect(res.status).toBe(200);
    // # HELP lines list every registered metric, with or without samples.
    for (const m of (await res.text()).matchAll(/^# HELP (\S+) /gm)) known.add(m[1]!);
    // The test app leaves out the Node.js process metrics; the server registers them with
    // the same createMetrics() call (processMetrics on by default).
    for (const m of createMetrics().registry.getMetricsAsArray()) known.add(m.name);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('the live set is complete enough to judge (fluxbase, process and backup metrics)', () => {
    for (const name of ['fluxbase_http_requests_total', 'fluxbase_jobs_queue_depth', 'fluxbase_realtime_queue_depth', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_p99_seconds', 'fluxbase_backup_last_success_timestamp_seconds']) {
      expect(known, name).toContain(name);
    }
  });

  const sources = (): [string, string][] => {
    const dashboard = JSON.parse(read(DASHBOARD)) as { panels: { targets?: { expr: string }[] }[]; templating: { list: { query?: unknown }[] } };
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dashboard.templating.list.map((v) => JSON.stringify(v.query ?? '')),
    ];
    const rules = (parseYaml(read(ALERTS)) as { groups: { rules: { expr: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.expr));
    return [
      ...DOCS.filter((f) => existsSync(path.join(ROOT, f))).map((f) => [f, read(f)] as [string, string]),
      [ALERTS, rules.join('\n')],
      [ALERT_TESTS, read(ALERT_TESTS)],
      [DASHBOARD, exprs.join('\n')],
    ];
  };

  it('are served on /metrics or written by fluxbase backup', () => {
    const problems = sources().flatMap(([file, text]) => unknownMetrics(metricNames(text), known).map((n) => `${file}: ${n}`));
    expect(problems).toEqual([]);
  });

  it('the alert rules and the dashboard use metrics at all', () => {
    for (const [file, text] of sources().filter(([f]) => f === ALERTS || f === DASHBOARD)) {
      expect(metricNames(text).length, file).toBeGreaterThan(20);
    }
  });
});

describe('alerts and runbook sections', () => {
  const runbook = read('docs/runbook.md');
  const rules = (parseYaml(read(ALERTS)) as { groups: { rules: { alert: string; annotations: Record<string, string> }[] }[] }).groups.flatMap((g) => g.rules);

  it('every alert of alerts.yml is in the runbook table, and the other way round', () => {
    const table = runbook.slice(runbook.indexOf('\n## Alert responses'), runbook.indexOf('\n### ', runbook.indexOf('\n## Alert responses')));
    const documented = [...table.matchAll(/^\| `(Fluxbase\w+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(rules.map((r) => r.alert).sort());
  });

  it('every runbook_url points at a section of the runbook', () => {
    const anchors = anchorsOf(runbook);
    for (const r of rules) {
      const m = /^docs\/runbook\.md#(.+)$/.exec(r.annotations.runbook_url ?? '');
      expect(m, `${r.alert}: runbook_url ${r.annotations.runbook_url}`).not.toBeNull();
      expect(anchors, `${r.alert}: #${m![1]}`).toContain(m![1]);
    }
  });

  it('the links of the operations docs resolve (files and anchors)', () => {
    const problems: string[] = [];
    for (const file of DOCS.filter((f) => existsSync(path.join(ROOT, f)))) {
      const text = read(file).replace(FENCE, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^https?:/.test(target!)) continue;
        const [rel, anchor] = target!.split('#') as [string, string | undefined];
        const dest = rel === '' ? file : path.join(path.dirname(file), rel);
        if (!existsSync(path.join(ROOT, dest))) {
          problems.push(`${file}: ${target} (no file ${dest})`);
          continue;
        }
        if (anchor && dest.endsWith('.md') && !anchorsOf(read(dest)).has(anchor)) problems.push(`${file}: ${target} (no heading #${anchor} in ${dest})`);
      }
    }
    expect(problems).toEqual([]);
  });
});
