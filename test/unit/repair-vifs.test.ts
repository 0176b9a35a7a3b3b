/**
 * The port-recovery plan (src/compute/repair, `nimbus repair-vifs`): a host plugged by
 * the real VIF driver has nothing to repair; a host broken in each way yields the right
 * finding, its commands restore it, and a second plan is empty. A fully missing VIF
 * yields the seed's own `sudo nova-rootwrap` lines (§3.1 log, §4.1 script).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { seededRandom } from '../../src/common/clock.js';
import { loadConfig } from '../../src/common/config.js';
import type { VIF } from '../../src/compute/network/model.js';
import { type Difference, type RepairPlan, formatPlan, isEmptyPlan, planCommands, repairPlan } from '../../src/compute/repair/index.js';
import { attachGuestTap, devName, plugVif, runHostCommand, vifDeviceNames } from '../../src/compute/virt/vif.js';
import { CommandFailed, type SimulatedHostNetwork, simulatedHost } from '../../src/hostnet/index.js';

const PORT = '5ad4a2c6-c1f7-4c7f-9d0e-3b1f2a6b9c01';
const INSTANCE = '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a00';
const MAC = 'fa:16:3e:4c:2a:9b';
const OTHER_PORT = '9e8d7c6b-5a49-4838-8271-605f4e3d2c1b';

function vif(id = PORT, address = MAC, mtu: number | null = null): VIF {
  return {
    id,
    address,
    network: { id: 'net-1', bridge: 'br-int', label: 'private', subnets: [], meta: { injected: false, tenant_id: 't', mtu } },
    type: 'ovs',
    details: { port_filter: true, ovs_hybrid_plug: true, datapath_type: 'system', bridge_name: 'br-int' },
    devname: devName(id, 'tap'),
    ovs_interfaceid: id,
    qbh_params: null,
    qbg_params: null,
    active: true,
    vnic_type: 'normal',
    profile: {},
    preserve_on_delete: false,
    delegate_create: false,
    meta: {},
  };
}

const cfg = loadConfig({});
const N = vifDeviceNames(PORT);

/** A host with one running guest whose hybrid VIF the real driver plugged. */
async function pluggedHost(v = vif()): Promise<SimulatedHostNetwork> {
  const host = simulatedHost(cfg, 'compute1', { random: seededRandom(7) });
  await plugVif(host, INSTANCE, v);
  await attachGuestTap(host, v);
  return host;
}

const planFor = (host: SimulatedHostNetwork, v = vif()): RepairPlan => repairPlan(host.snapshot(), [{ uuid: INSTANCE, networkInfo: [v] }]);
const kinds = (plan: RepairPlan): string[] => [...plan.vifs.flatMap((x) => x.differences), ...plan.stale].map((d) => d.kind);

async function apply(host: SimulatedHostNetwork, plan: RepairPlan): Promise<void> {
  for (const cmd of planCommands(plan)) await runHostCommand(host, cmd);
}

/** Breaks the host, then checks the findings, that the plan repairs it, and that a second plan is empty. */
async function breakAndRepair(breakIt: string[][], expectedKinds: string[], v = vif()): Promise<RepairPlan> {
  const host = await pluggedHost(v);
  const pristine = host.snapshot();
  for (const argv of breakIt) await host.execute(argv);
  const plan = planFor(host, v);
  assert.deepEqual(kinds(plan), expectedKinds, formatPlan(plan));
  await apply(host, plan);
  const again = planFor(host, v);
  assert.ok(isEmptyPlan(again), formatPlan(again));
  assert.deepEqual(wiring(host.snapshot()), wiring(pristine));
  return plan;
}

/** What matters of a host's wiring (ifindexes and ofports change when devices are re-made). */
function wiring(snap: ReturnType<SimulatedHostNetwork['snapshot']>) {
  return {
    links: snap.links.map(({ name, kind, peer, master, up, promisc, mtu }) => ({ name, kind, peer, master, up, promisc, mtu })).sort((a, b) => a.name.localeCompare(b.name)),
    bridges: snap.linuxBridges.map((b) => ({ ...b, ports: [...b.ports].sort() })),
    ovs: snap.ovsBridges.map((b) => ({ name: b.name, ports: b.ports.map((p) => ({ name: p.name, ids: p.interfaces.map((i) => i.externalIds) })) })),
  };
}

