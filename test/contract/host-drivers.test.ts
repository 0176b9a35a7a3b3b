/**
 * The two host drivers agree (issue 13): the same hybrid plug, guest tap, unplug and
 * re-plug, run through nova's VIF driver on the simulated host and on a real Linux host
 * with a private Open vSwitch (scripts/ovs-sandbox.sh, netdev datapath), issue the SAME
 * argv and leave the same devices: qbr (forward delay 0, STP off, multicast snooping
 * off) holding qvb and the tap, qvo on br-int with nova's external-ids, the network's
 * MTU; nothing after the unplug. The linux half skips with its reason where root or OVS
 * is missing (never under CI=true as root). Also: the linux driver's start-up check.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { seededRandom } from '../../src/common/clock.js';
import { loadConfig } from '../../src/common/config.js';
import type { VIF } from '../../src/compute/network/model.js';
import { attachGuestTap, deleteGuestNamespace, detachGuestTap, guestNamespace, plugVif, unplugVif, vifDeviceNames } from '../../src/compute/virt/vif.js';
import { CommandFailed, type ExecuteOptions, type HostDevices, type HostNetwork, type InterfaceEvent, type SequencedCommand, simulatedHost } from '../../src/hostnet/index.js';
import { HostDriverConfigError, HostDriverUnavailable, LinuxHostNetwork } from '../../src/hostnet/linux/index.js';
import { closeHostNetworks, createHostNetworks, linuxHostPlaces } from '../../src/hostnet/registry.js';
import { type OvsSandbox, hostLinkNames, linuxHostSkipReason, startOvsSandbox } from '../helpers/ovs.js';
import { type HostNamespaces, namespaceLinkNames, startHostNamespaces } from '../helpers/host-netns.js';
import { waitFor } from '../helpers/wait.js';
import { hybridOvsVif } from '../helpers/vif-fixture.js';
import { BridgeFlows } from '../../src/network/agents/openflow/bridge-flows.js';
import { arpSpoofingFlows, dropPortFlow, dropPortMatch, intDefaultFlows, tunDefaultFlows, tunFloodFlow, tunPortFlow, tunProvisionFlow } from '../../src/network/agents/openflow/tables.js';

// Port ids of their own, so nothing of the machine or another test is touched.
const PORTS = ['c0ffee01-7a39-4c36-b1f4-8a0b3c9a4e11', 'c0ffee02-7a39-4c36-b1f4-8a0b3c9a4e11'];
const INSTANCE = 'c0ffee00-4b5a-4978-8a6b-5c4d3e2f1a00';
const MACS = ['fa:16:3e:c0:ff:01', 'fa:16:3e:c0:ff:02'];
const MTU = 1450;

function vif(i: number): VIF {
  return hybridOvsVif({ id: PORTS[i]!, address: MACS[i]!, mtu: MTU, datapathType: 'netdev' });
}
const VIFS = [vif(0), vif(1)];
const OUR_LINKS = PORTS.flatMap((p) => Object.values(vifDeviceNames(p)));

/** A host that records the argv it is given (inputs appended as <<data). */
function recording(inner: HostNetwork): HostNetwork & { log: string[][] } {
  const log: string[][] = [];
  return {
    host: inner.host,
    guestNamespaces: inner.guestNamespaces,
    log,
    execute(argv: string[], opts?: ExecuteOptions) {
      log.push(opts?.input !== undefined ? [...argv, `<<${opts.input}`] : argv);
      return inner.execute(argv, opts);
    },
    // A host that batches (the linux one) gets the same sequence through executeAll: the argv logged are the same.
    ...(inner.executeAll
      ? {
          executeAll(cmds: readonly SequencedCommand[]) {
            for (const c of cmds) log.push(c.input !== undefined ? [...c.argv, `<<${c.input}`] : c.argv);
            return inner.executeAll!(cmds);
          },
        }
      : {}),
    onInterfaceChange: (l) => inner.onInterfaceChange(l),
    snapshot: () => inner.snapshot(),
  };
}

