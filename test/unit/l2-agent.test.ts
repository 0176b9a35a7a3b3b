/**
 * The OVS agent's port loop against a recording q-plugin endpoint and a fake clock:
 * batching per polling_interval (one details call and one update_device_list per
 * batch), local VLAN tags on the host, removals, re-adds, retries, the dead VLAN and
 * a silenced agent keeping its events.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { InprocBus } from '../../src/bus/inproc.js';
import { Topics } from '../../src/bus/topics.js';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import { type Config, loadConfig } from '../../src/common/config.js';
import { silentLogger } from '../../src/common/log.js';
import { type SimulatedHostNetwork, createSimulatedHostNetworks } from '../../src/hostnet/index.js';
import type { HostNetwork } from '../../src/hostnet/host-network.js';
import { OvsL2AgentLoop } from '../../src/network/agents/index.js';
import type { DeviceDetails, DeviceDetailsEntry, DevicesDetailsArgs, UpdateDeviceListArgs } from '../../src/network/rpc/wire.js';
import { deviceDetails } from '../helpers/device-details.js';

const log = silentLogger();
let clock: FakeClock;
let bus: InprocBus;
let loop: OvsL2AgentLoop;
let hosts: ReturnType<typeof createSimulatedHostNetworks>;
let calls: { method: string; args: any }[];
/** What the fake plugin knows: port id → details (without device). */
let known: Map<string, Omit<DeviceDetails, 'device'> | 'unbound'>;
let failUpdate: Set<string>;
let alive: Set<string>;

/** A bound port of `networkId` (segment `seg`, no fixed IPs) as the plugin knows it, without the device name. */
function details(portId: string, networkId: string, seg: number, extra: Partial<DeviceDetails> = {}): Omit<DeviceDetails, 'device'> {
  const { device: _device, ...rest } = deviceDetails(portId, { network_id: networkId, segmentation_id: seg, fixed_ips: [], ...extra });
  return rest;
}

async function setup(agentCfg: Partial<Config['agent']>) {
  const cfg = loadConfig({ overrides: { DEFAULT: { hosts: ['compute1', 'compute2'] }, agent: agentCfg } });
  clock = new FakeClock();
  bus = new InprocBus(clock, log);
  calls = [];
  known = new Map();
  failUpdate = new Set();
  alive = new Set(['compute1', 'compute2']);
  await bus.listen(Topics.plugin, 'neutron-server', {
    get_devices_details_list_and_failed_devices: (args: DevicesDetailsArgs) => {
      calls.push({ method: 'details', args });
      const devices: DeviceDetailsEntry[] = args.devices.map((device) => {
        const k = known.get(device);
        return !k || k === 'unbound' ? { device } : { device, ...k };
      });
      return { devices, failed_devices: [] };
    },
    update_device_list: (args: UpdateDeviceListArgs) => {
      calls.push({ method: 'update', args });
      const failed = args.devices_up.filter((d) => failUpdate.has(d));
      return {
        devices_up: args.devices_up.filter((d) => !failUpdate.has(d)),
        failed_devices_up: failed,
        devices_down: args.devices_down.map((device) => ({ device, exists: true })),
        failed_devices_down: [],
      };
    },
  });
  hosts = createSimulatedHostNetworks(cfg, { random: seededRandom(4) });
  loop = new OvsL2AgentLoop({ bus, clock, log, cfg, hostnets: hosts, isAlive: (h) => alive.has(h) });
  loop.addHost('compute1');
  loop.addHost('compute2');
  await loop.start();
  await clock.advance(0);
}

afterEach(async () => {
  loop?.stop();
  await bus?.close();
});

