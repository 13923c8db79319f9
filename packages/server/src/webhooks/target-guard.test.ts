// Which webhook targets are refused: address classes (including the IPv6 forms that smuggle
// an IPv4 address), URL shape, and resolution with every DNS answer checked.
import { describe, expect, it } from 'vitest';
import { checkTargetUrl, classifyAddress, resolveTarget, TargetRefusedError, type AddressClass, type LookupFn } from './target-guard.ts';

const CASES: [string, AddressClass][] = [
  // IPv4 public
  ['8.8.8.8', 'public'], ['1.1.1.1', 'public'], ['93.184.216.34', 'public'], ['100.63.255.255', 'public'],
  ['100.128.0.0', 'public'], ['172.15.255.255', 'public'], ['172.32.0.0', 'public'], ['192.0.1.1', 'public'],
  ['198.17.255.255', 'public'], ['198.20.0.0', 'public'], ['223.255.255.255', 'public'], ['11.0.0.1', 'public'],
  ['169.253.255.255', 'public'], ['126.255.255.255', 'public'], ['128.0.0.1', 'public'],
  // IPv4 internal
  ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'],
  ['10.0.0.1', 'private'], ['10.255.255.255', 'private'],
  ['100.64.0.1', 'private'], ['100.127.255.255', 'private'], ['100.100.100.200', 'private'],
  ['127.0.0.1', 'loopback'], ['127.255.255.254', 'loopback'],
  ['169.254.0.1', 'link-local'], ['169.254.169.253', 'link-local'], ['169.254.169.254', 'metadata'],
  ['172.16.0.1', 'private'], ['172.31.255.255', 'private'],
  ['192.0.0.8', 'reserved'], ['192.0.2.1', 'reserved'], ['192.88.99.1', 'reserved'],
  ['192.168.0.1', 'private'], ['192.168.255.255', 'private'],
  ['198.18.0.1', 'reserved'], ['198.19.255.255', 'reserved'], ['198.51.100.7', 'reserved'], ['203.0.113.9', 'reserved'],
  ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'], ['255.255.255.255', 'reserved'],
  // IPv6
  ['2606:4700:4700::1111', 'public'], ['2001:4860:4860::8888', 'public'], ['2a00:1450:4001:80b::200e', 'public'],
  ['::', 'unspecified'], ['0:0:0:0:0:0:0:0', 'unspecified'], ['::1', 'loopback'], ['0:0:0:0:0:0:0:1', 'loopback'],
  ['fe80::1', 'link-local'], ['fe80::1%eth0', 'link-local'], ['febf:ffff::1', 'link-local'],
  ['fc00::1', 'private'], ['fd12:3456:789a::1', 'private'], ['fec0::1', 'private'],
  ['fd00:ec2::254', 'metadata'], ['fd00:ec2::253', 'private'],
  ['ff02::1', 'multicast'], ['ff05::2', 'multicast'],
  ['2001:db8::1', 'reserved'], ['2001:0db8:ffff::1', 'reserved'], ['100::1', 'reserved'],
  // IPv4-mapped, dotted and hex, classified by the embedded IPv4 address
  ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
  ['::ffff:10.0.0.1', 'private'], ['::ffff:a00:1', 'private'], ['::ffff:169.254.169.254', 'metadata'],
  ['::ffff:a9fe:a9fe', 'metadata'], ['::ffff:0.0.0.0', 'unspecified'], ['::ffff:8.8.8.8', 'public'], ['::ffff:808:808', 'public'],
  ['::ffff:0:7f00:1', 'loopback'],
  // IPv4-compatible (deprecated): internal embedded keeps its class, public becomes reserved
  ['::127.0.0.1', 'loopback'], ['::7f00:1', 'loopback'], ['::10.1.2.3', 'private'], ['::8.8.8.8', 'reserved'],
  // NAT64 by the embedded IPv4 address
  ['64:ff9b::127.0.0.1', 'loopback'], ['64:ff9b::7f00:1', 'loopback'], ['64:ff9b::a9fe:a9fe', 'metadata'],
  ['64:ff9b::192.168.1.1', 'private'], ['64:ff9b::8.8.8.8', 'public'],
  // 6to4 carries the IPv4 address in bits 16-47
  ['2002:7f00:1::', 'loopback'], ['2002:a9fe:a9fe::1', 'metadata'], ['2002:808:808::1', 'public'],
  // not IP literals
  ['localhost', 'reserved'], ['', 'reserved'], ['127.1', 'reserved'], ['[::1]', 'loopback'],
];