/** The devices of our VIFs, driver-neutral: the tap is a tuntap on one host and a veth end on the other. */
function view(d: HostDevices) {
  const links = d.links
    .filter((l) => OUR_LINKS.includes(l.name))
    .map((l) => ({ name: l.name, kind: l.name.startsWith('tap') ? 'guest-tap' : l.kind, peer: l.name.startsWith('tap') ? null : l.peer, master: l.master, up: l.up, promisc: l.promisc, mtu: l.mtu, mac: l.name.startsWith('tap') ? l.mac : '' }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const linuxBridges = d.linuxBridges.filter((b) => OUR_LINKS.includes(b.name)).map((b) => ({ ...b, ports: [...b.ports].sort() }));
  const ovsPorts = (d.ovsBridges.find((b) => b.name === 'br-int')?.ports ?? [])
    .filter((p) => OUR_LINKS.includes(p.name))
    .map((p) => ({ name: p.name, tag: p.tag, interfaces: p.interfaces.map((i) => ({ name: i.name, type: i.type, externalIds: i.externalIds, error: i.error })) }));
  return { links, linuxBridges, ovsPorts };
}

interface Run {
  afterPlug: ReturnType<typeof view>;
  afterReplug: ReturnType<typeof view>;
  afterUnplug: ReturnType<typeof view>;
  /** The argv of the plugs, re-plugs and unplugs (the guest's part left out: libvirt's, not nova's). */
  plugArgv: string[][];
  unplugArgv: string[][];
}

/** The contract scenario on one host. */
async function scenario(host: HostNetwork): Promise<Run> {
  const rec = recording(host);
  for (const v of VIFS) await plugVif(rec, INSTANCE, v);
  const plugArgv = [...rec.log];
  for (const [i, v] of VIFS.entries()) await attachGuestTap(rec, v, { instanceUuid: INSTANCE, index: i });
  const afterPlug = view(host.snapshot());
  rec.log.length = 0;
  for (const v of VIFS) await plugVif(rec, INSTANCE, v);
  plugArgv.push(...rec.log);
  const afterReplug = view(host.snapshot());
  for (const v of VIFS) await detachGuestTap(rec, v);
  await deleteGuestNamespace(rec, INSTANCE);
  rec.log.length = 0;
  for (const v of VIFS) await unplugVif(rec, INSTANCE, v);
  const unplugArgv = [...rec.log];
  return { afterPlug, afterReplug, afterUnplug: view(host.snapshot()), plugArgv, unplugArgv };
}

const skip = linuxHostSkipReason();
if (skip) console.log(`# linux host driver tests skipped: ${skip}`);

describe('host drivers: the simulated host and a real linux host agree', () => {
  let simulated: Run;
  let ovs: OvsSandbox | undefined;
  let linux: LinuxHostNetwork | undefined;
  before(async () => {
    simulated = await scenario(simulatedHost(loadConfig({}), 'compute1', { random: seededRandom(5) }));
    if (skip) return;
    ovs = await startOvsSandbox();
    linux = await LinuxHostNetwork.open('compute1', { db: ovs.db });
  });
  after(async () => {
    linux?.close();
    await ovs?.stop();
  });

  it('the simulated plug makes qbr/qvb/qvo/tap, the br-int port with its external-ids, the MTU', () => {
    const { links, linuxBridges, ovsPorts } = simulated.afterPlug;
    const n = vifDeviceNames(PORTS[0]!);
    const by = (name: string) => links.find((l) => l.name === name)!;
    assert.deepEqual(linuxBridges[0], { name: n.qbr, stp: false, forwardDelay: 0, multicastSnooping: false, ports: [n.qvb, n.tap].sort() });
    assert.deepEqual([by(n.qvb).peer, by(n.qvb).master, by(n.qvb).promisc], [n.qvo, n.qbr, true]);
    assert.deepEqual([by(n.qvo).master, by(n.qvo).mtu, by(n.tap).mtu, by(n.tap).master, by(n.tap).mac], ['ovs-system', MTU, MTU, n.qbr, 'fe:16:3e:c0:ff:01']);
    assert.deepEqual(ovsPorts[0]!.interfaces[0]!.externalIds, { 'iface-id': PORTS[0], 'iface-status': 'active', 'attached-mac': MACS[0], 'vm-uuid': INSTANCE });
    assert.equal(links.length, 8);
    assert.deepEqual(simulated.afterReplug, simulated.afterPlug);
    assert.deepEqual(simulated.afterUnplug, { links: [], linuxBridges: [], ovsPorts: [] });
  });

  it('the linux host runs the same plug and unplug argv and ends with the same devices', { skip: skip ?? false }, async () => {
    const real = await scenario(linux!);
    assert.deepEqual(real.plugArgv, simulated.plugArgv);
    assert.deepEqual(real.unplugArgv, simulated.unplugArgv);
    assert.deepEqual(real.afterPlug, simulated.afterPlug);
    assert.deepEqual(real.afterReplug, simulated.afterReplug);
    assert.deepEqual(real.afterUnplug, { links: [], linuxBridges: [], ovsPorts: [] });
    const left = await hostLinkNames();
    assert.deepEqual(left.links.filter((l) => OUR_LINKS.includes(l)), []);
    assert.ok(!left.namespaces.includes(guestNamespace(INSTANCE)));
  });

  it('a guest on the linux host is a namespace holding eth0/eth1 with the ports\' MACs and MTU', { skip: skip ?? false }, async () => {
    for (const v of VIFS) await plugVif(linux!, INSTANCE, v);
    for (const [i, v] of VIFS.entries()) await attachGuestTap(linux!, v, { instanceUuid: INSTANCE, index: i });
    try {
      const out = await linux!.execute(['ip', '-n', guestNamespace(INSTANCE), '-json', 'link', 'show']);
      const nics = (JSON.parse(out) as { ifname: string; address: string; mtu: number; flags: string[] }[]).filter((l) => l.ifname.startsWith('eth')).map((l) => [l.ifname, l.address, l.mtu, l.flags.includes('UP')]);
      assert.deepEqual(nics, [
        ['eth0', MACS[0], MTU, true],
        ['eth1', MACS[1], MTU, true],
      ]);
    } finally {
      for (const v of VIFS) await detachGuestTap(linux!, v);
      await deleteGuestNamespace(linux!, INSTANCE);
      for (const v of VIFS) await unplugVif(linux!, INSTANCE, v);
    }
    assert.ok(!(await hostLinkNames()).namespaces.includes(guestNamespace(INSTANCE)));
  });

  it('the linux host reports the plugged port through the OVSDB monitor, as the simulated one does', { skip: skip ?? false }, async () => {
    const events: InterfaceEvent[] = [];
    const stop = linux!.onInterfaceChange((ev) => events.push(ev));
    try {
      await waitFor('the initial br-int row', async () => (events.some((e) => e.action === 'initial' && e.name === 'br-int') ? true : undefined), 10_000);
      await plugVif(linux!, INSTANCE, VIFS[0]!);
      const qvo = vifDeviceNames(PORTS[0]!).qvo;
      const ins = await waitFor('the insert of qvo with its iface-id', async () => events.find((e) => e.name === qvo && e.action !== 'initial' && e.externalIds['iface-id'] === PORTS[0]), 10_000);
      assert.equal(ins.bridge, 'br-int');
      await unplugVif(linux!, INSTANCE, VIFS[0]!);
      const del = await waitFor('the delete of qvo', async () => events.find((e) => e.name === qvo && e.action === 'delete'), 10_000);
      assert.equal(del.bridge, 'br-int');
    } finally {
      stop();
      await unplugVif(linux!, INSTANCE, VIFS[0]!);
    }
  });
});

describe('a linux host inside a network namespace (several hosts on one machine) agrees with the simulated host', { skip: skip ?? false }, () => {
  let simulated: Run;
  let hosts: HostNamespaces | undefined;
  let linux: LinuxHostNetwork | undefined;
  before(async () => {
    simulated = await scenario(simulatedHost(loadConfig({}), 'compute1', { random: seededRandom(5) }));
    hosts = await startHostNamespaces('nimbus-hd', ['compute1']);
    linux = await LinuxHostNetwork.open('compute1', { db: hosts.hosts[0]!.db, netns: hosts.hosts[0]!.netns });
  });
  after(async () => {
    linux?.close();
    await hosts?.stop();
  });

  it('runs the same plug and unplug argv, its devices in its namespace and none in the root one', async () => {
    const netns = hosts!.hosts[0]!.netns;
    const rootBefore = (await hostLinkNames()).links;
    for (const v of VIFS) await plugVif(linux!, INSTANCE, v);
    for (const [i, v] of VIFS.entries()) await attachGuestTap(linux!, v, { instanceUuid: INSTANCE, index: i });
    const inNs = await namespaceLinkNames(netns);
    assert.deepEqual(OUR_LINKS.filter((l) => !inNs.includes(l)), []);
    assert.deepEqual((await hostLinkNames()).links.filter((l) => OUR_LINKS.includes(l) && !rootBefore.includes(l)), []);
    const nics = JSON.parse(await linux!.execute(['ip', '-n', guestNamespace(INSTANCE), '-json', 'link', 'show', 'eth0'])) as { address: string }[];
    assert.equal(nics[0]!.address, MACS[0]);
    for (const v of VIFS) await detachGuestTap(linux!, v);
    await deleteGuestNamespace(linux!, INSTANCE);
    for (const v of VIFS) await unplugVif(linux!, INSTANCE, v);

    const real = await scenario(linux!);
    assert.deepEqual(real.plugArgv, simulated.plugArgv);
    assert.deepEqual(real.unplugArgv, simulated.unplugArgv);
    assert.deepEqual(real.afterPlug, simulated.afterPlug);
    assert.deepEqual(real.afterReplug, simulated.afterReplug);
    assert.deepEqual(real.afterUnplug, { links: [], linuxBridges: [], ovsPorts: [] });
    assert.deepEqual((await namespaceLinkNames(netns)).filter((l) => OUR_LINKS.includes(l)), []);
    assert.ok(!(await hostLinkNames()).namespaces.includes(guestNamespace(INSTANCE)));
  });

  it('tells a missing host namespace from the start-up check', async () => {
    const e = await LinuxHostNetwork.open('compute1', { db: hosts!.hosts[0]!.db, netns: 'nimbus-hd-no-such-ns' }).catch((x: unknown) => x);
    assert.ok(e instanceof HostDriverUnavailable);
    assert.equal(e.missing, 'netns');
  });
});

const TUN = 'br-hflowtun';

/** dump-flows without its header, statistics and order: what the two drivers must agree on. */
function flowsView(dump: string): string[] {
  return dump
    .split('\n')
    .filter((l) => l.startsWith(' cookie='))
    .map((l) => l.replace(/ duration=[^,]*,/, '').replace(/ n_packets=\d+, n_bytes=\d+,/, '').trim())
    .sort();
}

/** The OVS agent's flow batches on br-int (ovs-ofctl argv and flow files), then what dump-flows shows; a restarted agent's cleanup. */
async function flowScenario(host: HostNetwork) {
  const rec = recording(host);
  const old = new BridgeFlows(rec, 'br-int', '0xc0ffee');
  for (const f of intDefaultFlows()) old.add(f);
  for (const f of arpSpoofingFlows({ ofport: 7, mac: MACS[0]!, fixedIps: ['10.9.0.5', 'fd00::5'], allowedAddressPairs: [{ ip_address: '10.9.0.100', mac_address: MACS[1]! }] })) old.add(f);
  old.add(dropPortFlow(8));
  await old.flush();
  // br-tun's tables on a bridge of their own.
  await rec.execute(['ovs-vsctl', '--', '--may-exist', 'add-br', TUN, '--', 'set', 'Bridge', TUN, 'datapath_type=netdev', 'fail_mode=secure']);
  const tun = new BridgeFlows(rec, TUN, '0xc0ffee');
  for (const f of tunDefaultFlows(1, '0xc0ffee')) tun.add(f);
  tun.add(tunProvisionFlow('vxlan', 3, 1001));
  tun.add(tunFloodFlow(3, 1001, [2, 5]));
  tun.add(tunPortFlow('vxlan', 5));
  await tun.flush();
  const tunFlows = flowsView(await rec.execute(['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', TUN]));
  tun.del('table=22,dl_vlan=3');
  await tun.flush();
  const tunAfterDel = flowsView(await rec.execute(['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', TUN]));
  await rec.execute(['ovs-vsctl', '--if-exists', 'del-br', TUN]);
  let badGoto = { code: 0, stderr: '' };
  try {
    await rec.execute(['ovs-ofctl', '-O', 'OpenFlow13', 'add-flows', 'br-int', '-'], { input: 'table=60,priority=1,actions=goto_table:59\n' });
  } catch (e) {
    assert.ok(e instanceof CommandFailed);
    badGoto = { code: e.exitCode, stderr: e.stderr };
  }
  const first = flowsView(await rec.execute(['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', 'br-int']));
  old.delStrict(dropPortMatch(8));
  old.del('table=24,in_port=7');
  await old.flush();
  const afterEdit = flowsView(await rec.execute(['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', 'br-int']));
  // A restarted agent: its own cookie on the default tables, then every other cookie's flows go.
  const fresh = new BridgeFlows(rec, 'br-int', '0xbeef');
  for (const f of intDefaultFlows()) fresh.add(f);
  const stale = await fresh.cleanupStale();
  const afterRestart = flowsView(await rec.execute(['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', 'br-int']));
  let noBridge = { code: 0, stderr: '' };
  try {
    await rec.execute(['ovs-ofctl', '-O', 'OpenFlow13', 'add-flows', 'br-hflows-none', '-'], { input: 'table=0,priority=0,actions=drop\n' });
  } catch (e) {
    assert.ok(e instanceof CommandFailed);
    noBridge = { code: e.exitCode, stderr: e.stderr };
  }
  // Leave br-int as it was found.
  await rec.execute(['ovs-ofctl', '-O', 'OpenFlow13', 'del-flows', 'br-int']);
  return { argv: rec.log, first, afterEdit, afterRestart, stale, noBridge, tunFlows, tunAfterDel, badGoto };
}

describe('host drivers: ovs-ofctl flows on the simulated host and a real linux host agree', () => {
  let simulated: Awaited<ReturnType<typeof flowScenario>>;
  before(async () => {
    simulated = await flowScenario(simulatedHost(loadConfig({}), 'compute1', { random: seededRandom(5) }));
  });

  it('the simulated host keeps flows per bridge: replaced by identical match, deleted strictly or by match, cleaned by cookie', () => {
    const s = simulated;
    assert.equal(s.first.length, 9 + 10 + 1);
    assert.equal(s.tunFlows.length, 10 + 3);
    assert.ok(s.tunFlows.includes('cookie=0xc0ffee, table=4, priority=1,tun_id=0x3e9 actions=push_vlan:0x8100,set_field:4099->vlan_vid,goto_table:10'), s.tunFlows.join('\n'));
    assert.equal(s.tunAfterDel.length, 12);
    assert.deepEqual(s.badGoto, { code: 1, stderr: 'ovs-ofctl: -:1: actions are invalid with specified match (OFPBIC_BAD_TABLE_ID)\n' });
    assert.ok(s.first.includes('cookie=0xc0ffee, table=0, priority=65535,dl_vlan=4095 actions=drop'), s.first.join('\n'));
    assert.ok(s.first.includes('cookie=0xc0ffee, table=24, priority=2,arp,in_port=7,arp_spa=10.9.0.100 actions=goto_table:25'));
    assert.ok(s.first.includes('cookie=0xc0ffee, table=0, priority=2,in_port=8 actions=drop'));
    assert.equal(s.afterEdit.length, s.first.length - 1 - 5);
    assert.ok(!s.afterEdit.some((l) => l.includes('table=24,') && l.includes('in_port=7')));
    assert.deepEqual(s.stale, ['0xc0ffee']);
    assert.deepEqual(s.afterRestart, intDefaultFlows().map((f) => `cookie=0xbeef, table=${f.table}, priority=${f.priority}${f.match ? `,${f.match}` : ''} actions=${f.actions}`).sort());
    assert.equal(s.noBridge.code, 1);
    assert.equal(s.noBridge.stderr, 'ovs-ofctl: br-hflows-none is not a bridge or a socket\n');
    // One process per batch: flush sends one add-flows with the whole file on stdin.
    assert.equal(s.argv.filter((a) => a[3] === 'add-flows').length, 8);
  });

  it('a real Open vSwitch takes the same argv and shows the same flows', { skip: skip ?? false }, async () => {
    const ovs = await startOvsSandbox();
    const linux = await LinuxHostNetwork.open('compute1', { db: ovs.db });
    try {
      const real = await flowScenario(linux);
      assert.deepEqual(real.argv, simulated.argv);
      assert.deepEqual(real.first, simulated.first);
      assert.deepEqual(real.afterEdit, simulated.afterEdit);
      assert.deepEqual(real.afterRestart, simulated.afterRestart);
      assert.deepEqual(real.stale, simulated.stale);
      assert.deepEqual(real.noBridge, simulated.noBridge);
      assert.deepEqual(real.tunFlows, simulated.tunFlows);
      assert.deepEqual(real.tunAfterDel, simulated.tunAfterDel);
      assert.deepEqual(real.badGoto, simulated.badGoto);
    } finally {
      linux.close();
      await ovs.stop();
    }
  });
});

describe('linux host driver: batched commands fail as the command alone would', { skip: skip ?? false }, () => {
  it('an `ip -batch` failing at its second line: the first is done, the error is that command\'s own', async () => {
    const ovs = await startOvsSandbox();
    const net = await LinuxHostNetwork.open('h', { db: ovs.db });
    const [a, b] = ['qvbc0ffee-ba', 'qvoc0ffee-ba'];
    try {
      const e = await net
        .executeAll([{ argv: ['ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b] }, { argv: ['ip', 'link', 'set', 'nimbus-none', 'up'] }, { argv: ['ip', 'link', 'set', a, 'up'] }])
        .catch((x: unknown) => x);
      assert.ok(e instanceof CommandFailed);
      assert.deepEqual([e.argv, e.exitCode, e.stderr], [['ip', 'link', 'set', 'nimbus-none', 'up'], 1, 'Cannot find device "nimbus-none"\n']);
      // The pair exists (line 1 ran), qvb is still down (line 3 did not).
      const ours = net.snapshot().links.filter((l) => l.name === a || l.name === b);
      assert.deepEqual(ours.map((l) => `${l.name} ${l.up ? 'up' : 'down'}`).sort(), [`${a} down`, `${b} down`]);
    } finally {
      await net.execute(['ip', 'link', 'delete', a]).catch(() => undefined);
      net.close();
      await ovs.stop();
    }
  });
});

describe('linux host driver: a sequence run as netlink, writes and one transaction fails as its commands one by one would', { skip: skip ?? false }, () => {
  const [B, V, O, P] = ['qbrc0ffee-e1', 'qvbc0ffee-e1', 'qvoc0ffee-e1', 'qvoc0ffee-e2'];
  const c = (...argv: string[]): SequencedCommand => ({ argv });
  // Each fails in the translated form (ip -batch, the write, the merged ovs-vsctl) or is left to the tool, and must give the tool's own error.
  const SEQUENCES: [string, SequencedCommand[]][] = [
    ['addbr of an existing device', [c('brctl', 'addbr', 'lo'), c('brctl', 'setfd', 'lo', '0'), c('brctl', 'stp', 'lo', 'off')]],
    ['a bridge into itself', [c('brctl', 'addbr', B), c('brctl', 'addif', B, B)]],
    ['a veth end added twice', [c('brctl', 'addbr', B), c('ip', 'link', 'add', V, 'type', 'veth', 'peer', 'name', O), c('brctl', 'addif', B, V), c('brctl', 'addif', B, V)]],
    ['delbr of a bridge that is up', [c('brctl', 'addbr', B), c('ip', 'link', 'set', B, 'up'), c('brctl', 'delbr', B)]],
    ['delif of a device not in the bridge', [c('brctl', 'addbr', B), c('ip', 'link', 'add', V, 'type', 'veth', 'peer', 'name', O), c('brctl', 'delif', B, V)]],
    ['tee to a missing knob', [{ argv: ['tee', `/sys/class/net/${B}/bridge/multicast_snooping`], input: '0' }]],
    ['an OVSDB transaction whose second command fails (the first stays done)', [c('ovs-vsctl', '--may-exist', 'add-port', 'br-int', P), c('ovs-vsctl', 'del-port', 'br-int', 'qvoc0ffee-none')]],
  ];
  let ovs: OvsSandbox;
  let net: LinuxHostNetwork;
  before(async () => {
    ovs = await startOvsSandbox();
    net = await LinuxHostNetwork.open('h', { db: ovs.db });
  });
  const cleanUp = async () => {
    await net.execute(['ovs-vsctl', '--if-exists', 'del-port', 'br-int', P]);
    for (const d of [V, B]) await net.execute(['ip', 'link', 'delete', d]).catch(() => undefined);
  };
  after(async () => {
    await cleanUp().catch(() => undefined);
    net?.close();
    await ovs?.stop();
  });
  const outcome = async (run: () => Promise<unknown>) => {
    const e = await run().then(() => null, (x: unknown) => x);
    assert.ok(e instanceof CommandFailed, String(e));
    const d = net.snapshot();
    const state = { links: d.links.filter((l) => [B, V, O].includes(l.name)).map((l) => `${l.name} ${l.master ?? '-'} ${l.up}`).sort(), ports: d.ovsBridges.flatMap((b) => b.ports.map((p) => p.name)).filter((p) => p === P) };
    await cleanUp();
    return { error: [e.argv, e.exitCode, e.stderr, e.stdout], state };
  };
  for (const [what, seq] of SEQUENCES) {
    it(what, async () => {
      const oneByOne = await outcome(async () => {
        for (const x of seq) await net.execute(x.argv, x.input === undefined ? {} : { input: x.input });
      });
      const batched = await outcome(() => net.executeAll(seq));
      assert.deepEqual(batched, oneByOne);
    });
  }
  it('the texts are bridge-utils\' own', async () => {
    const e = await net.executeAll(SEQUENCES[2]![1]).catch((x: unknown) => x);
    await cleanUp();
    assert.ok(e instanceof CommandFailed);
    assert.equal(e.stderr, `device ${V} is already a member of a bridge; can't add it to bridge ${B}.\n`);
  });
});

describe('linux host driver: the start-up check names what is missing', () => {
  it('not root: HostDriverUnavailable "root"', async () => {
    const e = await LinuxHostNetwork.open('h', { uid: 1000 }).catch((x: unknown) => x);
    assert.ok(e instanceof HostDriverUnavailable);
    assert.equal(e.missing, 'root');
    assert.match(e.message, /^host_driver = linux cannot run: it must run as root \(uid 0\), not uid 1000/);
  });

  it('no `ip` or no `ovs-vsctl` on PATH: HostDriverUnavailable naming the tool', async () => {
    const path = process.env['PATH'];
    const dir = mkdtempSync(join('/tmp', 'nimbus-path-'));
    try {
      process.env['PATH'] = dir;
      let e = await LinuxHostNetwork.open('h', { uid: 0 }).catch((x: unknown) => x);
      assert.ok(e instanceof HostDriverUnavailable);
      assert.equal(e.missing, 'ip');
      assert.match(e.message, /`ip` was not found on PATH/);
      symlinkSync('/usr/sbin/ip', join(dir, 'ip'));
      e = await LinuxHostNetwork.open('h', { uid: 0 }).catch((x: unknown) => x);
      assert.ok(e instanceof HostDriverUnavailable);
      assert.equal(e.missing, 'ovs-vsctl');
      assert.match(e.message, /`ovs-vsctl` was not found on PATH \(Debian: apt-get install openvswitch-switch\)/);
    } finally {
      process.env['PATH'] = path;
    }
  });

  it('no ovsdb-server at the socket: HostDriverUnavailable "ovsdb-server" with ovs-vsctl\'s reason', { skip: skip ?? false }, async () => {
    const e = await LinuxHostNetwork.open('h', { uid: 0, db: 'unix:/tmp/nimbus-no-such-ovsdb.sock' }).catch((x: unknown) => x);
    assert.ok(e instanceof HostDriverUnavailable);
    assert.equal(e.missing, 'ovsdb-server');
    assert.match(e.message, /ovsdb-server does not answer at unix:\/tmp\/nimbus-no-such-ovsdb.sock \(ovs-vsctl: unix:\/tmp\/nimbus-no-such-ovsdb.sock: database connection failed \(No such file or directory\)\)/);
  });
});

describe('[DEFAULT] host_driver chooses the host networks', () => {
  const deps = { random: seededRandom(1) };

  it('simulated by default: one simulated host per hosts entry', async () => {
    const nets = await createHostNetworks(loadConfig({}), deps);
    assert.deepEqual(nets.hosts(), ['compute1', 'compute2']);
    assert.ok(!nets.get('compute1').guestNamespaces);
  });

  it('an unknown driver, or linux hosts sharing a namespace or an ovsdb-server: HostDriverConfigError', async () => {
    let e = await createHostNetworks(loadConfig({ overrides: { DEFAULT: { host_driver: 'xen' } } }), deps).catch((x: unknown) => x);
    assert.ok(e instanceof HostDriverConfigError);
    assert.equal(e.message, '[DEFAULT] host_driver = xen is not a host driver (known: simulated, linux)');
    e = await createHostNetworks(loadConfig({ overrides: { DEFAULT: { host_driver: 'linux' } } }), deps).catch((x: unknown) => x);
    assert.ok(e instanceof HostDriverConfigError);
    assert.equal(e.message, '[DEFAULT] host_driver = linux with several hosts needs each its own network namespace, but compute1 and compute2 share the root one: set [linux_host] host_netns (scripts/host-netns.sh makes such a host)');
    e = await createHostNetworks(loadConfig({ overrides: { DEFAULT: { host_driver: 'linux' }, linux_host: { host_netns: ['compute1:ns1', 'compute2:ns2'], ovsdb_socket: 'unix:/tmp/x/db.sock' } } }), deps).catch((x: unknown) => x);
    assert.ok(e instanceof HostDriverConfigError);
    assert.match(e.message, /needs each its own ovsdb-server, but compute1 and compute2 share unix:\/tmp\/x\/db.sock: set \[linux_host\] host_ovsdb_sockets/);
    e = await createHostNetworks(loadConfig({ overrides: { DEFAULT: { host_driver: 'linux' }, linux_host: { host_netns: ['compute1'] } } }), deps).catch((x: unknown) => x);
    assert.ok(e instanceof HostDriverConfigError);
    assert.equal(e.message, "[linux_host] host_netns: 'compute1' is not host:value");
  });

  it('linux hosts in one process: each its namespace and ovsdb-server from the per-host pairs, else the single options', () => {
    const cfg = loadConfig({ overrides: { DEFAULT: { host_driver: 'linux', hosts: ['a', 'b'] }, linux_host: { host_netns: ['a:ns-a', 'b:ns-b'], host_ovsdb_sockets: ['a:unix:/run/a/db.sock', 'b:unix:/run/b/db.sock'] } } });
    assert.deepEqual([...linuxHostPlaces(cfg)], [
      ['a', { netns: 'ns-a', db: 'unix:/run/a/db.sock' }],
      ['b', { netns: 'ns-b', db: 'unix:/run/b/db.sock' }],
    ]);
    const one = loadConfig({ overrides: { DEFAULT: { host_driver: 'linux', hosts: ['a'] }, linux_host: { netns: 'ns-a', ovsdb_socket: 'unix:/run/a/db.sock' } } });
    assert.deepEqual([...linuxHostPlaces(one)], [['a', { netns: 'ns-a', db: 'unix:/run/a/db.sock' }]]);
    // A host process reading a file shared by every host: its own pair, the others' ignored.
    const shared = loadConfig({ overrides: { DEFAULT: { host_driver: 'linux', hosts: ['b'] }, linux_host: { host_netns: ['a:ns-a', 'b:ns-b'], host_ovsdb_sockets: ['a:unix:/run/a/db.sock', 'b:unix:/run/b/db.sock'] } } });
    assert.deepEqual([...linuxHostPlaces(shared)], [['b', { netns: 'ns-b', db: 'unix:/run/b/db.sock' }]]);
    assert.deepEqual([...linuxHostPlaces(loadConfig({ overrides: { DEFAULT: { host_driver: 'linux', hosts: ['a'] } } }))], [['a', { netns: null, db: null }]]);
  });

  it('linux: this machine as the one host, br-int made with the netdev datapath', { skip: skip ?? false }, async () => {
    const ovs = await startOvsSandbox();
    try {
      const nets = await createHostNetworks(loadConfig({ overrides: { DEFAULT: { host_driver: 'linux', hosts: ['compute9'] }, linux_host: { ovsdb_socket: ovs.db } } }), deps);
      const net = nets.get('compute9');
      assert.ok(net instanceof LinuxHostNetwork && net.guestNamespaces);
      const brInt = net.snapshot().ovsBridges.find((b) => b.name === 'br-int');
      assert.deepEqual([brInt?.datapathType, brInt?.failMode], ['netdev', 'secure']);
      closeHostNetworks(nets);
    } finally {
      await ovs.stop();
    }
  });
});
