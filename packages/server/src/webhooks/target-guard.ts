// Where a webhook may be sent (API.md §12): http(s) URLs whose host resolves only to public
// addresses. The check runs at creation (checkTargetUrl, resolveTarget) and again at every
// attempt, and the attempt connects to exactly the address resolveTarget approved, so a DNS
// answer that changes between check and connect (rebinding) cannot reach an internal service.
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'unspecified' | 'multicast' | 'reserved';

/** A target this server will not send to; `reason` is written for the webhook's owner. */
export class TargetRefusedError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.name = 'TargetRefusedError';
    this.reason = reason;
  }
}

type Range<T> = readonly [base: T, prefix: number, cls: AddressClass];

// First match wins, so the narrow ranges (metadata) come before the ranges that contain them.
const V4_RANGES: readonly Range<string>[] = [
  ['169.254.169.254', 32, 'metadata'], // AWS, GCP, Azure, OpenStack instance metadata
  ['0.0.0.0', 8, 'unspecified'], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private'], // carrier-grade NAT, also used for in-cloud services
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'], // IETF protocol assignments
  ['192.0.2.0', 24, 'reserved'], // TEST-NET-1
  ['192.88.99.0', 24, 'reserved'], // retired 6to4 relay anycast
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'], // benchmarking
  ['198.51.100.0', 24, 'reserved'], // TEST-NET-2
  ['203.0.113.0', 24, 'reserved'], // TEST-NET-3
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // includes 255.255.255.255 (broadcast)
];

const V6_RANGES: readonly Range<string>[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fd00:ec2::254', 128, 'metadata'], // AWS instance metadata over IPv6
  ['100::', 64, 'reserved'], // discard-only
  ['2001:db8::', 32, 'reserved'], // documentation
  ['fc00::', 7, 'private'], // unique local
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'], // deprecated site-local, still routed inside some networks
  ['ff00::', 8, 'multicast'],
];

// IPv6 forms that carry an IPv4 address in their low 32 bits; connecting to them can reach
// that IPv4 address (the kernel for mapped, a NAT64 gateway for 64:ff9b::), so the embedded
// address decides.
const V6_EMBEDDING_V4: readonly (readonly [base: string, prefix: number])[] = [
  ['::ffff:0:0', 96], // IPv4-mapped
  ['::ffff:0:0:0', 96], // IPv4-translated (SIIT)
  ['64:ff9b::', 96], // NAT64 well-known prefix
];

function parseV4(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** Parses any textual IPv6 form node:net accepts (compressed, embedded dotted quad, zone id). */
function parseV6(ip: string): bigint {
  const zoneless = ip.split('%')[0] ?? '';
  let text = zoneless;
  // A trailing dotted quad stands for the last two 16-bit groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1] !== undefined) {
    const v4 = parseV4(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function inRange(value: bigint, base: bigint, prefix: number, bits: number): boolean {
  const shift = BigInt(bits - prefix);
  return value >> shift === base >> shift;
}

const V4_PARSED = V4_RANGES.map(([base, prefix, cls]) => [BigInt(parseV4(base)), prefix, cls] as const);
const V6_PARSED = V6_RANGES.map(([base, prefix, cls]) => [parseV6(base), prefix, cls] as const);
const V6_EMBEDDING_PARSED = V6_EMBEDDING_V4.map(([base, prefix]) => [parseV6(base), prefix] as const);
const V6_COMPATIBLE = parseV6('::');
const V6_6TO4 = parseV6('2002::');

function classifyV4Number(n: number): AddressClass {
  const value = BigInt(n);
  for (const [base, prefix, cls] of V4_PARSED) if (inRange(value, base, prefix, 32)) return cls;
  return 'public';
}

function classifyV6(value: bigint): AddressClass {
  for (const [base, prefix, cls] of V6_PARSED) if (inRange(value, base, prefix, 128)) return cls;
  const low32 = Number(value & 0xffffffffn);
  for (const [base, prefix] of V6_EMBEDDING_PARSED) if (inRange(value, base, prefix, 128)) return classifyV4Number(low32);
  // Deprecated IPv4-compatible (::a.b.c.d) and 6to4 (2002:aabb:ccdd::/48) addresses: an
  // internal embedded address keeps its class; a public one is still no legitimate
  // target for the compatible form, which nothing routes any more.
  if (inRange(value, V6_COMPATIBLE, 96, 128)) {
    const cls = classifyV4Number(low32);
    return cls === 'public' ? 'reserved' : cls;
  }
  if (inRange(value, V6_6TO4, 16, 128)) return classifyV4Number(Number((value >> 80n) & 0xffffffffn));
  return 'public';
}

/** Classifies an IP literal (IPv4 dotted quad or any IPv6 form); anything else is 'reserved'. */
export function classifyAddress(ip: string): AddressClass {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  switch (isIP(bare)) {
    case 4: return classifyV4Number(parseV4(bare));
    case 6: return classifyV6(parseV6(bare));
    default: return 'reserved';
  }
}

/** Shape checks that need no DNS: scheme, host, no credentials. */
export function checkTargetUrl(url: string): { ok: true; url: URL } | { ok: false; reason: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: `"${url}" is not a valid URL; give an absolute http:// or https:// URL` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, reason: `the URL scheme is ${parsed.protocol.replace(/:$/, '')}; webhook URLs must use http or https` };
  }
  if (parsed.hostname === '') return { ok: false, reason: 'the URL has no host; give a host name or address, e.g. https://example.com/hook' };
  if (parsed.username !== '' || parsed.password !== '') {
    return { ok: false, reason: 'the URL contains credentials (user:password@); remove them and send credentials in a custom header instead' };
  }
  return { ok: true, url: parsed };
}

const CLASS_WORDING: Record<Exclude<AddressClass, 'public'>, string> = {
  loopback: 'a loopback',
  private: 'a private',
  'link-local': 'a link-local',
  metadata: 'a cloud metadata',
  unspecified: 'an unspecified',
  multicast: 'a multicast',
  reserved: 'a reserved',
};

const PUBLIC_ONLY = 'targets must be public (webhooks.allow_private_targets allows private ones for development)';

export type LookupFn = (host: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: LookupFn = (host) => dns.lookup(host, { all: true, verbatim: true });

function family(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}

/**
 * The address to connect to for `url`. Every address the name resolves to must be public,
 * not just the first: the resolver may rotate answers between this check and a later one.
 */
export async function resolveTarget(url: URL, options: { allowPrivate: boolean; lookup?: LookupFn }): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.startsWith('[') && url.hostname.endsWith(']') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host) !== 0) {
    const cls = classifyAddress(host);
    if (!options.allowPrivate && cls !== 'public') throw new TargetRefusedError(`${host} is ${CLASS_WORDING[cls]} address; ${PUBLIC_ONLY}`);
    return { address: host, family: family(host) };
  }
  let answers: { address: string; family: number }[];
  try {
    answers = await (options.lookup ?? systemLookup)(host);
  } catch (err) {
    const detail = err instanceof Error && 'code' in err ? ` (${String(err.code)})` : '';
    throw new TargetRefusedError(`could not resolve ${host}${detail}; check the host name`);
  }
  const first = answers[0];
  if (first === undefined) throw new TargetRefusedError(`could not resolve ${host} (no addresses); check the host name`);
  if (!options.allowPrivate) {
    for (const { address } of answers) {
      const cls = classifyAddress(address);
      if (cls !== 'public') throw new TargetRefusedError(`${host} resolves to ${address}, ${CLASS_WORDING[cls]} address; ${PUBLIC_ONLY}`);
    }
  }
  return { address: first.address, family: family(first.address) };
}