/** A hybrid VIF's OVS side as os-vif leaves it: the veth pair and the qvo port with the external ids. */
async function plug(h: SimulatedHostNetwork, portId: string): Promise<string> {
  const qvo = `qvo${portId}`.slice(0, 14);
  const qvb = `qvb${portId}`.slice(0, 14);
  if (!h.snapshot().links.some((l) => l.name === qvo)) await h.execute(['ip', 'link', 'add', qvb, 'type', 'veth', 'peer', 'name', qvo]);
  await h.execute(['ovs-vsctl', '--', '--if-exists', 'del-port', qvo, '--', 'add-port', 'br-int', qvo, '--', 'set', 'Interface', qvo,
    `external-ids:iface-id=${portId}`, 'external-ids:iface-status=active', 'external-ids:attached-mac=fa:16:3e:00:00:01', 'external-ids:vm-uuid=i-1']);
  return qvo;
}

async function unplug(h: SimulatedHostNetwork, portId: string): Promise<void> {
  const qvo = `qvo${portId}`.slice(0, 14);
  await h.execute(['ovs-vsctl', '--if-exists', 'del-port', 'br-int', qvo]);
  await h.execute(['ip', 'link', 'delete', qvo]);
}

const tag = async (h: SimulatedHostNetwork, port: string) => (await h.execute(['ovs-vsctl', 'get', 'Port', port, 'tag'])).trim();

