/**
 * Subnet pools' pure parts: PrefixSet (netaddr.IPSet's union, compaction, difference,
 * subset and disjointness) and the SubnetAllocator's choice of a CIDR from a pool.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type PoolSpec, PrefixSet, allocateFromPool, formatCidr, parseCidr, readSubnetPool } from '../../src/network/ipam/index.js';
import { SubnetAllocationError, SubnetPoolQuotaExceeded } from '../../src/network/subnetpool-errors.js';

const c = (t: string) => parseCidr(t)!;
const set4 = (...t: string[]) => PrefixSet.of(4, t.map(c));
const texts = (s: PrefixSet) => s.cidrs().map(formatCidr);

describe('PrefixSet', () => {
  test('union compacts adjacent and overlapping prefixes into the fewest CIDRs', () => {
    assert.deepEqual(texts(set4('10.0.0.128/25', '10.0.0.0/25')), ['10.0.0.0/24']);
    assert.deepEqual(texts(set4('10.0.0.0/24', '10.0.0.64/26', '10.0.2.0/24')), ['10.0.0.0/24', '10.0.2.0/24']);
    assert.deepEqual(texts(set4('10.0.1.0/24', '10.0.2.0/24')), ['10.0.1.0/24', '10.0.2.0/24']);
    assert.deepEqual(texts(PrefixSet.of(6, [c('2001:db8::/33'), c('2001:db8:8000::/33')])), ['2001:db8::/32']);
  });

  test('difference splits a prefix around what is taken', () => {
    assert.deepEqual(texts(set4('10.0.0.0/24').difference(set4('10.0.0.64/26'))), ['10.0.0.0/26', '10.0.0.128/25']);
    assert.deepEqual(texts(set4('10.0.0.0/24').difference(set4('10.0.0.0/24'))), []);
    assert.ok(set4('10.0.0.0/24').difference(set4('10.0.0.0/16')).isEmpty);
  });

  test('subset and disjointness', () => {
    assert.ok(set4('10.0.0.0/25').isSubsetOf(set4('10.0.0.0/24')));
    assert.ok(!set4('10.0.0.0/23').isSubsetOf(set4('10.0.0.0/24')));
    assert.ok(set4('10.0.0.0/24').isDisjoint(set4('10.0.1.0/24')));
    assert.ok(!set4('10.0.0.0/24').isDisjoint(set4('10.0.0.255/32')));
  });
});

describe('allocateFromPool', () => {
  const pool = (over: Partial<PoolSpec> = {}): PoolSpec => ({ ...readSubnetPool({ prefixes: ['10.0.0.0/16', '10.1.0.0/24'] }), ...over });

  test('an any request takes the smallest free prefix that fits, then address order', () => {
    assert.equal(formatCidr(allocateFromPool(pool(), [], [], { kind: 'any', prefixlen: 26 })), '10.1.0.0/26');
    assert.equal(formatCidr(allocateFromPool(pool(), [c('10.1.0.0/26')], [], { kind: 'any', prefixlen: 26 })), '10.1.0.64/26');
    assert.equal(formatCidr(allocateFromPool(pool(), [], [], { kind: 'any', prefixlen: 20 })), '10.0.0.0/20');
    assert.throws(() => allocateFromPool(pool(), [c('10.0.0.0/16')], [], { kind: 'any', prefixlen: 20 }), (e) => e instanceof SubnetAllocationError && e.message === 'Failed to allocate subnet: Insufficient prefix space to allocate subnet size /20.');
  });

  test('a specific request must lie in one free prefix', () => {
    assert.equal(formatCidr(allocateFromPool(pool(), [], [], { kind: 'specific', cidr: c('10.0.4.0/24') })), '10.0.4.0/24');
    for (const taken of [[c('10.0.4.0/25')], [c('10.0.0.0/16')]]) {
      assert.throws(() => allocateFromPool(pool(), taken, [], { kind: 'specific', cidr: c('10.0.4.0/24') }), SubnetAllocationError);
    }
    assert.throws(() => allocateFromPool(pool(), [], [], { kind: 'specific', cidr: c('10.2.0.0/24') }), SubnetAllocationError);
  });

  test("the quota counts the owner's allocations in /32 units; 0 means none", () => {
    const q = pool({ defaultQuota: 256 });
    assert.equal(formatCidr(allocateFromPool(q, [], [], { kind: 'any', prefixlen: 24 })), '10.1.0.0/24');
    assert.throws(() => allocateFromPool(q, [c('10.1.0.0/24')], [c('10.1.0.0/24')], { kind: 'any', prefixlen: 32 }), SubnetPoolQuotaExceeded);
    // Someone else's allocation does not count against the owner.
    allocateFromPool(q, [c('10.1.0.0/24')], [], { kind: 'any', prefixlen: 24 });
    allocateFromPool(pool({ defaultQuota: 0 }), [c('10.1.0.0/24')], [c('10.1.0.0/24')], { kind: 'any', prefixlen: 24 });
  });
});
