/**
 * Choosing an address inside a subnet's pools, pure given its inputs.
 *
 * Neutron's DB IPAM driver lists every allocation of the subnet, builds the free set and
 * samples at random from its first 1000 addresses (neutrondb_ipam/driver.py
 * _generate_ips). That costs O(allocations) per port; here random candidates are drawn
 * from the whole pool space and checked by key, so a /16 holding 10,000 ports still
 * costs O(1) queries per port, and the full scan only runs when the subnet is nearly
 * full or the random draws all hit. Addresses are still random, as in neutron.
 */
import type { Random } from '../../common/clock.js';
import { poolsSize, type IpRange } from './pools.js';

/** A bigint uniformly in [0, n), n > 0: Random.int below 2^32, rejection sampling on bytes above. */
export function randomBelow(n: bigint, random: Random): bigint {
  if (n <= 0n) throw new RangeError('randomBelow needs n > 0');
  if (n <= 0x100000000n) return BigInt(random.int(Number(n)));
  const bits = (n - 1n).toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const excess = BigInt(bytes * 8 - bits);
  for (;;) {
    const v = BigInt('0x' + random.bytes(bytes).toString('hex')) >> excess;
    if (v < n) return v;
  }
}

/** The address at `offset` counting through the pools in order; null past their end. */
export function addressAtOffset(pools: readonly IpRange[], offset: bigint): bigint | null {
  let rest = offset;
  for (const p of pools) {
    const size = p.last - p.first + 1n;
    if (rest < size) return p.first + rest;
    rest -= size;
  }
  return null;
}

/**
 * Up to `count` distinct addresses drawn uniformly over the pools' total size (so a big
 * pool is drawn from in proportion); fewer only when the pools hold fewer addresses.
 */
export function randomCandidates(pools: readonly IpRange[], count: number, random: Random): bigint[] {
  const total = poolsSize(pools);
  const want = BigInt(Math.max(0, Math.floor(count))) < total ? Math.max(0, Math.floor(count)) : Number(total);
  if (want === 0) return [];
  const offsets: bigint[] = [];
  if (total <= 4096n && BigInt(want) * 2n > total) {
    // Dense draw: partial Fisher-Yates over every offset.
    const all = Array.from({ length: Number(total) }, (_, i) => BigInt(i));
    for (let i = 0; i < want; i++) {
      const j = i + random.int(all.length - i);
      [all[i], all[j]] = [all[j]!, all[i]!];
      offsets.push(all[i]!);
    }
  } else {
    const seen = new Set<bigint>();
    while (offsets.length < want) {
      const o = randomBelow(total, random);
      if (!seen.has(o)) {
        seen.add(o);
        offsets.push(o);
      }
    }
  }
  return offsets.map((o) => addressAtOffset(pools, o)!);
}

function lowerBound(sorted: readonly bigint[], x: bigint): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The first address not in `allocatedSorted` (ascending; duplicates and addresses
 * outside the pools are fine), walking the pools in order and each upward, as neutron's
 * prefer_next does for DHCP ports; null when every pool address is taken.
 */
export function firstFree(pools: readonly IpRange[], allocatedSorted: readonly bigint[]): bigint | null {
  for (const p of pools) {
    let cand = p.first;
    let i = lowerBound(allocatedSorted, cand);
    while (cand <= p.last) {
      const a = allocatedSorted[i];
      if (a === undefined || a > cand) return cand;
      if (a === cand) cand++;
      i++;
    }
  }
  return null;
}

/** Tuning for chooseAddress. */
export interface ChooseOptions {
  /** Walk from the pool start instead of drawing at random (neutron's PreferNextAddressRequest, DHCP ports). */
  readonly preferNext?: boolean;
  /** Random candidates checked in one isAllocated call; by default sized from the fill ratio. */
  readonly batch?: number;
}

/** Below this many free addresses the random phase is skipped: the scan is cheap and certain. */
const SCAN_BELOW_FREE = 64n;

/**
 * Batch size so that all candidates are taken with probability under 1/1000 at the
 * current fill ratio, between 8 and 64.
 */
function batchFor(allocated: bigint, size: bigint): number {
  if (allocated <= 0n) return 8;
  const fill = Number((allocated * 1_000_000n) / size) / 1_000_000;
  if (fill >= 1) return 64;
  const k = Math.ceil(Math.log(1e-3) / Math.log(fill));
  return Math.min(64, Math.max(8, k));
}

/**
 * Picks a free address in the pools, or null when none is left.
 *
 * `allocatedCount` is the subnet's allocation count; when it is below the pool size by a
 * fair margin one batch of random candidates goes to `isAllocated` (which answers the
 * taken subset, e.g. one `ip_address IN (...)` query) and the first free one wins. When
 * the batch is all taken, the subnet is nearly full, or `preferNext` is set, the full
 * list from `listAllocated` is scanned with firstFree. Allocations outside the pools
 * (a router's gateway IP, fixed IPs given by hand) may make the count an overestimate,
 * so a count at or above the pool size is confirmed by the scan before answering null.
 * The caller still inserts under a unique key and retries on a lost race, as neutron does.
 */
export async function chooseAddress(
  pools: readonly IpRange[],
  isAllocated: (candidates: bigint[]) => Promise<Set<bigint>>,
  listAllocated: () => Promise<bigint[]>,
  allocatedCount: bigint,
  random: Random,
  options: ChooseOptions = {},
): Promise<bigint | null> {
  const size = poolsSize(pools);
  if (size === 0n) return null;
  const free = size - allocatedCount;
  if (!options.preferNext && free > SCAN_BELOW_FREE) {
    const cands = randomCandidates(pools, options.batch ?? batchFor(allocatedCount, size), random);
    const taken = await isAllocated(cands);
    const hit = cands.find((c) => !taken.has(c));
    if (hit !== undefined) return hit;
  }
  const all = [...(await listAllocated())].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (options.preferNext || free <= 0n) return firstFree(pools, all);
  // Random among the free addresses near the start, like neutron's window, keeps
  // concurrent allocators from all colliding on the first free address.
  const window: bigint[] = [];
  for (const p of pools) {
    let cand = p.first;
    let i = lowerBound(all, cand);
    while (cand <= p.last && window.length < 16) {
      const a = all[i];
      if (a === undefined || a > cand) {
        window.push(cand);
        cand++;
      } else {
        if (a === cand) cand++;
        i++;
      }
    }
    if (window.length >= 16) break;
  }
  return window.length === 0 ? null : window[random.int(window.length)]!;
}
