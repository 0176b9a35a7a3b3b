/**
 * Allocation pools: the defaults neutron generates around the gateway
 * (neutron/ipam/utils.py generate_pools) and the checks on pools a user gives
 * (ipam_backend_mixin: pools_to_ip_range, validate_allocation_pools,
 * validate_gw_out_of_pools), with neutron's errors and messages.
 */
import { formatIp, parseIp, pyRepr, type IpAddress, type IpVersion } from './address.js';
import { formatCidr, type Cidr } from './cidr.js';
import {
  GatewayConflictWithAllocationPools,
  InvalidAllocationPool,
  OutOfBoundsAllocationPool,
  OverlappingAllocationPools,
} from './errors.js';

/** An inclusive address range (netaddr.IPRange); first <= last. */
export interface IpRange {
  readonly version: IpVersion;
  readonly first: bigint;
  readonly last: bigint;
}

/** A pool as the API carries it. */
export interface PoolInput {
  readonly start: string;
  readonly end: string;
}

/** Prints a range as str(netaddr.IPRange) does: 'first-last'. */
export function formatRange(range: IpRange): string {
  return `${formatIp(range.first, range.version)}-${formatIp(range.last, range.version)}`;
}

/** A range in the API's shape ({start, end}), as neutron's _make_subnet_dict shows pools. */
export function rangeToPool(range: IpRange): { start: string; end: string } {
  return { start: formatIp(range.first, range.version), end: formatIp(range.last, range.version) };
}

/**
 * The gateway neutron picks when none is given (_gateway_ip_str): network + 1 for IPv4,
 * the network address itself (the subnet-router anycast address) for IPv6; null where
 * network + 1 would leave the IPv4 space (255.255.255.255/32).
 */
export function defaultGatewayIp(cidr: Cidr): bigint | null {
  if (cidr.version === 6) return cidr.first;
  return cidr.first + 1n > 0xffffffffn ? null : cidr.first + 1n;
}

/**
 * The addresses a subnet may hand out at all (validate_allocation_pools' bounds):
 * IPv4 /30 and wider skip network and broadcast, /31 and /32 use every address, IPv6
 * skips only the first (the subnet-router anycast address).
 */
export function usableRange(cidr: Cidr): IpRange {
  if (cidr.version === 4 && cidr.prefixlen > 30) return { version: 4, first: cidr.first, last: cidr.last };
  if (cidr.version === 4) return { version: 4, first: cidr.first + 1n, last: cidr.last - 1n };
  return { version: 6, first: cidr.first + 1n, last: cidr.last };
}

/**
 * generate_pools: the usable range with the gateway cut out (a gateway outside it
 * changes nothing); a single-address subnet gets that address whatever the gateway.
 */
export function generatePools(cidr: Cidr, gateway: bigint | null): IpRange[] {
  if (cidr.first === cidr.last) return [{ version: cidr.version, first: cidr.first, last: cidr.last }];
  const r = usableRange(cidr);
  if (gateway === null || gateway < r.first || gateway > r.last) return [r];
  const out: IpRange[] = [];
  if (gateway > r.first) out.push({ version: r.version, first: r.first, last: gateway - 1n });
  if (gateway < r.last) out.push({ version: r.version, first: gateway + 1n, last: r.last });
  return out;
}

/**
 * pools_to_ip_range: each {start, end} as a range. Throws InvalidAllocationPool, printing
 * the pool as Python's dict repr, when an end is not an address, the two differ in
 * version, or start > end (netaddr.IPRange refuses each of these).
 */
export function poolsToRanges(pools: readonly PoolInput[]): IpRange[] {
  return pools.map((pool) => {
    const start = parseIp(pool.start);
    const end = parseIp(pool.end);
    if (start === null || end === null || start.version !== end.version || start.value > end.value) {
      throw new InvalidAllocationPool(pyRepr(pool));
    }
    return { version: start.version, first: start.value, last: end.value };
  });
}

/**
 * validate_allocation_pools: each range is of the subnet's version (else
 * InvalidAllocationPool), inside its usable range (else OutOfBoundsAllocationPool), and
 * no two overlap (else OverlappingAllocationPools naming the first pair in input order).
 */
export function validateAllocationPools(ranges: readonly IpRange[], cidr: Cidr): void {
  const cidrText = formatCidr(cidr);
  const bounds = usableRange(cidr);
  for (const r of ranges) {
    if (r.version !== cidr.version) throw new InvalidAllocationPool(formatRange(r));
    if (r.first < bounds.first || r.last > bounds.last) {
      throw new OutOfBoundsAllocationPool(formatRange(r), cidrText);
    }
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i]!;
      const b = ranges[j]!;
      if (a.first <= b.last && b.first <= a.last) {
        throw new OverlappingAllocationPools(formatRange(a), formatRange(b), cidrText);
      }
    }
  }
}

/**
 * validate_gw_out_of_pools: throws GatewayConflictWithAllocationPools for the first pool
 * holding the gateway; `gateway` is the text as the request gave it (it is echoed).
 */
export function validateGatewayOutOfPools(gateway: string, ranges: readonly IpRange[]): void {
  const gw = parseIp(gateway);
  if (gw === null) return;
  for (const r of ranges) {
    if (ipInRange(gw, r)) throw new GatewayConflictWithAllocationPools(gateway, formatRange(r));
  }
}

/**
 * _prepare_allocation_pools: generated pools when none are given, else the given ones
 * validated (and checked against the gateway when there is one). May throw the errors
 * of poolsToRanges, validateAllocationPools and validateGatewayOutOfPools.
 */
export function prepareAllocationPools(
  pools: readonly PoolInput[] | null | undefined,
  cidr: Cidr,
  gateway: string | null,
): IpRange[] {
  if (pools === null || pools === undefined) {
    const gw = gateway === null ? null : parseIp(gateway);
    return generatePools(cidr, gw !== null && gw.version === cidr.version ? gw.value : null);
  }
  const ranges = poolsToRanges(pools);
  validateAllocationPools(ranges, cidr);
  if (gateway) validateGatewayOutOfPools(gateway, ranges);
  return ranges;
}

/** The number of addresses in the pools (they do not overlap once validated). */
export function poolsSize(ranges: readonly IpRange[]): bigint {
  return ranges.reduce((n, r) => n + (r.last - r.first + 1n), 0n);
}

/** Whether the address is inside the range; an address of the other version never is. */
export function ipInRange(ip: IpAddress, range: IpRange): boolean {
  return ip.version === range.version && ip.value >= range.first && ip.value <= range.last;
}

/** Whether the address falls in any of the pools. */
export function ipInPools(ip: IpAddress, ranges: readonly IpRange[]): boolean {
  return ranges.some((r) => ipInRange(ip, r));
}
