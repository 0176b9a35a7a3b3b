import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../src/common/clock.js';
import {
  chooseAddress,
  firstFree,
  formatIp,
  generatePools,
  ipInPools,
  parseCidr,
  parseIp,
  randomBelow,
  randomCandidates,
  type IpRange,
} from '../../src/network/ipam/index.js';

const pools = (c: string, gw: string | null): IpRange[] =>
  generatePools(parseCidr(c)!, gw === null ? null : parseIp(gw)!.value);
const v4 = (t: string) => parseIp(t)!.value;

/** An in-memory allocation table answering the queries chooseAddress makes, counting them. */
function table(initial: Iterable<bigint> = []) {
  const rows = new Set(initial);
  const calls = { isAllocated: 0, listAllocated: 0 };
  return {
    rows,
    calls,
    isAllocated: async (cands: bigint[]) => {
      calls.isAllocated++;
      return new Set(cands.filter((c) => rows.has(c)));
    },
    listAllocated: async () => {
      calls.listAllocated++;
      return [...rows];
    },
  };
}

describe('ipam random candidates', () => {
  it('draws distinct addresses inside the pools, deterministically for a seed', () => {
    const p = pools('10.0.0.0/24', '10.0.0.128');
    const a = randomCandidates(p, 50, seededRandom(1));
    assert.equal(a.length, 50);
    assert.equal(new Set(a).size, 50);
    for (const x of a) assert.ok(ipInPools({ version: 4, value: x }, p), formatIp(x, 4));
    assert.deepEqual(randomCandidates(p, 50, seededRandom(1)), a);
  });

  it('returns the whole pool when asked for more than it holds', () => {
    const p = pools('10.0.0.0/29', '10.0.0.1');
    const all = randomCandidates(p, 100, seededRandom(2)).sort((x, y) => Number(x - y));
    assert.deepEqual(all.map((x) => formatIp(x, 4)), ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    assert.deepEqual(randomCandidates([], 5, seededRandom(2)), []);
  });

  it('covers an IPv6 /64 uniformly enough to reach its high half', () => {
    const p = pools('2001:db8::/64', '2001:db8::');
    const base = parseIp('2001:db8::')!.value;
    const c = randomCandidates(p, 200, seededRandom(3));
    assert.equal(new Set(c).size, 200);
    assert.ok(c.every((x) => x > base && x <= base + (1n << 64n) - 1n));
    assert.ok(c.some((x) => x - base > 1n << 63n));
    assert.ok(c.some((x) => x - base < 1n << 63n));
  });

  it('randomBelow stays in range for big bounds', () => {
    const r = seededRandom(4);
    for (let i = 0; i < 200; i++) {
      const n = (1n << 64n) + 12345n;
      const v = randomBelow(n, r);
      assert.ok(v >= 0n && v < n);
    }
  });
});

describe('ipam firstFree', () => {
  it('walks the pools in order skipping allocations', () => {
    const p = pools('10.0.0.0/24', '10.0.0.1');
    assert.equal(firstFree(p, []), v4('10.0.0.2'));
    assert.equal(firstFree(p, [v4('10.0.0.1'), v4('10.0.0.2'), v4('10.0.0.2'), v4('10.0.0.3'), v4('10.0.0.9')]), v4('10.0.0.4'));
    const two: IpRange[] = [
      { version: 4, first: v4('10.0.0.10'), last: v4('10.0.0.11') },
      { version: 4, first: v4('10.0.0.2'), last: v4('10.0.0.3') },
    ];
    assert.equal(firstFree(two, [v4('10.0.0.10'), v4('10.0.0.11')]), v4('10.0.0.2'));
    assert.equal(firstFree(two, [v4('10.0.0.2'), v4('10.0.0.3'), v4('10.0.0.10'), v4('10.0.0.11')]), null);
  });
});

describe('ipam chooseAddress', () => {
  it('returns null when the pools are exhausted', async () => {
    const p = pools('10.0.0.0/29', '10.0.0.1');
    const t = table([2n, 3n, 4n, 5n, 6n].map((n) => v4('10.0.0.0') + n));
    assert.equal(await chooseAddress(p, t.isAllocated, t.listAllocated, 5n, seededRandom(5)), null);
  });

  it('does not trust an overcounted table: an allocation outside the pools leaves room', async () => {
    const p = pools('10.0.0.0/29', '10.0.0.1');
    // The router holds the gateway (outside the pools); 4 of the 5 pool addresses are taken.
    const t = table(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'].map(v4));
    assert.equal(await chooseAddress(p, t.isAllocated, t.listAllocated, 5n, seededRandom(5)), v4('10.0.0.6'));
  });

  it('fills a small subnet completely without duplicates', async () => {
    const p = pools('10.0.0.0/26', '10.0.0.1');
    const t = table();
    const r = seededRandom(6);
    for (let i = 0; i < 61; i++) {
      const a = await chooseAddress(p, t.isAllocated, t.listAllocated, BigInt(t.rows.size), r);
      assert.ok(a !== null && !t.rows.has(a) && ipInPools({ version: 4, value: a }, p));
      t.rows.add(a);
    }
    assert.equal(await chooseAddress(p, t.isAllocated, t.listAllocated, BigInt(t.rows.size), r), null);
  });

  it('prefers the first free address when asked (DHCP ports)', async () => {
    const p = pools('10.0.0.0/24', '10.0.0.1');
    const t = table([v4('10.0.0.2')]);
    assert.equal(await chooseAddress(p, t.isAllocated, t.listAllocated, 1n, seededRandom(7), { preferNext: true }), v4('10.0.0.3'));
  });

  it('keeps a /16 with 10,000 ports at one lookup per port, no full scans', async () => {
    const p = pools('10.1.0.0/16', '10.1.0.1');
    const t = table();
    const r = seededRandom(8);
    for (let i = 0; i < 10_000; i++) {
      const a = await chooseAddress(p, t.isAllocated, t.listAllocated, BigInt(t.rows.size), r);
      assert.ok(a !== null && !t.rows.has(a));
      t.rows.add(a);
    }
    assert.equal(t.calls.listAllocated, 0);
    assert.equal(t.calls.isAllocated, 10_000);
  });

  it('falls back to a scan when every random candidate is taken', async () => {
    const p = pools('10.0.0.0/24', '10.0.0.1');
    // All but the last address allocated, but the count claims the subnet is nearly empty.
    const taken = [];
    for (let x = v4('10.0.0.2'); x < v4('10.0.0.254'); x++) taken.push(x);
    const t = table(taken);
    assert.equal(await chooseAddress(p, t.isAllocated, t.listAllocated, 0n, seededRandom(9), { batch: 4 }), v4('10.0.0.254'));
    assert.equal(t.calls.listAllocated, 1);
  });
});