describe('the OVS agent port loop', () => {
  beforeEach(() => setup({ polling_interval: 2 }));

  it('batches everything that appeared in one polling interval into one details call and one update', async () => {
    const c1 = hosts.get('compute1');
    for (let i = 0; i < 5; i++) known.set(`port-${i}`, details(`port-${i}`, i < 3 ? 'net-a' : 'net-b', i < 3 ? 100 : 200));
    for (let i = 0; i < 5; i++) await plug(c1, `port-${i}`);
    await clock.advance(1999);
    assert.equal(calls.length, 0, 'nothing before the polling interval ends');
    await clock.advance(1);
    assert.deepEqual(
      calls.map((c) => c.method),
      ['details', 'update'],
    );
    assert.deepEqual(calls[0]!.args, { agent_id: 'ovs-agent-compute1', host: 'compute1', devices: ['port-0', 'port-1', 'port-2', 'port-3', 'port-4'], agent_restarted: false });
    assert.deepEqual(calls[1]!.args, { devices_up: ['port-0', 'port-1', 'port-2', 'port-3', 'port-4'], devices_down: [], agent_id: 'ovs-agent-compute1', host: 'compute1', refresh_tunnels: true });
    // One local VLAN per network, the same for every port of it.
    assert.deepEqual(
      await Promise.all(['port-0', 'port-1', 'port-2', 'port-3', 'port-4'].map((p) => tag(c1, `qvo${p}`.slice(0, 14)))),
      ['1', '1', '1', '2', '2'],
    );
    assert.equal(loop.localVlan('compute1', 'net-a', 100), 1);
    assert.equal(loop.devices('compute1'), 5);
    assert.equal(loop.devices('compute2'), 0);
    calls.length = 0;
    await clock.advance(10_000);
    assert.equal(calls.length, 0, 'an idle host costs no RPC');
  });

  it('removals are reported down and the VLAN is reclaimed after the last port', async () => {
    const c1 = hosts.get('compute1');
    known.set('p1', details('p1', 'net-a', 100));
    known.set('p2', details('p2', 'net-a', 100));
    await plug(c1, 'p1');
    await plug(c1, 'p2');
    await clock.advance(2000);
    calls.length = 0;
    await unplug(c1, 'p1');
    await clock.advance(2000);
    assert.deepEqual(calls.map((c) => [c.method, c.args.devices_down]), [['update', ['p1']]]);
    assert.equal(loop.localVlan('compute1', 'net-a', 100), 1, 'p2 still uses it');
    await unplug(c1, 'p2');
    await clock.advance(2000);
    assert.equal(loop.localVlan('compute1', 'net-a', 100), undefined);
    assert.equal(loop.devices('compute1'), 0);
    // A new network now gets the lowest free VLAN again.
    known.set('p3', details('p3', 'net-c', 300));
    await plug(c1, 'p3');
    await clock.advance(2000);
    assert.equal(await tag(c1, 'qvop3'), '1');
  });

  it('a port plugged and unplugged within one interval costs nothing; a re-plug is reported down then up', async () => {
    const c1 = hosts.get('compute1');
    known.set('p1', details('p1', 'net-a', 100));
    await plug(c1, 'p1');
    await unplug(c1, 'p1');
    await clock.advance(2000);
    assert.equal(calls.length, 0);
    await plug(c1, 'p1');
    await clock.advance(2000);
    calls.length = 0;
    await plug(c1, 'p1'); // del-port + add-port: the row is replaced
    await clock.advance(2000);
    assert.deepEqual(
      calls.map((c) => [c.method, c.args.devices_up ?? c.args.devices, c.args.devices_down]),
      [
        ['update', [], ['p1']],
        ['details', ['p1'], undefined],
        ['update', ['p1'], []],
      ],
    );
    assert.equal(await tag(c1, 'qvop1'), '1');
  });

  it('unknown and unbound ports are reported by the plugin as devices, not wired, and not reported up', async () => {
    const c1 = hosts.get('compute1');
    known.set('p2', 'unbound');
    await plug(c1, 'p1');
    await plug(c1, 'p2');
    await clock.advance(2000);
    assert.deepEqual(
      calls.map((c) => c.method),
      ['details'],
    );
    assert.equal(await tag(c1, 'qvop1'), '[]', 'a new untagged port stays untagged (port_dead only re-tags tagged ports)');
  });

  it('a wired port the plugin no longer knows goes to the dead VLAN when processed again', async () => {
    const c1 = hosts.get('compute1');
    known.set('p3', details('p3', 'net-a', 100));
    failUpdate.add('p3'); // reported up but failed: retried next iteration
    await plug(c1, 'p3');
    await clock.advance(2000);
    assert.equal(await tag(c1, 'qvop3'), '1');
    known.delete('p3');
    await clock.advance(2000);
    assert.equal(await tag(c1, 'qvop3'), '4095');
  });

  it('admin_state_up false: dead VLAN if tagged, reported down', async () => {
    const c1 = hosts.get('compute1');
    known.set('p1', details('p1', 'net-a', 100, { admin_state_up: false }));
    await plug(c1, 'p1');
    await clock.advance(2000);
    assert.deepEqual(calls[1]!.args.devices_down, ['p1']);
    assert.deepEqual(calls[1]!.args.devices_up, []);
  });

  it("port_update from the server re-wires the port: admin_state_up off → dead VLAN and down, on → its VLAN and up", async () => {
    const c1 = hosts.get('compute1');
    known.set('p1', details('p1', 'net-a', 100));
    await plug(c1, 'p1');
    await clock.advance(2000);
    assert.equal(await tag(c1, 'qvop1'), '1');
    calls.length = 0;
    known.set('p1', details('p1', 'net-a', 100, { admin_state_up: false }));
    await bus.cast({ topic: Topics.agentPortUpdate, fanout: true }, 'port_update', { port: { id: 'p1' }, network_type: 'vxlan', segmentation_id: 100, physical_network: null });
    await clock.advance(2000);
    assert.deepEqual(
      calls.map((c) => [c.method, c.args.devices ?? c.args.devices_down]),
      [
        ['details', ['p1']],
        ['update', ['p1']],
      ],
    );
    assert.equal(await tag(c1, 'qvop1'), '4095');
    known.set('p1', details('p1', 'net-a', 100));
    await bus.cast({ topic: Topics.agentPortUpdate, fanout: true }, 'port_update', { port: { id: 'p1' }, network_type: 'vxlan', segmentation_id: 100, physical_network: null });
    await clock.advance(2000);
    assert.equal(await tag(c1, 'qvop1'), '1');
    assert.deepEqual(calls.at(-1)!.args.devices_up, ['p1']);
    // A port no host has: nobody does anything.
    calls.length = 0;
    await bus.cast({ topic: Topics.agentPortUpdate, fanout: true }, 'port_update', { port: { id: 'elsewhere' }, network_type: 'vxlan', segmentation_id: 1, physical_network: null });
    await clock.advance(2000);
    assert.equal(calls.length, 0);
  });

  it('port_delete from the server puts a port still on br-int on the dead VLAN', async () => {
    const c1 = hosts.get('compute1');
    known.set('p1', details('p1', 'net-a', 100));
    await plug(c1, 'p1');
    await clock.advance(2000);
    await bus.cast({ topic: Topics.agentPortDelete, fanout: true }, 'port_delete', { port_id: 'p1' });
    await clock.advance(2000);
    assert.equal(await tag(c1, 'qvop1'), '4095');
    assert.equal(loop.localVlan('compute1', 'net-a', 100), undefined, 'its VLAN was reclaimed');
  });

  it('devices the server failed are retried next iteration, at most five times', async () => {
    const c1 = hosts.get('compute1');
    known.set('p1', details('p1', 'net-a', 100));
    failUpdate.add('p1');
    await plug(c1, 'p1');
    await clock.advance(2000);
    for (let i = 0; i < 8; i++) await clock.advance(2000);
    const details_ = calls.filter((c) => c.method === 'details').length;
    assert.equal(details_, 6, 'the first try and five retries');
    failUpdate.clear();
  });

  it('a silenced agent keeps its events until it runs again', async () => {
    const c2 = hosts.get('compute2');
    known.set('p9', details('p9', 'net-a', 100));
    alive.delete('compute2');
    await plug(c2, 'p9');
    await clock.advance(10_000);
    assert.equal(calls.length, 0);
    alive.add('compute2');
    await clock.advance(2000);
    assert.deepEqual(
      calls.map((c) => [c.method, c.args.host]),
      [
        ['details', 'compute2'],
        ['update', 'compute2'],
      ],
    );
  });
});

