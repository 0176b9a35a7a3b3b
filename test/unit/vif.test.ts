/**
 * nova's OVS VIF driver on a simulated host: the exact command sequences of DESIGN §3
 * and §4, the devices they leave, idempotent re-plugs, unplugs of what is missing, and
 * nova's errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../src/common/clock.js';
import { loadConfig } from '../../src/common/config.js';
import type { VIF } from '../../src/compute/network/model.js';
import { VirtualInterfacePlugException, VirtualInterfaceUnplugException } from '../../src/compute/virt/errors.js';
import { attachGuestTap, detachGuestTap, plugVif, tapName, unplugVif, vifDeviceNames } from '../../src/compute/virt/vif.js';
import { type ExecuteOptions, type HostNetwork, type SimulatedHostNetwork, simulatedHost } from '../../src/hostnet/index.js';
import { hybridOvsVif } from '../helpers/vif-fixture.js';

const PORT = '5ad4a2c6-c1f7-4c7f-9d0e-3b1f2a6b9c01';
const INSTANCE = '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a00';
const MAC = 'fa:16:3e:4c:2a:9b';

function vif(overrides: Partial<VIF> = {}, mtu: number | null = null): VIF {
  return { ...hybridOvsVif({ id: PORT, address: MAC, mtu }), ...overrides };
}

/** A HostNetwork that records every command it passes on. */
function recording(inner: SimulatedHostNetwork): HostNetwork & { log: string[][] } {
  const log: string[][] = [];
  return {
    host: inner.host,
    log,
    execute(argv: string[], opts?: ExecuteOptions) {
      log.push(opts?.input !== undefined ? [...argv, `<<${opts.input}`] : argv);
      return inner.execute(argv, opts);
    },
    onInterfaceChange: (l) => inner.onInterfaceChange(l),
    snapshot: () => inner.snapshot(),
  };
}

const cfg = loadConfig({});
const newHost = () => simulatedHost(cfg, 'compute1', { random: seededRandom(5) });
const N = vifDeviceNames(PORT);
const IDS = [`external-ids:iface-id=${PORT}`, 'external-ids:iface-status=active', `external-ids:attached-mac=${MAC}`, `external-ids:vm-uuid=${INSTANCE}`];
/** What nova checks and does, in order, to plug a hybrid VIF (DESIGN §3). */
const HYBRID_PLUG = [
  ['ip', 'link', 'show', N.qbr],
  ['brctl', 'addbr', N.qbr],
  ['brctl', 'setfd', N.qbr, '0'],
  ['brctl', 'stp', N.qbr, 'off'],
  ['tee', `/sys/class/net/${N.qbr}/bridge/multicast_snooping`, '<<0'],
  ['ip', 'link', 'show', N.qvo],
  ['ip', 'link', 'add', N.qvb, 'type', 'veth', 'peer', 'name', N.qvo],
  ['ip', 'link', 'set', N.qvb, 'up'],
  ['ip', 'link', 'set', N.qvb, 'promisc', 'on'],
  ['ip', 'link', 'set', N.qvo, 'up'],
  ['ip', 'link', 'set', N.qvo, 'promisc', 'on'],
  ['ip', 'link', 'set', N.qbr, 'up'],
  ['brctl', 'addif', N.qbr, N.qvb],
  ['ovs-vsctl', '--', '--if-exists', 'del-port', N.qvo, '--', 'add-port', 'br-int', N.qvo, '--', 'set', 'Interface', N.qvo, ...IDS],
];

describe('device names', () => {
  it('are the prefix and the port id, cut to 14 characters', () => {
    assert.deepEqual(vifDeviceNames(PORT), { tap: 'tap5ad4a2c6-c1', qbr: 'qbr5ad4a2c6-c1', qvb: 'qvb5ad4a2c6-c1', qvo: 'qvo5ad4a2c6-c1' });
    assert.equal(tapName(vif({ devname: '' })), 'tap5ad4a2c6-c1');
    assert.equal(tapName(vif({ devname: 'tapcustom' })), 'tapcustom');
  });
});