describe('classifyAddress', () => {
  it.each(CASES)('%s is %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });
});

describe('checkTargetUrl', () => {
  it.each([
    ['https://example.com/hook'], ['http://example.com:8080/hook?x=1'], ['https://[2606:4700::1]/'], ['http://10.0.0.1/'],
  ])('accepts %s', (url) => {
    const result = checkTargetUrl(url);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.url.href).toBe(new URL(url).href);
  });

  it.each([
    ['ftp://example.com/hook', /scheme is ftp; .*http or https/],
    ['file:///etc/passwd', /scheme is file; .*http or https/],
    ['javascript:alert(1)', /scheme is javascript; .*http or https/],
    ['gopher://example.com/', /scheme is gopher/],
    ['https://user:pass@example.com/hook', /credentials .*remove them/],
    ['https://user@example.com/hook', /credentials/],
    ['http://', /not a valid URL/],
    ['example.com/hook', /not a valid URL; give an absolute/],
    ['', /not a valid URL/],
  ])('refuses %s', (url, reason) => {
    const result = checkTargetUrl(url);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

function lookupReturning(...addresses: string[]): LookupFn & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (host: string) => {
    calls.push(host);
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(fn, { calls });
}

async function refusal(promise: Promise<unknown>): Promise<TargetRefusedError> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(TargetRefusedError);
  return err as TargetRefusedError;
}

describe('resolveTarget', () => {
  it('returns the first address when every answer is public', async () => {
    const lookup = lookupReturning('93.184.216.34', '2606:2800:220:1::1');
    await expect(resolveTarget(new URL('https://example.com/hook'), { allowPrivate: false, lookup })).resolves.toEqual({ address: '93.184.216.34', family: 4 });
    expect(lookup.calls).toEqual(['example.com']);
  });

  it('refuses a name with one private answer among public ones, naming host, address and class', async () => {
    const lookup = lookupReturning('93.184.216.34', '10.0.0.5', '1.1.1.1');
    const err = await refusal(resolveTarget(new URL('https://example.internal/hook'), { allowPrivate: false, lookup }));
    expect(err.reason).toBe('example.internal resolves to 10.0.0.5, a private address; targets must be public (webhooks.allow_private_targets allows private ones for development)');
    expect(err.message).toBe(err.reason);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'], ['169.254.169.254', 'cloud metadata'], ['fd00:ec2::254', 'cloud metadata'], ['::', 'unspecified'],
  ])('refuses a name resolving to %s (%s)', async (address, wording) => {
    const err = await refusal(resolveTarget(new URL('http://rebind.test/'), { allowPrivate: false, lookup: lookupReturning(address) }));
    expect(err.reason).toContain(`rebind.test resolves to ${address}, a${wording === 'unspecified' ? 'n' : ''} ${wording} address`);
  });

  it('with allowPrivate returns the first answer even when it is private', async () => {
    const lookup = lookupReturning('127.0.0.1', '8.8.8.8');
    await expect(resolveTarget(new URL('http://localhost:3000/'), { allowPrivate: true, lookup })).resolves.toEqual({ address: '127.0.0.1', family: 4 });
  });

  it('reports IPv6 answers as family 6', async () => {
    await expect(resolveTarget(new URL('http://v6.test/'), { allowPrivate: false, lookup: lookupReturning('2606:4700::1') })).resolves.toEqual({ address: '2606:4700::1', family: 6 });
  });

  it('refuses a name that does not resolve, or resolves to nothing', async () => {
    const failing: LookupFn = async () => { throw Object.assign(new Error('getaddrinfo ENOTFOUND nope.invalid'), { code: 'ENOTFOUND' }); };
    const err = await refusal(resolveTarget(new URL('https://nope.invalid/'), { allowPrivate: true, lookup: failing }));
    expect(err.reason).toBe('could not resolve nope.invalid (ENOTFOUND); check the host name');
    const empty = await refusal(resolveTarget(new URL('https://empty.test/'), { allowPrivate: false, lookup: lookupReturning() }));
    expect(empty.reason).toMatch(/^could not resolve empty\.test/);
  });

  it('checks literal addresses without DNS, IPv6 without brackets', async () => {
    const lookup = lookupReturning('8.8.8.8');
    await expect(resolveTarget(new URL('http://8.8.4.4/'), { allowPrivate: false, lookup })).resolves.toEqual({ address: '8.8.4.4', family: 4 });
    await expect(resolveTarget(new URL('http://[2606:4700::1111]/'), { allowPrivate: false, lookup })).resolves.toEqual({ address: '2606:4700::1111', family: 6 });
    const v4 = await refusal(resolveTarget(new URL('http://127.0.0.1:8080/'), { allowPrivate: false, lookup }));
    expect(v4.reason).toMatch(/^127\.0\.0\.1 is a loopback address; targets must be public/);
    // The URL parser writes ::ffff:127.0.0.1 as [::ffff:7f00:1]; the hex form is still loopback.
    const mapped = await refusal(resolveTarget(new URL('http://[::ffff:127.0.0.1]/'), { allowPrivate: false, lookup }));
    expect(mapped.reason).toMatch(/^::ffff:7f00:1 is a loopback address/);
    // Other IPv4 spellings are normalised by the URL parser before the check.
    await refusal(resolveTarget(new URL('http://0x7f.1/'), { allowPrivate: false, lookup }));
    await refusal(resolveTarget(new URL('http://2130706433/'), { allowPrivate: false, lookup }));
    await expect(resolveTarget(new URL('http://[::1]/'), { allowPrivate: true, lookup })).resolves.toEqual({ address: '::1', family: 6 });
    expect(lookup.calls).toEqual([]);
  });
});
