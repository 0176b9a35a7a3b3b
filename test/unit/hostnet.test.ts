/**
 * The simulated host's command interpreter: what each tool does to the devices, the
 * kernel/OVS rules nova's order depends on, and the real tools' error texts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../src/common/clock.js';
import { loadConfig } from '../../src/common/config.js';
import { CommandFailed, type InterfaceEvent, SimulatedHostNetwork, createSimulatedHostNetworks, simulatedHost } from '../../src/hostnet/index.js';

const cfg = loadConfig({ overrides: { DEFAULT: { hosts: ['compute1', 'compute2'] } } });
const newHost = () => simulatedHost(cfg, 'compute1', { random: seededRandom(7) });

async function rejects(p: Promise<unknown>, exitCode: number, stderr: string): Promise<CommandFailed> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CommandFailed, `not a CommandFailed: ${String(e)}`);
    assert.equal(e.stderr, stderr);
    assert.equal(e.exitCode, exitCode);
    return e;
  }
  assert.fail('the command succeeded');
}

describe('a fresh host', () => {
  it('has the bridges and patch ports the OVS agent makes', () => {
    const snap = newHost().snapshot();
    assert.deepEqual(
      snap.ovsBridges.map((b) => [b.name, b.datapathType, b.failMode, b.ports.map((p) => p.name)]),
      [
        ['br-int', 'system', 'secure', ['br-int', 'int-br-phys', 'patch-tun']],
        ['br-phys', 'system', 'secure', ['br-phys', 'phy-br-phys']],
        ['br-tun', 'system', 'secure', ['br-tun', 'patch-int']],
      ],
    );
    const patch = snap.ovsBridges[0]!.ports.find((p) => p.name === 'patch-tun')!.interfaces[0]!;
    assert.equal(patch.type, 'patch');
    assert.deepEqual(patch.options, { peer: 'patch-int' });
    assert.ok(patch.ofport > 0);
    assert.equal(snap.ovsBridges[0]!.ports[0]!.interfaces[0]!.ofport, 65534, 'the local port is OFPP_LOCAL');
    assert.deepEqual(
      snap.links.map((l) => [l.name, l.kind]),
      [
        ['br-int', 'internal'],
        ['br-phys', 'internal'],
        ['br-tun', 'internal'],
      ],
    );
  });

  it('the registry has one host per [DEFAULT] hosts entry', () => {
    const nets = createSimulatedHostNetworks(cfg, { random: seededRandom(1) });
    assert.deepEqual(nets.hosts(), ['compute1', 'compute2']);
    assert.equal(nets.get('compute2').host, 'compute2');
    assert.throws(() => nets.get('compute9'), /no host network for host compute9/);
  });

  it('the datapath type follows [agent] datapath_type', () => {
    const h = simulatedHost(loadConfig({ overrides: { agent: { datapath_type: 'netdev', tunnel_types: [] } } }), 'h', { random: seededRandom(1) });
    assert.deepEqual(
      h.snapshot().ovsBridges.map((b) => [b.name, b.datapathType]),
      [
        ['br-int', 'netdev'],
        ['br-phys', 'netdev'],
      ],
    );
  });
});

describe('brctl and ip', () => {
  it('builds a bridge with a veth in it, and tears it down', async () => {
    const h = newHost();
    await h.execute(['brctl', 'addbr', 'qbr1']);
    await h.execute(['brctl', 'setfd', 'qbr1', '0']);
    await h.execute(['brctl', 'stp', 'qbr1', 'off']);
    assert.equal(await h.execute(['tee', '/sys/class/net/qbr1/bridge/multicast_snooping'], { input: '0' }), '0');
    await h.execute(['ip', 'link', 'add', 'qvb1', 'type', 'veth', 'peer', 'name', 'qvo1']);
    await h.execute(['ip', 'link', 'set', 'qvb1', 'up']);
    await h.execute(['ip', 'link', 'set', 'qvb1', 'mtu', '1450']);
    await h.execute(['brctl', 'addif', 'qbr1', 'qvb1']);
    let snap = h.snapshot();
    assert.deepEqual(snap.linuxBridges, [{ name: 'qbr1', stp: false, forwardDelay: 0, multicastSnooping: false, ports: ['qvb1'] }]);
    const qvb = snap.links.find((l) => l.name === 'qvb1')!;
    assert.deepEqual([qvb.kind, qvb.peer, qvb.master, qvb.up, qvb.mtu], ['veth', 'qvo1', 'qbr1', true, 1450]);
    assert.equal(snap.links.find((l) => l.name === 'qbr1')!.mtu, 1450, 'a bridge follows its smallest port');
    assert.match(await h.execute(['ip', 'link', 'show', 'qvb1']), /^\d+: qvb1@qvo1: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1450 qdisc noqueue master qbr1 state LOWERLAYERDOWN/);

    await h.execute(['ip', 'link', 'delete', 'qvo1']);
    snap = h.snapshot();
    assert.ok(!snap.links.some((l) => l.name.startsWith('qv')), 'deleting one end deletes the pair');
    assert.deepEqual(snap.linuxBridges[0]!.ports, []);
    await h.execute(['brctl', 'delbr', 'qbr1']);
    assert.deepEqual(h.snapshot().linuxBridges, []);
  });

  it('fails like the real tools', async () => {
    const h = newHost();
    await h.execute(['brctl', 'addbr', 'qbr1']);
    await rejects(h.execute(['brctl', 'addbr', 'qbr1']), 1, "device qbr1 already exists; can't create bridge with the same name\n");
    await rejects(h.execute(['brctl', 'delbr', 'qbr2']), 1, "bridge qbr2 doesn't exist; can't delete it\n");
    await h.execute(['ip', 'link', 'set', 'qbr1', 'up']);
    await rejects(h.execute(['brctl', 'delbr', 'qbr1']), 1, "bridge qbr1 is still up; can't delete it\n");
    await rejects(h.execute(['brctl', 'addif', 'qbr1', 'qvb1']), 1, 'interface qvb1 does not exist!\n');
    await h.execute(['ip', 'link', 'add', 'qvb1', 'type', 'veth', 'peer', 'name', 'qvo1']);
    await rejects(h.execute(['brctl', 'addif', 'qbr9', 'qvb1']), 1, 'bridge qbr9 does not exist!\n');
    await rejects(h.execute(['brctl', 'delif', 'qbr1', 'qvb1']), 1, 'device qvb1 is not a port of qbr1\n');
    await h.execute(['brctl', 'addif', 'qbr1', 'qvb1']);
    await h.execute(['brctl', 'addbr', 'qbr2']);
    await rejects(h.execute(['brctl', 'addif', 'qbr2', 'qvb1']), 1, "device qvb1 is already a member of a bridge; can't add it to bridge qbr2.\n");
    // bridge-utils 1.7.1's texts (Debian 12): "add", not "enslave"; "port", not "slave".
    await rejects(h.execute(['brctl', 'addif', 'qbr1', 'qbr2']), 1, "device qbr2 is a bridge device itself; can't add a bridge device to a bridge device.\n");
    await rejects(h.execute(['brctl', 'stp', 'qbr1', 'maybe']), 1, 'expect on/off for argument\n');
    await rejects(h.execute(['brctl', 'setfd', 'qbr7', '0']), 1, 'set forward delay failed: No such device\n');
    await rejects(h.execute(['ip', 'link', 'add', 'qvb1', 'type', 'veth', 'peer', 'name', 'qvo1']), 2, 'RTNETLINK answers: File exists\n');
    await rejects(h.execute(['ip', 'link', 'set', 'tapx', 'up']), 1, 'Cannot find device "tapx"\n');
    await rejects(h.execute(['ip', 'link', 'delete', 'tapx']), 1, 'Cannot find device "tapx"\n');
    await rejects(h.execute(['ip', 'link', 'show', 'tapx']), 1, 'Device "tapx" does not exist.\n');
    await rejects(h.execute(['ip', 'link', 'add', 'qvb0123456789abc', 'type', 'veth', 'peer', 'name', 'q']), 1, 'Error: argument "qvb0123456789abc" is wrong: "name" not a valid ifname\n');
    await rejects(h.execute(['tee', '/sys/class/net/qbr9/bridge/multicast_snooping'], { input: '0' }), 1, 'tee: /sys/class/net/qbr9/bridge/multicast_snooping: No such file or directory\n');
    await rejects(h.execute(['ip', 'link', 'delete', 'br-int']), 2, 'RTNETLINK answers: Operation not supported\n');
    const e = await rejects(h.execute(['virsh', 'list']), 127, '/bin/sh: 1: virsh: not found\n');
    assert.equal(e.message, "Unexpected error while running command.\nCommand: virsh list\nExit code: 127\nStdout: ''\nStderr: '/bin/sh: 1: virsh: not found\\n'");
  });
});

describe('ovs-vsctl', () => {
  it('runs chained commands as one transaction and reports Interface changes', async () => {
    const h = newHost();
    const events: InterfaceEvent[] = [];
    h.onInterfaceChange((ev) => events.push(ev));
    assert.ok(events.length > 0 && events.every((e) => e.action === 'initial'), 'a new subscriber gets the initial rows');
    events.length = 0;
    await h.execute(['ip', 'link', 'add', 'qvb1', 'type', 'veth', 'peer', 'name', 'qvo1']);
    const ids = ['external-ids:iface-id=p1', 'external-ids:iface-status=active', 'external-ids:attached-mac=fa:16:3e:00:00:01', 'external-ids:vm-uuid=i1'];
    await h.execute(['ovs-vsctl', '--', '--if-exists', 'del-port', 'qvo1', '--', 'add-port', 'br-int', 'qvo1', '--', 'set', 'Interface', 'qvo1', ...ids]);
    assert.equal(events.length, 1);
    assert.deepEqual({ ...events[0], ofport: 0 }, {
      action: 'insert',
      name: 'qvo1',
      bridge: 'br-int',
      ofport: 0,
      externalIds: { 'iface-id': 'p1', 'iface-status': 'active', 'attached-mac': 'fa:16:3e:00:00:01', 'vm-uuid': 'i1' },
    });
    assert.ok(events[0]!.ofport > 0);
    assert.equal(h.snapshot().links.find((l) => l.name === 'qvo1')!.master, 'ovs-system');

    assert.equal(await h.execute(['ovs-vsctl', 'list-ports', 'br-int']), 'int-br-phys\npatch-tun\nqvo1\n');
    assert.equal(await h.execute(['ovs-vsctl', 'get', 'Interface', 'qvo1', 'external_ids:iface-id']), '"p1"\n');
    assert.equal(
      await h.execute(['ovs-vsctl', 'get', 'Interface', 'qvo1', 'external_ids']),
      '{attached-mac="fa:16:3e:00:00:01", iface-id="p1", iface-status=active, vm-uuid="i1"}\n',
    );
    assert.equal(await h.execute(['ovs-vsctl', 'get', 'Port', 'qvo1', 'tag']), '[]\n');
    await h.execute(['ovs-vsctl', 'set', 'Port', 'qvo1', 'tag=3']);
    assert.equal(await h.execute(['ovs-vsctl', '--timeout=10', 'get', 'Port', 'qvo1', 'tag']), '3\n');
    assert.equal(events.length, 1, 'Port changes are not Interface changes');

    // Re-adding in one transaction: the row is replaced (delete + insert), as OVSDB does.
    events.length = 0;
    await h.execute(['ovs-vsctl', '--', '--if-exists', 'del-port', 'qvo1', '--', 'add-port', 'br-int', 'qvo1', '--', 'set', 'Interface', 'qvo1', ...ids]);
    assert.deepEqual(
      events.map((e) => e.action),
      ['delete', 'insert'],
    );
    assert.equal(await h.execute(['ovs-vsctl', 'get', 'Port', 'qvo1', 'tag']), '[]\n', 'the new Port row has no tag');

    // A failing command rolls the whole invocation back.
    events.length = 0;
    await rejects(
      h.execute(['ovs-vsctl', '--', 'del-port', 'qvo1', '--', 'add-port', 'br-nope', 'qvo1']),
      1,
      'ovs-vsctl: no bridge named br-nope\n',
    );
    assert.equal(await h.execute(['ovs-vsctl', 'port-to-br', 'qvo1']), 'br-int\n');
    assert.equal(events.length, 0);

    // Deleting the device leaves the OVS port with ofport -1, as ovs-vswitchd does.
    await h.execute(['ip', 'link', 'delete', 'qvo1']);
    assert.deepEqual(
      events.map((e) => [e.action, e.ofport]),
      [['update', -1]],
    );
    assert.match(await h.execute(['ovs-vsctl', 'show']), /Interface "qvo1"\n {16}error: "could not open network device qvo1 \(No such device\)"/);
    await h.execute(['ovs-vsctl', '--if-exists', 'del-port', 'br-int', 'qvo1']);
    assert.deepEqual(events.at(-1)!.action, 'delete');
    await h.execute(['ovs-vsctl', '--if-exists', 'del-port', 'br-int', 'qvo1']);
  });

  it('a port whose device appears later gets its ofport then', async () => {
    const h = newHost();
    const events: InterfaceEvent[] = [];
    h.onInterfaceChange((ev) => ev.action !== 'initial' && events.push(ev));
    await h.execute(['ovs-vsctl', 'add-port', 'br-int', 'tap1', '--', 'set', 'Interface', 'tap1', 'external-ids:iface-id=p1']);
    await h.execute(['ip', 'tuntap', 'add', 'dev', 'tap1', 'mode', 'tap']);
    assert.deepEqual(
      events.map((e) => [e.action, e.ofport > 0]),
      [
        ['insert', false],
        ['update', true],
      ],
    );
  });

  it('fails like ovs-vsctl', async () => {
    const h = newHost();
    await h.execute(['ovs-vsctl', 'add-port', 'br-int', 'qvo1']);
    await rejects(h.execute(['ovs-vsctl', 'add-port', 'br-int', 'qvo1']), 1, 'ovs-vsctl: cannot create a port named qvo1 because a port named qvo1 already exists on bridge br-int\n');
    await h.execute(['ovs-vsctl', '--may-exist', 'add-port', 'br-int', 'qvo1']);
    await rejects(h.execute(['ovs-vsctl', '--may-exist', 'add-port', 'br-tun', 'qvo1']), 1, 'ovs-vsctl: "--may-exist add-port br-tun qvo1" but qvo1 is actually attached to bridge br-int\n');
    await rejects(h.execute(['ovs-vsctl', 'add-br', 'br-int']), 1, 'ovs-vsctl: cannot create a bridge named br-int because a bridge named br-int already exists\n');
    await rejects(h.execute(['ovs-vsctl', 'del-port', 'qvo9']), 1, 'ovs-vsctl: no port named qvo9\n');
    await rejects(h.execute(['ovs-vsctl', 'del-port', 'br-tun', 'qvo1']), 1, 'ovs-vsctl: bridge br-tun does not have a port qvo1\n');
    await rejects(
      h.execute(['ovs-vsctl', 'del-port', 'br-int', 'br-int']),
      1,
      'ovs-vsctl: cannot delete port br-int because it is the local port for bridge br-int (deleting this port requires deleting the entire bridge)\n',
    );
    await rejects(h.execute(['ovs-vsctl', 'set', 'Port', 'qvo1', 'tag=4096']), 1, 'ovs-vsctl: constraint violation: 4096 is not in the valid range 0 to 4095 (inclusive)\n');
    await rejects(h.execute(['ovs-vsctl', 'set', 'Interface', 'qvo9', 'external-ids:a=b']), 1, 'ovs-vsctl: no row "qvo9" in table Interface\n');
    await h.execute(['ovs-vsctl', '--if-exists', 'set', 'Interface', 'qvo9', 'external-ids:a=b']);
    await rejects(h.execute(['ovs-vsctl', 'get', 'Interface', 'qvo1', 'external_ids:iface-id']), 1, 'ovs-vsctl: no key "iface-id" in Interface record "qvo1" column external_ids\n');
    await rejects(h.execute(['ovs-vsctl', 'set', 'Port', 'qvo1', 'colour=red']), 1, 'ovs-vsctl: Port does not contain a column whose name matches "colour"\n');
    await rejects(h.execute(['ovs-vsctl', 'frobnicate']), 1, "ovs-vsctl: unknown command 'frobnicate'; use --help for help\n");
    await rejects(h.execute(['ovs-vsctl', 'add-port', 'br-int']), 1, "ovs-vsctl: 'add-port' command requires at least 2 arguments\n");
    await rejects(h.execute(['ovs-vsctl', 'br-exists', 'br-x']), 2, '');
  });

  it('fault injection: ovsdb-server down, a failing command', async () => {
    const h = newHost();
    h.setOvsdbAvailable(false);
    await rejects(h.execute(['ovs-vsctl', 'list-br']), 1, 'ovs-vsctl: unix:/var/run/openvswitch/db.sock: database connection failed (No such file or directory)\n');
    h.setOvsdbAvailable(true);
    const remove = h.injectFault({ command: 'brctl', contains: 'addbr', stderr: 'add bridge failed: Cannot allocate memory', times: 1 });
    await rejects(h.execute(['brctl', 'addbr', 'qbr1']), 1, 'add bridge failed: Cannot allocate memory\n');
    await h.execute(['brctl', 'addbr', 'qbr1']);
    remove();
  });
});

describe('scale', () => {
  it('a thousand hybrid plugs each land on br-int', async () => {
    const h = new SimulatedHostNetwork('big', { random: seededRandom(3), tunnelTypes: ['vxlan'], bridgeMappings: { physnet1: 'br-phys' } });
    let seen = 0;
    h.onInterfaceChange(() => seen++);
    for (let i = 0; i < 1000; i++) {
      const id = i.toString(16).padStart(11, '0');
      const [qbr, qvb, qvo] = [`qbr${id}`, `qvb${id}`, `qvo${id}`];
      for (const argv of [
        ['ip', 'link', 'show', qbr],
        ['brctl', 'addbr', qbr],
        ['brctl', 'setfd', qbr, '0'],
        ['brctl', 'stp', qbr, 'off'],
        ['ip', 'link', 'add', qvb, 'type', 'veth', 'peer', 'name', qvo],
        ['ip', 'link', 'set', qvb, 'up'],
        ['ip', 'link', 'set', qvb, 'promisc', 'on'],
        ['ip', 'link', 'set', qvo, 'up'],
        ['ip', 'link', 'set', qvo, 'promisc', 'on'],
        ['ip', 'link', 'set', qbr, 'up'],
        ['brctl', 'addif', qbr, qvb],
        ['ovs-vsctl', '--', '--if-exists', 'del-port', qvo, '--', 'add-port', 'br-int', qvo, '--', 'set', 'Interface', qvo, `external-ids:iface-id=${id}`, 'external-ids:attached-mac=fa:16:3e:00:00:01'],
      ]) {
        await h.execute(argv).catch(() => undefined);
      }
    }
    // Their speed is bench/plug.ts's to measure; here only that every port landed.
    assert.equal(h.snapshot().ovsBridges.find((b) => b.name === 'br-int')!.ports.length, 1003);
    assert.ok(seen >= 1000);
  });
});