describe('polling_interval 0', () => {
  beforeEach(() => setup({ polling_interval: 0 }));

  it('processes on the next tick', async () => {
    const c1 = hosts.get('compute1');
    known.set('p1', details('p1', 'net-a', 100));
    await plug(c1, 'p1');
    await clock.advance(0);
    assert.deepEqual(
      calls.map((c) => c.method),
      ['details', 'update'],
    );
    assert.equal(clock.pending, 0, 'no timer left while idle');
  });
});

describe('scale', () => {
  beforeEach(() => setup({ polling_interval: 2 }));

  it('a thousand ports on one host: one details call, one update, a thousand tags', async () => {
    const c1 = hosts.get('compute1');
    for (let i = 0; i < 1000; i++) {
      const id = `p${i.toString().padStart(6, '0')}`;
      known.set(id, details(id, `net-${i % 10}`, i % 10));
      await plug(c1, id);
    }
    await clock.advance(2000);
    assert.deepEqual(
      calls.map((c) => c.method),
      ['details', 'update'],
    );
    assert.equal(calls[1]!.args.devices_up.length, 1000);
    assert.equal(loop.devices('compute1'), 1000);
  });
});

describe('binding_deactivate / binding_activate (binding-extended)', () => {
  beforeEach(() => setup({ polling_interval: 2 }));

  it('a port not yet bound here stays unwired; binding_activate for this host wires it and reports it up', async () => {
    const c2 = hosts.get('compute2');
    known.set('p1', 'unbound');
    const qvo = await plug(c2, 'p1');
    await clock.advance(2000);
    assert.equal(await tag(c2, qvo), '[]');
    known.set('p1', details('p1', 'net-a', 100));
    calls = [];
    await bus.cast({ topic: Topics.agentPortBindingActivate, fanout: true }, 'binding_activate', { port_id: 'p1', host: 'compute1' });
    await clock.advance(2000);
    assert.equal(calls.length, 0, "compute1's message: compute2's agent ignores it");
    await bus.cast({ topic: Topics.agentPortBindingActivate, fanout: true }, 'binding_activate', { port_id: 'p1', host: 'compute2' });
    await clock.advance(2000);
    assert.deepEqual(
      calls.map((c) => [c.method, c.args.host, c.args.devices ?? c.args.devices_up]),
      [
        ['details', 'compute2', ['p1']],
        ['update', 'compute2', ['p1']],
      ],
    );
    assert.match(await tag(c2, qvo), /^[1-9]\d*$/);
  });

  it('a port on two hosts (a live migration): port_update reaches both agents, and after one unplugs it only the other', async () => {
    known.set('p1', details('p1', 'net-a', 100));
    await plug(hosts.get('compute1'), 'p1');
    await plug(hosts.get('compute2'), 'p1');
    await clock.advance(2000);
    const portUpdate = () => bus.cast({ topic: Topics.agentPortUpdate, fanout: true }, 'port_update', { port: { id: 'p1' }, network_type: 'vxlan', segmentation_id: 100, physical_network: null });
    calls = [];
    await portUpdate();
    await clock.advance(2000);
    assert.deepEqual(calls.filter((c) => c.method === 'details').map((c) => c.args.host).sort(), ['compute1', 'compute2']);
    await unplug(hosts.get('compute1'), 'p1');
    await clock.advance(2000);
    calls = [];
    await portUpdate();
    await clock.advance(2000);
    assert.deepEqual(calls.filter((c) => c.method === 'details').map((c) => c.args.host), ['compute2']);
  });

  it('binding_deactivate for this host deletes the VIF from br-int, then reports it removed; for another host it is ignored', async () => {
    const c1 = hosts.get('compute1');
    known.set('p1', details('p1', 'net-a', 100));
    const qvo = await plug(c1, 'p1');
    await clock.advance(2000);
    calls = [];
    await bus.cast({ topic: Topics.agentPortBindingDeactivate, fanout: true }, 'binding_deactivate', { port_id: 'p1', host: 'compute2', network_id: 'net-a' });
    await clock.advance(2000);
    assert.ok((await c1.execute(['ovs-vsctl', 'list-ports', 'br-int'])).includes(qvo));
    await bus.cast({ topic: Topics.agentPortBindingDeactivate, fanout: true }, 'binding_deactivate', { port_id: 'p1', host: 'compute1', network_id: 'net-a' });
    await clock.advance(2000);
    assert.ok(!(await c1.execute(['ovs-vsctl', 'list-ports', 'br-int'])).includes(qvo));
    await clock.advance(2000);
    assert.deepEqual(
      calls.map((c) => [c.method, c.args.devices_down]),
      [['update', ['p1']]],
    );
    assert.equal(loop.devices('compute1'), 0);
  });
});

