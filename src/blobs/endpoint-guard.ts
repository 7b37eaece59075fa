import dns from 'node:dns';
import net from 'node:net';
import type { LookupFunction } from 'node:net';

/**
 * Addresses an S3 endpoint must not reach unless the operator allows it
 * (`S3_ALLOW_PRIVATE_ENDPOINT=true`): loopback, private networks, link-local (the cloud metadata
 * services, 169.254.169.254 and fd00:ec2::254, are there or in fc00::/7), carrier-grade NAT
 * (Alibaba's metadata at 100.100.100.200), unspecified, multicast and reserved ranges, and the
 * IPv6 forms that embed an IPv4 address (mapped and NAT64), checked by the address they embed.
 */
const BLOCKED = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::/96) IPv6 address. */
function embeddedIpv4(address: string): string | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const words = expandIpv6(address);
  if (!words) return null;
  const isMapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
  const isNat64 = words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((w) => w === 0);
  if (!isMapped && !isNat64) return null;
  return [words[6]! >> 8, words[6]! & 0xff, words[7]! >> 8, words[7]! & 0xff].join('.');
}

/** The eight 16-bit words of an IPv6 address (a dotted IPv4 tail is folded into the last two). */
function expandIpv6(address: string): number[] | null {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const part = (s: string) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return null;
  return [...left, ...Array<number>(missing).fill(0), ...right];
}

/**
 * Whether an S3 endpoint may connect to `address` without the operator's leave.
 *
 * @example
 * isPublicAddress('169.254.169.254'); // false: the cloud metadata service
 * isPublicAddress('52.216.8.11');     // true
 */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return !BLOCKED.check(address, 'ipv4');
  if (family !== 6) return false;
  const v4 = embeddedIpv4(address);
  if (v4) return !BLOCKED.check(v4, 'ipv4');
  return !BLOCKED.check(address, 'ipv6');
}

/** An endpoint that resolves to an address `isPublicAddress` refuses. */
export class PrivateEndpointError extends Error {
  constructor(host: string, address: string) {
    super(
      `the S3 endpoint ${host} resolves to ${address}, a private, loopback, link-local or metadata address; set S3_ALLOW_PRIVATE_ENDPOINT=true if that is intended`,
    );
    this.name = 'PrivateEndpointError';
  }
}

/**
 * Checks an endpoint URL once (at start-up): its host, a literal address or every address its
 * name resolves to, must be public. Literal addresses never reach a lookup, so this is their only
 * check; names are checked again on every connection by `guardedLookup`.
 *
 * @example
 * await checkEndpoint(new URL('http://169.254.169.254/')); // throws PrivateEndpointError
 */
export async function checkEndpoint(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = net.isIP(host)
    ? [host]
    : (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  const refused = addresses.find((address) => !isPublicAddress(address));
  if (refused) throw new PrivateEndpointError(host, refused);
}

/**
 * A `lookup` for the S3 client's sockets that refuses private addresses on every connection, so a
 * name that resolves to a public address at start-up and to a private one later (DNS
 * rebinding) still cannot reach inside.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const list = addresses as dns.LookupAddress[];
    const refused = list.find((a) => !isPublicAddress(a.address));
    if (refused) return callback(new PrivateEndpointError(hostname, refused.address), '', 0);
    if (options.all) return (callback as unknown as (e: null, all: dns.LookupAddress[]) => void)(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
};