describe('repair-vifs plan', () => {
  it('is empty for a host the VIF driver plugged', async () => {
    const host = await pluggedHost();
    const plan = planFor(host);
    assert.ok(isEmptyPlan(plan), formatPlan(plan));
    assert.equal(formatPlan(plan), 'compute1: every VIF matches, nothing stale\n');
  });

  it('rebuilds a deleted qbr and puts qvb and the tap back in it', async () => {
    const plan = await breakAndRepair([['ip', 'link', 'set', N.qbr, 'down'], ['brctl', 'delbr', N.qbr]], ['missing-bridge', 'link-down', 'veth-not-in-bridge', 'tap-not-in-bridge']);
    assert.deepEqual(
      planCommands(plan).map((c) => c.argv.join(' ')),
      [`brctl addbr ${N.qbr}`, `brctl setfd ${N.qbr} 0`, `brctl stp ${N.qbr} off`, `tee /sys/class/net/${N.qbr}/bridge/multicast_snooping`, `ip link set ${N.qbr} up`, `brctl addif ${N.qbr} ${N.qvb}`, `brctl addif ${N.qbr} ${N.tap}`],
    );
  });

  it('puts a qvo removed from br-int back with its external ids', async () => {
    const plan = await breakAndRepair([['ovs-vsctl', 'del-port', 'br-int', N.qvo]], ['missing-ovs-port']);
    const d = plan.vifs[0]!.differences[0]!;
    assert.deepEqual(d, { ...d, kind: 'missing-ovs-port', device: N.qvo, bridge: 'br-int', actualBridge: null });
    assert.deepEqual(d.commands.map((c) => c.line), [
      `sudo nova-rootwrap /etc/nova/rootwrap.conf ovs-vsctl -- --if-exists del-port ${N.qvo} -- add-port br-int ${N.qvo} -- set Interface ${N.qvo} external-ids:iface-id=${PORT} external-ids:iface-status=active external-ids:attached-mac=${MAC} external-ids:vm-uuid=${INSTANCE}`,
    ]);
  });

  it('sets only the wrong external ids', async () => {
    const plan = await breakAndRepair([['ovs-vsctl', 'set', 'Interface', N.qvo, 'external-ids:iface-id=deadbeef', 'external-ids:attached-mac=fa:16:3e:00:00:01']], ['wrong-external-ids']);
    const d = plan.vifs[0]!.differences[0]! as Extract<Difference, { kind: 'wrong-external-ids' }>;
    assert.deepEqual(d.expected, { 'iface-id': PORT, 'attached-mac': MAC });
    assert.deepEqual(d.actual, { 'iface-id': 'deadbeef', 'attached-mac': 'fa:16:3e:00:00:01' });
    assert.deepEqual(d.commands.map((c) => c.argv), [['ovs-vsctl', 'set', 'Interface', N.qvo, `external-ids:iface-id=${PORT}`, `external-ids:attached-mac=${MAC}`]]);
  });

  it('re-makes a deleted veth pair, its bridge membership and its OVS port', async () => {
    await breakAndRepair([['ip', 'link', 'delete', N.qvb]], ['missing-veth', 'veth-not-in-bridge', 'missing-ovs-port']);
  });

  it('fixes a down, non-promiscuous or wrong-MTU veth end', async () => {
    await breakAndRepair(
      [['ip', 'link', 'set', N.qvo, 'down'], ['ip', 'link', 'set', N.qvb, 'promisc', 'off'], ['ip', 'link', 'set', N.qvb, 'mtu', '1500']],
      ['not-promisc', 'wrong-mtu', 'link-down'],
      vif(PORT, MAC, 1450),
    );
  });

  it('finds the qbr/qvb/qvo and br-int port of a port no instance has, and removes them as nova unplugs', async () => {
    const host = await pluggedHost();
    const pristine = host.snapshot();
    await plugVif(host, 'a-crashed-instance', vif(OTHER_PORT, 'fa:16:3e:11:22:33'));
    const o = vifDeviceNames(OTHER_PORT);
    const plan = planFor(host);
    assert.equal(plan.vifs.length, 0);
    assert.equal(plan.stale.length, 1);
    const d = plan.stale[0]! as Extract<Difference, { kind: 'stale-devices' }>;
    assert.equal(d.portIdPrefix, OTHER_PORT.slice(0, 11));
    assert.deepEqual(d.devices, [o.qbr, o.qvb, o.qvo]);
    assert.deepEqual(d.ovsPorts, [o.qvo]);
    assert.deepEqual(d.commands.map((c) => c.argv.join(' ')), [`brctl delif ${o.qbr} ${o.qvb}`, `ip link set ${o.qbr} down`, `brctl delbr ${o.qbr}`, `ovs-vsctl --if-exists del-port br-int ${o.qvo}`, `ip link delete ${o.qvo}`]);
    // A port neutron still binds here is not stale.
    assert.equal(repairPlan(host.snapshot(), [{ uuid: INSTANCE, networkInfo: [vif()] }], { knownPortIds: [OTHER_PORT] }).stale.length, 0);
    await apply(host, plan);
    assert.ok(isEmptyPlan(planFor(host)));
    assert.deepEqual(wiring(host.snapshot()), wiring(pristine));
  });

  it('checks a plain OVS VIF by its tap port on br-int', async () => {
    const plain: VIF = { ...vif(), details: { port_filter: true, ovs_hybrid_plug: false } };
    const host = await pluggedHost(plain);
    assert.ok(isEmptyPlan(planFor(host, plain)), formatPlan(planFor(host, plain)));
    await host.execute(['ovs-vsctl', 'set', 'Interface', N.tap, 'external-ids:iface-id=x']);
    assert.deepEqual(kinds(planFor(host, plain)), ['wrong-external-ids']);
    await host.execute(['ovs-vsctl', 'del-port', N.tap]);
    const plan = planFor(host, plain);
    assert.deepEqual(planCommands(plan).map((c) => c.argv), [['ovs-vsctl', '--', '--if-exists', 'del-port', N.tap, '--', 'add-port', 'br-int', N.tap, '--', 'set', 'Interface', N.tap, `external-ids:iface-id=${PORT}`, 'external-ids:iface-status=active', `external-ids:attached-mac=${MAC}`, `external-ids:vm-uuid=${INSTANCE}`]]);
    await apply(host, plan);
    assert.ok(isEmptyPlan(planFor(host, plain)));
  });

  it('reports a VIF nova cannot plug without commands', () => {
    const host = simulatedHost(cfg, 'compute1', { random: seededRandom(7) });
    const plan = repairPlan(host.snapshot(), [{ uuid: INSTANCE, networkInfo: [{ ...vif(), type: 'binding_failed' }] }]);
    assert.deepEqual(plan.vifs[0]!.differences, [{ kind: 'unpluggable-vif', portId: PORT, vifType: 'binding_failed', commands: [] }]);
  });

  it('restores any subset of broken devices in one application (property)', async () => {
    const breakages: Record<string, string[][]> = {
      qbr: [['ip', 'link', 'set', N.qbr, 'down'], ['brctl', 'delbr', N.qbr]],
      veth: [['ip', 'link', 'delete', N.qvo]],
      ovsPort: [['ovs-vsctl', '--if-exists', 'del-port', N.qvo]],
      ids: [['ovs-vsctl', 'set', 'Interface', N.qvo, 'external-ids:vm-uuid=x', 'external-ids:iface-status=down']],
      qvbOut: [['brctl', 'delif', N.qbr, N.qvb]],
      tapOut: [['brctl', 'delif', N.qbr, N.tap]],
      qvoDown: [['ip', 'link', 'set', N.qvo, 'down']],
      mtu: [['ip', 'link', 'set', N.qvo, 'mtu', '1400']],
      tapOnOtherBridge: [['brctl', 'delif', N.qbr, N.tap], ['brctl', 'addbr', 'qbrdeadbeef-00'], ['brctl', 'addif', 'qbrdeadbeef-00', N.tap]],
      stale: [['brctl', 'addbr', 'qbr0badc0de-11'], ['ip', 'link', 'add', 'qvb0badc0de-11', 'type', 'veth', 'peer', 'name', 'qvo0badc0de-11'], ['ovs-vsctl', 'add-port', 'br-int', 'qvo0badc0de-11']],
    };
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(Object.keys(breakages)), fc.constantFrom(null, 1450), async (picked, mtu) => {
        const v = vif(PORT, MAC, mtu);
        const host = await pluggedHost(v);
        const pristine = wiring(host.snapshot());
        // Without a network MTU nova sets none, so a changed MTU is nothing to repair.
        for (const argv of picked.filter((k) => mtu || k !== 'mtu').flatMap((k) => breakages[k]!)) {
          // An earlier breakage may already have taken the device away.
          await host.execute(argv).catch((e: unknown) => {
            if (!(e instanceof CommandFailed)) throw e;
          });
        }
        await apply(host, planFor(host, v));
        const again = planFor(host, v);
        assert.ok(isEmptyPlan(again), `${picked.join(',')}:\n${formatPlan(again)}`);
        assert.deepEqual(wiring(host.snapshot()), pristine);
      }),
      { numRuns: 60, seed: 12 },
    );
  });
});

