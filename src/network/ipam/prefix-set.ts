/**
 * Sets of addresses written as CIDRs, the parts of netaddr.IPSet that subnet pools use:
 * union with compaction (a pool's prefix list), difference (a pool's free space),
 * subset and disjointness tests. Pure; every member of one set has the same IP version.
 */
import { type IpVersion, WIDTH } from './address.js';
import { type Cidr, cidrOf } from './cidr.js';

/** Inclusive address ranges, sorted, non-overlapping and non-adjacent. */
interface Span {
  first: bigint;
  last: bigint;
}

/** A set of addresses of one IP version. */
export class PrefixSet {
  private constructor(
    readonly version: IpVersion,
    private readonly spans: readonly Span[],
  ) {}

  /** The union of the CIDRs (all of `version`). */
  static of(version: IpVersion, cidrs: readonly Cidr[]): PrefixSet {
    return new PrefixSet(version, merge(cidrs.map((c) => ({ first: c.first, last: c.last }))));
  }

  /** The addresses in this set and not in `other`. */
  difference(other: PrefixSet): PrefixSet {
    const out: Span[] = [];
    for (const s of this.spans) {
      let first = s.first;
      for (const o of other.spans) {
        if (o.last < first || o.first > s.last) continue;
        if (o.first > first) out.push({ first, last: o.first - 1n });
        first = o.last + 1n;
        if (first > s.last) break;
      }
      if (first <= s.last) out.push({ first, last: s.last });
    }
    return new PrefixSet(this.version, out);
  }

  /** Whether every address of this set is in `other` (IPSet.issubset). */
  isSubsetOf(other: PrefixSet): boolean {
    return this.difference(other).spans.length === 0;
  }

  /** Whether the two sets share no address (IPSet.isdisjoint). */
  isDisjoint(other: PrefixSet): boolean {
    return this.spans.every((s) => other.spans.every((o) => o.last < s.first || o.first > s.last));
  }

  /** Whether the set holds no address. */
  get isEmpty(): boolean {
    return this.spans.length === 0;
  }

  /** The fewest CIDRs covering exactly this set, in address order (IPSet.iter_cidrs after compact). */
  cidrs(): Cidr[] {
    const width = WIDTH[this.version];
    const out: Cidr[] = [];
    for (const s of this.spans) {
      let first = s.first;
      while (first <= s.last) {
        // The largest block aligned at `first` that stays inside the span.
        let prefixlen = width;
        while (prefixlen > 0) {
          const size = 1n << BigInt(width - prefixlen + 1);
          if (first % size !== 0n || first + size - 1n > s.last) break;
          prefixlen--;
        }
        const cidr = cidrOf(this.version, first, prefixlen);
        out.push(cidr);
        first = cidr.last + 1n;
      }
    }
    return out;
  }
}

function merge(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.first <= last.last + 1n) {
      if (s.last > last.last) last.last = s.last;
    } else {
      out.push({ ...s });
    }
  }
  return out;
}
