// deploy/prometheus/alerts.yml is valid (`promtool check rules`), its unit tests on
// synthetic series pass (`promtool test rules alerts.test.yml`), every rule carries a
// severity and a runbook link, and deploy/grafana/fluxbase-dashboard.json is a dashboard
// Grafana can import (every panel queries Prometheus). That the metrics they use exist is
// checked against a live /metrics in runbook.test.ts.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PROMETHEUS_DIR = path.join(ROOT, 'deploy/prometheus');
const DASHBOARD = path.join(ROOT, 'deploy/grafana/fluxbase-dashboard.json');

/** promtool from PATH or Debian's prometheus package. */
function findPromtool(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin']) {
    const candidate = path.join(dir, 'promtool');
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}
const promtool = findPromtool();
const run = promisify(execFile);

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

describe('alert rules', () => {
  it.skipIf(!promtool)('pass promtool check rules (promtool missing: .ci/run installs Debian prometheus)', async () => {
    const { stdout } = await run(promtool!, ['check', 'rules', 'alerts.yml'], { cwd: PROMETHEUS_DIR });
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it.skipIf(!promtool)('pass their unit tests on synthetic series, promtool test rules (promtool missing: .ci/run installs Debian prometheus)', async () => {
    const { stdout } = await run(promtool!, ['test', 'rules', 'alerts.test.yml'], { cwd: PROMETHEUS_DIR });
    expect(stdout).toContain('SUCCESS');
  });

  it('each alert has a unique name, a severity, a summary and a runbook link', () => {
    const groups = (parseYaml(readFileSync(path.join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(20);
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const r of rules) {
      expect(r.alert, JSON.stringify(r)).toMatch(/^Fluxbase[A-Z]\w+$/);
      expect(['page', 'ticket'], `${r.alert} severity`).toContain(r.labels?.severity);
      expect(r.annotations?.summary, `${r.alert} summary`).toBeTruthy();
      expect(r.annotations?.runbook_url, `${r.alert} runbook_url`).toMatch(/^docs\/runbook\.md#[a-z0-9_-]+$/);
    }
  });

  it('the unit tests cover at least two alerts firing', () => {
    const tests = (parseYaml(readFileSync(path.join(PROMETHEUS_DIR, 'alerts.test.yml'), 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    }).tests;
    const firing = new Set(tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    expect(firing.size).toBeGreaterThanOrEqual(2);
  });
});

describe('Grafana dashboard', () => {
  interface Target { refId: string; expr: string; datasource?: { type: string; uid: string } }
  interface Panel { id: number; type: string; title: string; gridPos: { h: number; w: number; x: number; y: number }; targets?: Target[]; datasource?: { type: string; uid: string } }
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    title: string; uid: string; schemaVersion: number; panels: Panel[];
    templating: { list: { name: string; type: string; query?: unknown }[] };
  };

  it('has the fields Grafana needs to import it', () => {
    expect(dashboard.title).toBe('Fluxbase');
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(30);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance']);
    expect(dashboard.templating.list[0]).toMatchObject({ type: 'datasource', query: 'prometheus' });
  });

  it('every panel has a unique id, fits the 24-column grid and queries Prometheus', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThanOrEqual(20);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
    for (const p of graphs) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        expect(t.expr, p.title).toMatch(/\b(fluxbase|process|nodejs)_[a-z_]+/);
        // Balanced brackets: a cheap guard against a broken PromQL string.
        for (const [open, close] of [['(', ')'], ['{', '}'], ['[', ']']] as const) {
          expect(t.expr.split(open).length, `${p.title}: ${t.expr}`).toBe(t.expr.split(close).length);
        }
      }
    }
  });

  it('panels do not overlap', () => {
    const boxes = dashboard.panels.map((p) => ({ t: p.title, ...p.gridPos }));
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `${a.t} / ${b.t}`).toBe(false);
      }
    }
  });

  it.skipIf(!promtool)('every panel query is valid PromQL, per promtool (promtool missing: .ci/run installs Debian prometheus)', async () => {
    // Grafana's variables replaced by what they stand for, each query as a recording rule.
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*'));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-dashboard-'));
    try {
      const file = path.join(dir, 'panels.yml');
      writeFileSync(file, stringifyYaml({ groups: [{ name: 'panels', rules: exprs.map((expr, i) => ({ record: `dashboard:panel_${i}`, expr })) }] }));
      const { stdout } = await run(promtool!, ['check', 'rules', file]);
      expect(stdout).toContain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