describe('repair-vifs against the seed', () => {
  // The seed's boot (§3.1) and its port-recovery script (§4.1).
  const SEED_PORT = '2cbc7875-b460-4c59-b87f-078e1ff1d5b6';
  const SEED_VM = '74f3bd67-4362-477d-b700-c10866dea8a6';
  const SEED_MAC = 'fa:16:3e:d9:e1:2f';
  const R = 'sudo nova-rootwrap /etc/nova/rootwrap.conf';
  const OVS_LINE = `${R} ovs-vsctl --timeout=120 -- --if-exists del-port qvo2cbc7875-b4 -- add-port br-int qvo2cbc7875-b4 -- set Interface qvo2cbc7875-b4 external-ids:iface-id=${SEED_PORT} external-ids:iface-status=active external-ids:attached-mac=${SEED_MAC} external-ids:vm-uuid=${SEED_VM}`;
  /** The plug commands of the seed's boot log (§3.1), verbatim. */
  const SEED_BOOT_LOG = [
    `${R} brctl addbr qbr2cbc7875-b4`,
    `${R} brctl setfd qbr2cbc7875-b4 0`,
    `${R} brctl stp qbr2cbc7875-b4 off`,
    `${R} tee /sys/class/net/qbr2cbc7875-b4/bridge/multicast_snooping`,
    `${R} ip link add qvb2cbc7875-b4 type veth peer name qvo2cbc7875-b4`,
    `${R} ip link set qvb2cbc7875-b4 up`,
    `${R} ip link set qvb2cbc7875-b4 promisc on`,
    `${R} ip link set qvo2cbc7875-b4 up`,
    `${R} ip link set qvo2cbc7875-b4 promisc on`,
    `${R} ip link set qbr2cbc7875-b4 up`,
    `${R} brctl addif qbr2cbc7875-b4 qvb2cbc7875-b4`,
    OVS_LINE,
  ];
  /** What the §4.1 script echoes for this port (its ${qbr}... substituted). */
  const SEED_SCRIPT = [
    `${R} brctl addbr qbr2cbc7875-b4`,
    `${R} brctl setfd qbr2cbc7875-b4 0`,
    `${R} brctl stp qbr2cbc7875-b4 off`,
    `${R} ip link add qvb2cbc7875-b4 type veth peer name qvo2cbc7875-b4`,
    `${R} ip link set qvb2cbc7875-b4 up`,
    `${R} ip link set qvb2cbc7875-b4 promisc on`,
    `${R} ip link set qvo2cbc7875-b4 up`,
    `${R} ip link set qvo2cbc7875-b4 promisc on`,
    `${R} ip link set qbr2cbc7875-b4 up`,
    `${R} brctl addif qbr2cbc7875-b4 qvb2cbc7875-b4`,
    `${R} brctl addif qbr2cbc7875-b4 tap2cbc7875-b4`,
    OVS_LINE,
  ];
  // Nimbus's driver runs the DESIGN §3 form of the ovs-vsctl line, without nova's old
  // `--timeout=120` global option (ovs_vsctl_timeout); the devices and columns are the same.
  const withoutTimeout = (lines: string[]) => lines.map((l) => l.replace(' ovs-vsctl --timeout=120 ', ' ovs-vsctl '));
  const seedVif = (): VIF => vif(SEED_PORT, SEED_MAC);
  const seedPlan = (host: SimulatedHostNetwork) => repairPlan(host.snapshot(), [{ uuid: SEED_VM, networkInfo: [seedVif()] }]);

  it('a VIF missing everything before the guest starts prints the boot log plug commands', async () => {
    const host = simulatedHost(cfg, 'compute1', { random: seededRandom(7) });
    const plan = seedPlan(host);
    assert.deepEqual(planCommands(plan).map((c) => c.line), withoutTimeout(SEED_BOOT_LOG));
    await apply(host, plan);
    assert.ok(isEmptyPlan(seedPlan(host)));
  });

  it('a running guest whose VIF wiring is gone prints the §4.1 script lines (plus the multicast_snooping tee nova runs)', async () => {
    const host = simulatedHost(cfg, 'compute1', { random: seededRandom(7) });
    await host.execute(['ip', 'tuntap', 'add', 'dev', 'tap2cbc7875-b4', 'mode', 'tap']);
    await host.execute(['ip', 'link', 'set', 'tap2cbc7875-b4', 'up']);
    const plan = seedPlan(host);
    const lines = planCommands(plan).map((c) => c.line);
    // The script leaves out the tee that nova's plug runs (and the boot log shows).
    assert.deepEqual(
      lines.filter((l) => !l.includes(' tee ')),
      withoutTimeout(SEED_SCRIPT),
    );
    assert.equal(lines[3], `${R} tee /sys/class/net/qbr2cbc7875-b4/bridge/multicast_snooping`);
    await apply(host, plan);
    assert.ok(isEmptyPlan(seedPlan(host)));
  });
});