describe('hybrid plug', () => {
  it('runs exactly the DESIGN §3 sequence and builds qbr/qvb/qvo on br-int', async () => {
    const sim = newHost();
    const h = recording(sim);
    await plugVif(h, INSTANCE, vif());
    assert.deepEqual(h.log, HYBRID_PLUG);
    const snap = sim.snapshot();
    assert.deepEqual(snap.linuxBridges, [{ name: N.qbr, stp: false, forwardDelay: 0, multicastSnooping: false, ports: [N.qvb] }]);
    const link = (n: string) => snap.links.find((l) => l.name === n)!;
    assert.deepEqual([link(N.qbr).kind, link(N.qbr).up], ['bridge', true]);
    assert.deepEqual([link(N.qvb).kind, link(N.qvb).peer, link(N.qvb).master, link(N.qvb).up, link(N.qvb).promisc], ['veth', N.qvo, N.qbr, true, true]);
    assert.deepEqual([link(N.qvo).kind, link(N.qvo).peer, link(N.qvo).master, link(N.qvo).up, link(N.qvo).promisc], ['veth', N.qvb, 'ovs-system', true, true]);
    const port = snap.ovsBridges.find((b) => b.name === 'br-int')!.ports.find((p) => p.name === N.qvo)!;
    assert.equal(port.tag, null, 'the agent sets the tag later');
    assert.deepEqual(port.interfaces[0]!.externalIds, { 'iface-id': PORT, 'iface-status': 'active', 'attached-mac': MAC, 'vm-uuid': INSTANCE });
    assert.ok(port.interfaces[0]!.ofport > 0);
    assert.ok(!snap.links.some((l) => l.name === N.tap), 'the tap is the guest’s, made when it starts');
  });

  it('sets the network MTU on both veth ends and again on the OVS port', async () => {
    const sim = newHost();
    const h = recording(sim);
    await plugVif(h, INSTANCE, vif({}, 1450));
    const mtus = h.log.filter((a) => a.includes('mtu'));
    assert.deepEqual(mtus, [
      ['ip', 'link', 'set', N.qvb, 'mtu', '1450'],
      ['ip', 'link', 'set', N.qvo, 'mtu', '1450'],
      ['ip', 'link', 'set', N.qvo, 'mtu', '1450'],
    ]);
    assert.ok(h.log.findIndex((a) => a[4] === 'mtu' && a[3] === N.qvb) === h.log.findIndex((a) => a[4] === 'promisc' && a[3] === N.qvb) + 1);
    const snap = sim.snapshot();
    assert.deepEqual(
      [N.qbr, N.qvb, N.qvo].map((n) => snap.links.find((l) => l.name === n)!.mtu),
      [1450, 1450, 1450],
    );
  });

  it('plugging again changes nothing', async () => {
    const sim = newHost();
    await plugVif(sim, INSTANCE, vif());
    const before = sim.snapshot();
    const h = recording(sim);
    await plugVif(h, INSTANCE, vif());
    assert.deepEqual(h.log, [
      ['ip', 'link', 'show', N.qbr],
      ['ip', 'link', 'show', N.qvo],
    ]);
    assert.deepEqual(sim.snapshot(), before);
  });

  it('the guest tap joins qbr when the guest starts and goes with it', async () => {
    const sim = newHost();
    await plugVif(sim, INSTANCE, vif());
    await attachGuestTap(sim, vif());
    let tap = sim.snapshot().links.find((l) => l.name === N.tap)!;
    assert.deepEqual([tap.kind, tap.master, tap.up, tap.mac], ['tap', N.qbr, true, 'fe:16:3e:4c:2a:9b']);
    await attachGuestTap(sim, vif());
    await detachGuestTap(sim, vif());
    await detachGuestTap(sim, vif());
    tap = sim.snapshot().links.find((l) => l.name === N.tap)!;
    assert.equal(tap, undefined);
  });
});

describe('unplug', () => {
  it('runs the DESIGN §4 sequence and leaves the host as it was', async () => {
    const sim = newHost();
    const pristine = sim.snapshot();
    await plugVif(sim, INSTANCE, vif());
    const h = recording(sim);
    await unplugVif(h, INSTANCE, vif());
    assert.deepEqual(
      h.log.filter((a) => a[2] !== 'show'),
      [
        ['brctl', 'delif', N.qbr, N.qvb],
        ['ip', 'link', 'set', N.qbr, 'down'],
        ['brctl', 'delbr', N.qbr],
        ['ovs-vsctl', '--if-exists', 'del-port', 'br-int', N.qvo],
        ['ip', 'link', 'delete', N.qvo],
      ],
    );
    const after = sim.snapshot();
    assert.deepEqual(after.linuxBridges, []);
    assert.deepEqual(
      after.links.map((l) => l.name),
      pristine.links.map((l) => l.name),
    );
    assert.deepEqual(after.ovsBridges, pristine.ovsBridges);
  });

  it('unplugging what is missing succeeds: never plugged, twice, half torn down', async () => {
    const sim = newHost();
    await unplugVif(sim, INSTANCE, vif());
    await plugVif(sim, INSTANCE, vif());
    await unplugVif(sim, INSTANCE, vif());
    await unplugVif(sim, INSTANCE, vif());
    await plugVif(sim, INSTANCE, vif());
    await sim.execute(['ip', 'link', 'delete', N.qvb]);
    await unplugVif(sim, INSTANCE, vif());
    await plugVif(sim, INSTANCE, vif());
    await sim.execute(['ip', 'link', 'set', N.qbr, 'down']);
    await sim.execute(['brctl', 'delbr', N.qbr]);
    await unplugVif(sim, INSTANCE, vif());
    const snap = sim.snapshot();
    assert.ok(!snap.links.some((l) => /^q(br|vb|vo)/.test(l.name)));
    assert.ok(!snap.ovsBridges.some((b) => b.ports.some((p) => p.name === N.qvo)));
  });
});

