import { describe, expect, it } from 'vitest';
import { parseAnnotations } from './annotations.ts';

const one = (line: string) => parseAnnotations(`${line}\nexport default () => 1;\n`);

describe('parseAnnotations: values', () => {
  it.each([
    ['// @fluxbase:description Sends the weekly digest', { description: 'Sends the weekly digest' }],
    ['// @fluxbase:description "quoted text"', { description: 'quoted text' }],
    ['// @fluxbase:enabled false', { enabled: false }],
    ['// @fluxbase:allow_unauthenticated', { allow_unauthenticated: true }],
    ['// @fluxbase:allow-unauthenticated', { allow_unauthenticated: true }],
    ['// @fluxbase:ALLOW_NET FALSE', { allow_net: false }],
    ['// @fluxbase:allow_read true', { allow_read: true }],
    ['// @fluxbase:allow_write', { allow_write: true }],
    ['// @fluxbase:timeout_seconds 60', { timeout_seconds: 60 }],
    ['// @fluxbase:timeout 60', { timeout_seconds: 60 }],
    ['// @fluxbase:memory 256', { memory_limit_mb: 256 }],
    ['// @fluxbase:memory_limit_mb 512', { memory_limit_mb: 512 }],
    ['// @fluxbase:allow_net_hosts api.example.com, example.org:8443', { allow_net_hosts: ['api.example.com', 'example.org:8443'] }],
    ['// @fluxbase:allow_env', { allow_env: true }],
    ['// @fluxbase:allow_env false', { allow_env: false }],
    ['// @fluxbase:allow_env API_TOKEN, REGION', { allow_env: ['API_TOKEN', 'REGION'] }],
    ['// @fluxbase:cors-origins https://a.example,https://b.example', { cors_origins: ['https://a.example', 'https://b.example'] }],
    ['// @fluxbase:cors_methods GET,POST', { cors_methods: ['GET', 'POST'] }],
    ['// @fluxbase:cors_headers content-type', { cors_headers: ['content-type'] }],
    ['// @fluxbase:cors-credentials true', { cors_credentials: true }],
    ['// @fluxbase:cors-max-age 0', { cors_max_age: 0 }],
    ['// @fluxbase:rate_limit_per_hour 1000', { rate_limit_per_hour: 1000 }],
    ['// @fluxbase:rate-limit 100/min', { rate_limit_per_minute: 100 }],
    ['// @fluxbase:rate-limit 10 / day', { rate_limit_per_day: 10 }],
    ['// @fluxbase:cron_schedule */5 * * * *', { cron_schedule: '*/5 * * * *' }],
    ['// @fluxbase:schedule "0 0 * * *"', { cron_schedule: '0 0 * * *' }],
    ['// @fluxbase:schedule @daily', { cron_schedule: '@daily' }],
    ['// @fluxbase:namespace billing', { namespace: 'billing' }],
    ['/* @fluxbase:allow_net false */', { allow_net: false }],
    [' * @fluxbase:timeout 10', { timeout_seconds: 10 }],
    ['   //@fluxbase:allow_read', { allow_read: true }],
  ])('%s', (line, fields) => {
    expect(one(line)).toEqual({ fields, errors: [], warnings: [] });
  });
});

describe('parseAnnotations: what is not an annotation', () => {
  it.each([
    ['code before the comment', 'const x = 1; // @fluxbase:allow_net false'],
    ['words before the key', '// see @fluxbase:allow_net false'],
    ['no colon', '// @fluxbase allow_net'],
    ['a string', 'const s = "@fluxbase:timeout 5";'],
  ])('%s', (_name, line) => {
    expect(one(line)).toEqual({ fields: {}, errors: [], warnings: [] });
  });
});

describe('parseAnnotations: errors name the line and the fix', () => {
  it.each([
    ['// @fluxbase:timout 30', 'line 1: unknown annotation @fluxbase:timout; did you mean @fluxbase:timeout?'],
    ['// @fluxbase:frobnicate', 'line 1: unknown annotation @fluxbase:frobnicate; known keys: description, enabled,'],
    ['// @fluxbase:timeout_seconds abc', 'line 1: @fluxbase:timeout_seconds takes a whole number above 0 (got "abc"), e.g. // @fluxbase:timeout_seconds 30'],
    ['// @fluxbase:timeout 0', 'line 1: @fluxbase:timeout takes a whole number above 0 (got "0")'],
    ['// @fluxbase:memory 1.5', 'line 1: @fluxbase:memory takes a whole number above 0 (got "1.5"), e.g. // @fluxbase:memory_limit_mb 256'],
    ['// @fluxbase:allow_net yes', 'line 1: @fluxbase:allow_net takes true or false, or nothing for true (got "yes")'],
    ['// @fluxbase:allow_net api.example.com', 'to allow only some hosts use // @fluxbase:allow_net_hosts <host,host>'],
    ['// @fluxbase:allow_net_hosts', 'line 1: @fluxbase:allow_net_hosts takes a comma-separated list without empty entries (got "")'],
    ['// @fluxbase:cors_origins a,,b', 'takes a comma-separated list without empty entries (got "a,,b")'],
    ['// @fluxbase:allow_env API-TOKEN', '"API-TOKEN" is not a variable name'],
    ['// @fluxbase:rate-limit 100/week', 'line 1: @fluxbase:rate-limit takes <count>/<min|hour|day> (got "100/week")'],
    ['// @fluxbase:cron_schedule every day', 'line 1: @fluxbase:cron_schedule takes a cron expression of 5 or 6 fields (got "every day")'],
    ['// @fluxbase:namespace Billing Team', 'takes a namespace of lowercase letters, digits, - and _'],
    ['// @fluxbase:description', 'line 1: @fluxbase:description needs a value'],
    ['// @fluxbase:is_bundled true', 'line 1: @fluxbase:is_bundled cannot be an annotation (the deploy tool sets it when it bundles the code); remove the line'],
    ['// @fluxbase:name other', 'cannot be an annotation (the name comes from the file or folder name)'],
    ['// @fluxbase: timeout 3', 'line 1: @fluxbase: without a key'],
  ])('%s', (line, error) => {
    const r = one(line);
    expect(r.fields).toEqual({});
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(error);
  });

  it('refuses a field given twice, through an alias too, and keeps the first', () => {
    const r = parseAnnotations('// @fluxbase:timeout 10\n\n// @fluxbase:timeout_seconds 20\n');
    expect(r.fields).toEqual({ timeout_seconds: 10 });
    expect(r.errors).toEqual(['line 3: @fluxbase:timeout_seconds sets timeout_seconds again (first set on line 1); keep one of the two lines']);
  });

  it('collects every problem and still reads the good lines', () => {
    const r = parseAnnotations(['/**', ' * Hello', ' * @fluxbase:allow_unauthenticated', ' * @fluxbase:timeout soon', ' */', '// @fluxbase:bogus 1', 'export default () => 1;'].join('\r\n'));
    expect(r.fields).toEqual({ allow_unauthenticated: true });
    expect(r.errors.map((e) => e.slice(0, 7))).toEqual(['line 4:', 'line 6:']);
  });
});

describe('parseAnnotations: upstream switches without a field', () => {
  it.each(['public', 'public false', 'disable-execution-logs', 'disable-logs'])('warns about @fluxbase:%s and ignores it', (rest) => {
    const r = one(`// @fluxbase:${rest}`);
    expect(r.fields).toEqual({});
    expect(r.errors).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^line 1: @fluxbase:[a-z-]+ is ignored: /);
  });
});
