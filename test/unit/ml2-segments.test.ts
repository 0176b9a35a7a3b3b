import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../src/common/log.js';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import {
  FlatNetworkInUse,
  Ml2,
  Ml2ConfigError,
  NoNetworkAvailable,
  TunnelIdInUse,
  VlanIdInUse,
} from '../../src/network/ml2/index.js';
import { type Fixture, ml2Fixture, openTestDb, testConfig } from './ml2-fixtures.js';

const fixtures: Fixture[] = [];
async function fx(...args: Parameters<typeof ml2Fixture>): Promise<Fixture> {
  const f = await ml2Fixture(...args);
  fixtures.push(f);
  return f;
}
after(async () => {
  for (const f of fixtures) await f.close();
});

const countFree = async (f: Fixture, table: 'ml2_vxlan_allocations' | 'ml2_vlan_allocations') =>
  Number(
    (
      await f.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('allocated', '=', 0)
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('ml2 segment allocation', () => {
  it('syncs allocation tables with the configured ranges', async () => {
    const f = await fx({ ml2: { vni_ranges: ['1:10', '20:24'], network_vlan_ranges: ['physnet1:100:104', 'physnet2:7:7'] } });
    assert.equal(await countFree(f, 'ml2_vxlan_allocations'), 15);
    assert.equal(await countFree(f, 'ml2_vlan_allocations'), 6);
  });

  it('allocates a project vxlan segment from vni_ranges with MTU 1450', async () => {
    const f = await fx({ ml2: { vni_ranges: ['100:102'] } });
    const [seg] = await f.ml2.createNetworkSegments(f.db, 'net-1', undefined);
    assert.ok(seg);
    assert.equal(seg.network_type, 'vxlan');
    assert.equal(seg.physical_network, null);
    assert.ok(seg.segmentation_id! >= 100 && seg.segmentation_id! <= 102);
    assert.equal(f.ml2.networkMtu([seg]), 1450);
    assert.deepEqual(f.ml2.extendNetworkDict([seg]), {
      'provider:network_type': 'vxlan',
      'provider:physical_network': null,
      'provider:segmentation_id': seg.segmentation_id,
    });
    const got = await f.ml2.getSegments(f.db, ['net-1', 'net-none']);
    assert.deepEqual(got.get('net-1'), [seg]);
    assert.deepEqual(got.get('net-none'), []);
  });

  it('answers NoNetworkAvailable (503) when the ranges are exhausted, and frees ids on release', async () => {
    const f = await fx({ ml2: { vni_ranges: ['1:2'] } });
    await f.ml2.createNetworkSegments(f.db, 'a', undefined);
    await f.ml2.createNetworkSegments(f.db, 'b', undefined);
    await assert.rejects(f.ml2.createNetworkSegments(f.db, 'c', undefined), (e: unknown) => {
      assert.ok(e instanceof NoNetworkAvailable);
      assert.equal(e.status, 503);
      assert.equal(e.message, 'Unable to create the network. No tenant network is available for allocation.');
      return true;
    });
    await f.ml2.releaseNetworkSegments(f.db, 'a');
    assert.deepEqual((await f.ml2.getSegments(f.db, ['a'])).get('a'), []);
    const [seg] = await f.ml2.createNetworkSegments(f.db, 'c', undefined);
    assert.equal(seg!.network_type, 'vxlan');
  });

  it('falls through tenant_network_types in order', async () => {
    const f = await fx({ ml2: { tenant_network_types: ['vxlan', 'vlan'], vni_ranges: ['5:5'], network_vlan_ranges: ['physnet1:30:30'] } });
    const [a] = await f.ml2.createNetworkSegments(f.db, 'a', undefined);
    const [b] = await f.ml2.createNetworkSegments(f.db, 'b', undefined);
    assert.deepEqual([a!.network_type, a!.segmentation_id], ['vxlan', 5]);
    assert.deepEqual([b!.network_type, b!.physical_network, b!.segmentation_id], ['vlan', 'physnet1', 30]);
    assert.equal(f.ml2.networkMtu([b!]), 1500);
  });

  it('never hands one id to two concurrent creates', async () => {
    const f = await fx({ ml2: { vni_ranges: ['1:40'] } }, 7);
    const segs = await Promise.all(Array.from({ length: 40 }, (_, i) => f.ml2.createNetworkSegments(f.db, `n${i}`, undefined)));
    const ids = segs.map((s) => s[0]!.segmentation_id);
    assert.equal(new Set(ids).size, 40);
    assert.equal(await countFree(f, 'ml2_vxlan_allocations'), 0);
  });

  it('reserves provider vxlan ids, refusing one in use with TunnelIdInUse (409)', async () => {
    const f = await fx({ ml2: { vni_ranges: ['1:10'] } });
    await f.ml2.createNetworkSegments(f.db, 'a', { network_type: 'vxlan', segmentation_id: 5 });
    await assert.rejects(f.ml2.createNetworkSegments(f.db, 'b', { network_type: 'vxlan', segmentation_id: 5 }), (e: unknown) => {
      assert.ok(e instanceof TunnelIdInUse);
      assert.equal(e.status, 409);
      assert.equal(e.message, 'Unable to create the network. The tunnel ID 5 is in use.');
      return true;
    });
  });

  it('creates a row for a provider id outside the ranges and deletes it on release', async () => {
    const f = await fx({ ml2: { vni_ranges: ['1:10'] } });
    await f.ml2.createNetworkSegments(f.db, 'a', { network_type: 'vxlan', segmentation_id: 5000 });
    const row = await f.db.selectFrom('ml2_vxlan_allocations').selectAll().where('vxlan_vni', '=', 5000).executeTakeFirst();
    assert.deepEqual(row, { vxlan_vni: 5000, allocated: 1 });
    await f.ml2.releaseNetworkSegments(f.db, 'a');
    assert.equal(await f.db.selectFrom('ml2_vxlan_allocations').selectAll().where('vxlan_vni', '=', 5000).executeTakeFirst(), undefined);
  });

  it('reserves provider VLANs: given id, partial on a physnet, VlanIdInUse', async () => {
    const f = await fx({ ml2: { network_vlan_ranges: ['physnet1:100:101'] } });
    const [a] = await f.ml2.createNetworkSegments(f.db, 'a', { network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 100 });
    assert.deepEqual([a!.physical_network, a!.segmentation_id], ['physnet1', 100]);
    const [b] = await f.ml2.createNetworkSegments(f.db, 'b', { network_type: 'vlan', physical_network: 'physnet1' });
    assert.equal(b!.segmentation_id, 101);
    await assert.rejects(f.ml2.createNetworkSegments(f.db, 'c', { network_type: 'vlan', physical_network: 'physnet1' }), NoNetworkAvailable);
    await assert.rejects(
      f.ml2.createNetworkSegments(f.db, 'd', { network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 100 }),
      (e: unknown) => {
        assert.ok(e instanceof VlanIdInUse);
        assert.equal(e.message, 'Unable to create the network. The VLAN 100 on physical network physnet1 is in use.');
        return true;
      },
    );
    await f.ml2.releaseNetworkSegments(f.db, 'a');
    await f.ml2.createNetworkSegments(f.db, 'd', { network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 100 });
  });

  it('allows one flat network per physnet (FlatNetworkInUse)', async () => {
    const f = await fx();
    const [s] = await f.ml2.createNetworkSegments(f.db, 'a', { network_type: 'flat', physical_network: 'public' });
    assert.deepEqual([s!.network_type, s!.physical_network, s!.segmentation_id], ['flat', 'public', null]);
    await assert.rejects(f.ml2.createNetworkSegments(f.db, 'b', { network_type: 'flat', physical_network: 'public' }), (e: unknown) => {
      assert.ok(e instanceof FlatNetworkInUse);
      assert.equal(e.message, 'Unable to create the flat network. Physical network public is in use.');
      return true;
    });
    await f.ml2.releaseNetworkSegments(f.db, 'a');
    await f.ml2.createNetworkSegments(f.db, 'b', { network_type: 'flat', physical_network: 'public' });
  });

  it('creates multi-segment networks and shows them as `segments`', async () => {
    const f = await fx({ ml2: { vni_ranges: ['1:10'] } });
    const segs = await f.ml2.createNetworkSegments(f.db, 'm', {
      segments: [
        { network_type: 'vxlan', segmentation_id: 3 },
        { network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 1500 },
      ],
    });
    assert.deepEqual(f.ml2.extendNetworkDict(segs), {
      segments: [
        { 'provider:network_type': 'vxlan', 'provider:physical_network': null, 'provider:segmentation_id': 3 },
        { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 1500 },
      ],
    });
    assert.equal(f.ml2.networkMtu(segs), 1450);
    assert.equal(f.ml2.networkMtu([]), 1500);
  });

  it('keeps allocated ids and drops free ones outside new ranges on re-init', async () => {
    const { db, close } = await openTestDb();
    try {
      const mk = (ranges: string[]) =>
        new Ml2({ cfg: testConfig({ ml2: { vni_ranges: ranges } }), log: silentLogger(), clock: new FakeClock(), random: seededRandom(3) });
      const m1 = mk(['1:5']);
      await m1.init(db);
      await m1.createNetworkSegments(db, 'a', { network_type: 'vxlan', segmentation_id: 4 });
      await mk(['1:2']).init(db);
      const rows = await db.selectFrom('ml2_vxlan_allocations').selectAll().orderBy('vxlan_vni').execute();
      assert.deepEqual(rows, [
        { vxlan_vni: 1, allocated: 0 },
        { vxlan_vni: 2, allocated: 0 },
        { vxlan_vni: 4, allocated: 1 },
      ]);
    } finally {
      await close();
    }
  });

  it('refuses unknown driver names, listing the known ones', async () => {
    const { db, close } = await openTestDb();
    try {
      const mk = (ml2: Parameters<typeof testConfig>[0]) =>
        new Ml2({ cfg: testConfig(ml2), log: silentLogger(), clock: new FakeClock(), random: seededRandom(1) });
      await assert.rejects(mk({ ml2: { mechanism_drivers: ['ovn'] } }).init(db), (e: unknown) => {
        assert.ok(e instanceof Ml2ConfigError);
        assert.match(e.message, /mechanism drivers were not found: ovn \(known: openvswitch, linuxbridge\)/);
        return true;
      });
      await assert.rejects(mk({ ml2: { type_drivers: ['vxlan', 'geneve'] } }).init(db), /type drivers were not found: geneve \(known: local, flat, vlan, vxlan\)/);
      await assert.rejects(mk({ ml2: { type_drivers: ['vlan'] } }).init(db), /No type driver for tenant network_type: vxlan/);
    } finally {
      await close();
    }
  });
});
