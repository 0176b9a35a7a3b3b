/**
 * Subnet CIDRs: neutron-lib's validate_subnet, the normalisation neutron's create_subnet
 * applies ('%s/%s' % (net.network, net.prefixlen), host bits dropped) and the range
 * arithmetic IPAM needs.
 */
import {
  formatIp,
  MAX_VALUE,
  parseIpv4Strict,
  parseIpv6,
  pyInt,
  pyStr,
  WIDTH,
  type IpAddress,
  type IpVersion,
} from './address.js';

/** A network: `first` is the network address (host bits zero), `last` the highest address. */
export interface Cidr {
  readonly version: IpVersion;
  readonly prefixlen: number;
  readonly first: bigint;
  readonly last: bigint;
}

/** What netaddr.IPNetwork(text) holds: the address as written (host bits kept) and the prefix. */
interface LooseNetwork {
  version: IpVersion;
  ip: bigint;
  prefixlen: number;
}

function hostMask(version: IpVersion, prefixlen: number): bigint {
  return (1n << BigInt(WIDTH[version] - prefixlen)) - 1n;
}

/** The mask's prefix when it is a netmask (ones then zeros) or a hostmask (zeros then ones). */
function maskPrefix(version: IpVersion, mask: bigint): number | null {
  for (let p = 0; p <= WIDTH[version]; p++) {
    if (mask === (MAX_VALUE[version] ^ hostMask(version, p))) return p;
  }
  for (let p = 0; p <= WIDTH[version]; p++) {
    if (mask === hostMask(version, p)) return p;
  }
  return null;
}

/** netaddr's partial IPv4 ('10', '10.1', '010.0.0.0'): 1-4 int() parts, zero padded. */
function expandPartialIpv4(text: string): bigint | null {
  if (text.includes(':')) return null;
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const octets: bigint[] = [];
  for (const p of parts) {
    const n = pyInt(p);
    if (n === null) return null;
    octets.push(n);
  }
  while (octets.length < 4) octets.push(0n);
  return parseIpv4Strict(octets.join('.'));
}

function parsePrefix(version: IpVersion, text: string | undefined): number | null {
  if (text === undefined) return WIDTH[version];
  const n = pyInt(text);
  let p: number | null;
  if (n !== null) {
    p = n >= 0n && n <= BigInt(WIDTH[version]) ? Number(n) : null;
  } else {
    const mask = version === 4 ? parseIpv4Strict(text) : text.includes('/') ? null : parseIpv6(text);
    p = mask === null ? null : maskPrefix(version, mask);
  }
  return p;
}

/** netaddr.IPNetwork(text) as neutron-lib's validators see it, or null where it raises. */
function parseLoose(text: string): LooseNetwork | null {
  const slash = text.indexOf('/');
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? undefined : text.slice(slash + 1);
  const v4 = parseIpv4Strict(addrText) ?? expandPartialIpv4(addrText);
  if (v4 !== null) {
    const p = parsePrefix(4, prefixText);
    if (p !== null) return { version: 4, ip: v4, prefixlen: p };
  }
  const v6 = parseIpv6(addrText);
  if (v6 !== null) {
    const p = parsePrefix(6, prefixText);
    if (p !== null) return { version: 6, ip: v6, prefixlen: p };
  }
  return null;
}

/**
 * str(netaddr.IPNetwork(text)): the address as written (host bits kept), '/', the prefix
 * ('10.0.0.5' is 10.0.0.5/32); null where netaddr raises. Also the network it lies in.
 */
export function parseIpNetwork(text: string): { text: string; cidr: Cidr } | null {
  if (/\s/.test(text)) return null;
  const net = parseLoose(text);
  if (net === null) return null;
  return { text: `${formatIp(net.ip, net.version)}/${net.prefixlen}`, cidr: cidrOf(net.version, net.ip, net.prefixlen) };
}

/** The network of `prefixlen` bits containing `value`. */
export function cidrOf(version: IpVersion, value: bigint, prefixlen: number): Cidr {
  const host = hostMask(version, prefixlen);
  const first = value & (MAX_VALUE[version] ^ host);
  return { version, prefixlen, first, last: first | host };
}

/**
 * neutron-lib's validate_subnet: null when valid, else its message. A CIDR with host bits
 * set is valid (create_subnet then drops them); an abbreviated IPv4 one or one without
 * '/' gets "isn't a recognized IP subnet cidr, '%(cidr)s' is recommended".
 */
export function validateSubnet(data: unknown): string | null {
  const invalid = `'${pyStr(data)}' is not a valid IP subnet`;
  if (typeof data !== 'string' || /\s/.test(data)) return invalid;
  const net = parseLoose(data);
  if (net === null) return invalid;
  const asWritten = `${formatIp(net.ip, net.version)}/${net.prefixlen}`;
  if (!data.includes('/') || (net.version === 4 && asWritten !== data)) {
    const cidr = formatCidr(cidrOf(net.version, net.ip, net.prefixlen));
    return `'${data}' isn't a recognized IP subnet cidr, '${cidr}' is recommended`;
  }
  return null;
}

/** validate_subnet_or_none: null passes. */
export function validateSubnetOrNone(data: unknown): string | null {
  return data === null ? null : validateSubnet(data);
}

/**
 * Parses a CIDR validate_subnet accepts and normalises it as create_subnet does (host
 * bits cleared, so '10.0.0.5/24' is 10.0.0.0/24); null for anything validate_subnet rejects.
 */
export function parseCidr(text: string): Cidr | null {
  if (validateSubnet(text) !== null) return null;
  const net = parseLoose(text)!;
  return cidrOf(net.version, net.ip, net.prefixlen);
}

/** Prints a CIDR as neutron stores it: network address, '/', prefix length. */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.first, cidr.version)}/${cidr.prefixlen}`;
}

/** The number of addresses in the CIDR (2^(width - prefixlen)). */
export function cidrSize(cidr: Cidr): bigint {
  return cidr.last - cidr.first + 1n;
}

/** Whether the address is inside the CIDR; an address of the other version never is. */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  return ip.version === cidr.version && ip.value >= cidr.first && ip.value <= cidr.last;
}

/** Whether two CIDRs share an address (neutron's IPSet intersection test on subnets). */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.first <= b.last && b.first <= a.last;
}

/** IPv4's broadcast address (the last one); null for IPv6, which has none. */
export function broadcastAddress(cidr: Cidr): bigint | null {
  return cidr.version === 4 ? cidr.last : null;
}

/**
 * The broadcast address of an IPv4 network written as text, host bits allowed
 * ('10.0.1.1/24' → '10.0.1.255'; '10.0.0.5/32' → '10.0.0.5'), as `ip addr add … brd`
 * takes it; null for IPv6 or text netaddr.IPNetwork rejects.
 */
export function formatBroadcast(text: string): string | null {
  const cidr = parseIpNetwork(text)?.cidr;
  const last = cidr ? broadcastAddress(cidr) : null;
  return last === null ? null : formatIp(last, 4);
}
