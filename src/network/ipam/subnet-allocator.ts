/**
 * neutron's subnet pool rules (neutron/ipam/subnet_alloc.py), pure: reading a pool's
 * prefixes and prefix-length bounds with their defaults (SubnetPoolReader,
 * SubnetPoolHelper), and choosing a subnet's CIDR from a pool (SubnetAllocator): any
 * block of a prefix length, or a specific CIDR, within the per-project prefix quota.
 */
import {
  EmptySubnetPoolPrefixList,
  IllegalSubnetPoolPrefixBounds,
  MaxPrefixSubnetAllocationError,
  MinPrefixSubnetAllocationError,
  PrefixVersionMismatch,
  SubnetAllocationError,
  SubnetPoolQuotaExceeded,
} from '../subnetpool-errors.js';
import { type IpVersion, WIDTH } from './address.js';
import { type Cidr, cidrOf, parseCidr } from './cidr.js';
import { PrefixSet } from './prefix-set.js';

/** SubnetPoolHelper's per-version defaults: the smallest prefix length and the quota unit. */
const DEFAULT_MIN_PREFIXLEN: Readonly<Record<IpVersion, number>> = { 4: 8, 6: 64 };
/** IPv4 quota counts /32s, IPv6 quota /64s. */
const QUOTA_UNIT: Readonly<Record<IpVersion, number>> = { 4: 32, 6: 64 };

/** A pool as the allocator needs it. */
export interface PoolSpec {
  ipVersion: IpVersion;
  /** Compacted, in address order. */
  prefixes: Cidr[];
  minPrefixlen: number;
  maxPrefixlen: number;
  defaultPrefixlen: number;
  /** null (or 0) = no quota. */
  defaultQuota: number | null;
}

/** What a create or update request gives for a pool (undefined = not specified). */
export interface SubnetPoolInput {
  prefixes: readonly string[];
  minPrefixlen?: number;
  maxPrefixlen?: number;
  defaultPrefixlen?: number;
  defaultQuota?: number | null;
}

/**
 * SubnetPoolReader: the pool's IP version from its prefixes (one version only), the
 * prefixes compacted, and the bounds with their defaults (min 8 or 64, max the address
 * width, default = min), checked min <= default <= max <= width.
 * Throws EmptySubnetPoolPrefixList, PrefixVersionMismatch, IllegalSubnetPoolPrefixBounds.
 * The prefixes must already have passed validate_subnet (the attribute map's subnet_list).
 */
export function readSubnetPool(input: SubnetPoolInput): PoolSpec {
  if (!input.prefixes.length) throw new EmptySubnetPoolPrefixList();
  const cidrs = input.prefixes.map((p) => parseCidr(p)!);
  const ipVersion = cidrs[0]!.version;
  if (cidrs.some((c) => c.version !== ipVersion)) throw new PrefixVersionMismatch();
  const width = WIDTH[ipVersion];
  const minPrefixlen = input.minPrefixlen ?? DEFAULT_MIN_PREFIXLEN[ipVersion];
  const maxPrefixlen = input.maxPrefixlen ?? width;
  const defaultPrefixlen = input.defaultPrefixlen ?? minPrefixlen;
  if (minPrefixlen > maxPrefixlen) throw new IllegalSubnetPoolPrefixBounds('min_prefixlen', minPrefixlen, 'max_prefixlen', maxPrefixlen);
  if (maxPrefixlen > width) throw new IllegalSubnetPoolPrefixBounds('max_prefixlen', maxPrefixlen, 'ip_version_max', width);
  if (defaultPrefixlen < minPrefixlen) throw new IllegalSubnetPoolPrefixBounds('default_prefixlen', defaultPrefixlen, 'min_prefixlen', minPrefixlen);
  if (defaultPrefixlen > maxPrefixlen) throw new IllegalSubnetPoolPrefixBounds('default_prefixlen', defaultPrefixlen, 'max_prefixlen', maxPrefixlen);
  return {
    ipVersion,
    prefixes: PrefixSet.of(ipVersion, cidrs).cidrs(),
    minPrefixlen,
    maxPrefixlen,
    defaultPrefixlen,
    defaultQuota: input.defaultQuota ?? null,
  };
}

/** A subnet request against a pool: any block of `prefixlen` bits, or one CIDR. */
export type SubnetRequest = { kind: 'any'; prefixlen: number } | { kind: 'specific'; cidr: Cidr };

/**
 * SubnetAllocator.allocate_subnet: the CIDR a request gets from `pool`, given the CIDRs
 * already allocated from it and those of them held by the pool's owner (neutron counts
 * the quota against the pool's project, whoever asks). An `any` request takes the first
 * block of the smallest free prefix that fits.
 * Throws Max/MinPrefixSubnetAllocationError, SubnetPoolQuotaExceeded, SubnetAllocationError.
 */
export function allocateFromPool(pool: PoolSpec, allocated: readonly Cidr[], ownerAllocated: readonly Cidr[], req: SubnetRequest): Cidr {
  const prefixlen = req.kind === 'any' ? req.prefixlen : req.cidr.prefixlen;
  if (prefixlen > pool.maxPrefixlen) throw new MaxPrefixSubnetAllocationError(prefixlen, pool.maxPrefixlen);
  if (prefixlen < pool.minPrefixlen) throw new MinPrefixSubnetAllocationError(prefixlen, pool.minPrefixlen);
  if (pool.defaultQuota) {
    const unit = QUOTA_UNIT[pool.ipVersion];
    const units = (len: number) => Math.pow(2, unit - len);
    const used = ownerAllocated.reduce((sum, c) => sum + units(c.prefixlen), 0);
    if (used + units(prefixlen) > pool.defaultQuota) throw new SubnetPoolQuotaExceeded();
  }
  const free = PrefixSet.of(pool.ipVersion, pool.prefixes).difference(PrefixSet.of(pool.ipVersion, allocated)).cidrs();
  if (req.kind === 'any') {
    // sorted(..., key=prefixlen, reverse=True) is stable: address order within a length.
    const bySize = free.map((c, i) => ({ c, i })).sort((a, b) => b.c.prefixlen - a.c.prefixlen || a.i - b.i);
    const fit = bySize.find(({ c }) => req.prefixlen >= c.prefixlen);
    if (!fit) throw new SubnetAllocationError(`Insufficient prefix space to allocate subnet size /${req.prefixlen}`);
    return cidrOf(pool.ipVersion, fit.c.first, req.prefixlen);
  }
  if (req.cidr.version !== pool.ipVersion) throw new SubnetAllocationError('Cannot allocate requested subnet from the available set of prefixes');
  const matched = free.filter((c) => c.first <= req.cidr.first && req.cidr.last <= c.last);
  if (matched.length === 1 && matched[0]!.prefixlen <= req.cidr.prefixlen) return req.cidr;
  throw new SubnetAllocationError('Cannot allocate requested subnet from the available set of prefixes');
}