describe('plain OVS plug', () => {
  const plain = () => vif({ details: { port_filter: true, ovs_hybrid_plug: false, datapath_type: 'system', bridge_name: 'br-int' } });

  it('adds the tap to br-int with the same external ids, and removes it', async () => {
    const sim = newHost();
    const h = recording(sim);
    await plugVif(h, INSTANCE, plain());
    assert.deepEqual(h.log, [['ovs-vsctl', '--', '--if-exists', 'del-port', N.tap, '--', 'add-port', 'br-int', N.tap, '--', 'set', 'Interface', N.tap, ...IDS]]);
    let port = sim.snapshot().ovsBridges[0]!.ports.find((p) => p.name === N.tap)!;
    assert.equal(port.interfaces[0]!.ofport, -1, 'no tap until the guest starts');
    await attachGuestTap(sim, plain());
    port = sim.snapshot().ovsBridges[0]!.ports.find((p) => p.name === N.tap)!;
    assert.ok(port.interfaces[0]!.ofport > 0);
    assert.deepEqual(sim.snapshot().linuxBridges, []);
    h.log.length = 0;
    await unplugVif(h, INSTANCE, plain());
    assert.deepEqual(
      h.log.filter((a) => a[2] !== 'show'),
      [
        ['ovs-vsctl', '--if-exists', 'del-port', 'br-int', N.tap],
        ['ip', 'link', 'delete', N.tap],
      ],
    );
  });
});

describe("nova's errors", () => {
  it('unexpected vif types', async () => {
    const sim = newHost();
    for (const type of ['binding_failed', 'unbound', 'bridge']) {
      await assert.rejects(plugVif(sim, INSTANCE, vif({ type })), (e: unknown) => {
        assert.ok(e instanceof VirtualInterfacePlugException);
        assert.equal(e.message, `Plug VIF failed because of unexpected vif_type=${type}`);
        assert.equal(e.status, 500);
        return true;
      });
    }
    await assert.rejects(unplugVif(sim, INSTANCE, vif({ type: 'binding_failed' })), VirtualInterfaceUnplugException);
  });

  it('a failing command becomes VirtualInterfacePlugException with os-vif’s text', async () => {
    const sim = newHost();
    sim.setOvsdbAvailable(false);
    await assert.rejects(plugVif(sim, INSTANCE, vif()), (e: unknown) => {
      assert.ok(e instanceof VirtualInterfacePlugException);
      assert.match(e.message, /^Failure running os_vif plugin plug method: Failed to plug VIF VIFBridge\(active=False,address=fa:16:3e:4c:2a:9b,.*id=5ad4a2c6-c1f7-4c7f-9d0e-3b1f2a6b9c01,.*\)\. Got error: Unexpected error while running command\.\nCommand: ovs-vsctl -- --if-exists del-port qvo5ad4a2c6-c1/);
      assert.match(e.message, /database connection failed/);
      return true;
    });
    await assert.rejects(unplugVif(sim, INSTANCE, vif()), (e: unknown) => {
      assert.ok(e instanceof VirtualInterfaceUnplugException);
      assert.match(e.message, /^Failed to unplug virtual interface: Failure running os_vif plugin unplug method: Failed to unplug VIF VIFBridge/);
      return true;
    });
    sim.setOvsdbAvailable(true);
    await plugVif(sim, INSTANCE, vif());
  });
});

describe('scale', () => {
  it('a thousand servers plugging one hybrid VIF each', async () => {
    const sim = newHost();
    const vifs = Array.from({ length: 1000 }, (_, i) => vif({ id: `${i.toString(16).padStart(8, '0')}-aaaa-4bbb-8ccc-000000000000`, devname: '' }));
    for (const v of vifs) await plugVif(sim, INSTANCE, v);
    // Their speed is bench/plug.ts's to measure; here only that each got its own bridge.
    assert.equal(sim.snapshot().linuxBridges.length, 1000);
  });
});