describe('a lost interface monitor (the linux host: ovsdb-server closed the connection)', () => {
  beforeEach(() => setup({ polling_interval: 0, ovsdb_monitor_respawn_interval: 30 }));

  it('the agent watches br-int again after ovsdb_monitor_respawn_interval and sees the ports plugged meanwhile', async () => {
    const sim = hosts.get('compute1');
    const lose: ((err: Error) => void)[] = [];
    let subscriptions = 0;
    const watched: HostNetwork = {
      host: 'lossy1',
      execute: (argv, opts) => sim.execute(argv, opts),
      onInterfaceChange: (l, onLost) => {
        subscriptions++;
        const stop = sim.onInterfaceChange(l);
        if (onLost) lose.push((e) => (stop(), onLost(e)));
        return stop;
      },
      snapshot: () => sim.snapshot(),
    };
    const other = new OvsL2AgentLoop({ bus, clock, log, cfg: loadConfig({ overrides: { agent: { polling_interval: 0, ovsdb_monitor_respawn_interval: 30 } } }), hostnets: { get: () => watched }, server: 'lossy' });
    try {
      other.addHost('lossy1');
      await clock.advance(0);
      assert.equal(subscriptions, 1);
      lose[0]!(new Error('OVSDB connection to unix:/x/db.sock closed: closed by ovsdb-server'));
      known.set('p1', details('p1', 'net-a', 100));
      await plug(sim, 'p1');
      await clock.advance(29_999);
      assert.equal(other.devices('lossy1'), 0, 'nothing seen while the monitor is lost');
      await clock.advance(1);
      await clock.advance(0);
      assert.equal(subscriptions, 2, 'watched again after 30 s');
      assert.equal(other.devices('lossy1'), 1, 'the port plugged meanwhile arrives with the new initial rows');
    } finally {
      other.stop();
    }
  });
});
