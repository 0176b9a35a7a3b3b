/**
 * The OVS agent's br-tun on simulated hosts ([ovs] local_ip set): tunnel_sync at start
 * makes a tunnel port to every other endpoint (named and optioned as Zed's agent does),
 * tunnel_update / tunnel_delete add and remove one, a tunnel network's first port
 * provisions its VNI flow and flooding through every tunnel, its last port reclaims them,
 * and a restarted agent re-creates its tunnels from tunnel_sync and drops the old cookie.
 * neutron-server is a fake q-plugin keeping endpoints as ML2 does and casting tunnel_update.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { InprocBus } from '../../src/bus/inproc.js';
import { Topics } from '../../src/bus/topics.js';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import { loadConfig } from '../../src/common/config.js';
import { silentLogger } from '../../src/common/log.js';
import { type SimulatedHostNetwork, createSimulatedHostNetworks } from '../../src/hostnet/index.js';
import { OvsL2AgentLoop } from '../../src/network/agents/index.js';
import type { DeviceDetails, DevicesDetailsArgs, UpdateDeviceListArgs } from '../../src/network/rpc/wire.js';
import type { TunnelSyncArgs } from '../../src/network/rpc/tunnel-wire.js';

const log = silentLogger();
let bus: InprocBus;
let loops: OvsL2AgentLoop[] = [];

afterEach(async () => {
  for (const l of loops) l.stop();
  loops = [];
  await bus?.close();
});

function details(portId: string, seg: number): DeviceDetails {
  return {
    device: portId, network_id: `net-${seg}`, port_id: portId, mac_address: 'fa:16:3e:00:00:01', admin_state_up: true, network_type: 'vxlan',
    segmentation_id: seg, physical_network: null, mtu: 1450, fixed_ips: [{ subnet_id: 's', ip_address: '10.0.0.5' }], device_owner: 'compute:nova',
    allowed_address_pairs: [], port_security_enabled: true, qos_policy_id: null, qos_network_policy_id: null, profile: {}, propagate_uplink_status: false,
  };
}

async function plug(h: SimulatedHostNetwork, portId: string): Promise<void> {
  const qvo = `qvo${portId}`.slice(0, 14);
  await h.execute(['ip', 'link', 'add', `qvb${portId}`.slice(0, 14), 'type', 'veth', 'peer', 'name', qvo]);
  await h.execute(['ovs-vsctl', '--', '--may-exist', 'add-port', 'br-int', qvo, '--', 'set', 'Interface', qvo,
    `external-ids:iface-id=${portId}`, 'external-ids:iface-status=active', 'external-ids:attached-mac=fa:16:3e:00:00:01', 'external-ids:vm-uuid=i-1']);
}

const tunFlows = async (h: SimulatedHostNetwork) =>
  (await h.execute(['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', 'br-tun'])).split('\n').filter((l) => l.startsWith(' cookie=')).map((l) => l.replace(/^ cookie=[^,]*, duration=[^,]*, /, '').replace(/ n_packets=0, n_bytes=0,/, ''));
const tunPorts = (h: SimulatedHostNetwork) =>
  h.snapshot().ovsBridges.find((b) => b.name === 'br-tun')!.ports.filter((p) => p.name.startsWith('vxlan-')).map((p) => ({ name: p.name, type: p.interfaces[0]!.type, options: p.interfaces[0]!.options, ofport: p.interfaces[0]!.ofport }));

describe('br-tun and tunnels', () => {
  async function world() {
    const clock = new FakeClock();
    bus = new InprocBus(clock, log);
    const endpoints = new Map<string, string>(); // ip → host
    const known = new Map<string, DeviceDetails>();
    await bus.listen(Topics.plugin, 'neutron-server', {
      get_devices_details_list_and_failed_devices: (args: DevicesDetailsArgs) => ({ devices: args.devices.map((d) => known.get(d) ?? { device: d }), failed_devices: [] }),
      update_device_list: (args: UpdateDeviceListArgs) => ({ devices_up: args.devices_up, failed_devices_up: [], devices_down: args.devices_down.map((device) => ({ device, exists: true })), failed_devices_down: [] }),
      tunnel_sync: async (args: TunnelSyncArgs) => {
        endpoints.set(args.tunnel_ip, args.host ?? '');
        await bus.cast({ topic: Topics.agentTunnelUpdate, fanout: true }, 'tunnel_update', { tunnel_ip: args.tunnel_ip, tunnel_type: args.tunnel_type });
        return { tunnels: [...endpoints].map(([ip_address, host]) => ({ ip_address, udp_port: 4789, host })) };
      },
    });
    const hosts = new Map<string, SimulatedHostNetwork>();
    const startAgent = async (host: string, ip: string, seed: number) => {
      const cfg = loadConfig({ overrides: { DEFAULT: { hosts: [host] }, agent: { polling_interval: 0 }, ovs: { local_ip: ip } } });
      if (!hosts.has(host)) hosts.set(host, createSimulatedHostNetworks(cfg, { random: seededRandom(seed) }).get(host));
      const loop = new OvsL2AgentLoop({ bus, clock, log, cfg, hostnets: { get: () => hosts.get(host)! }, server: host, random: seededRandom(seed + 100) });
      loops.push(loop);
      loop.addHost(host);
      await loop.start();
      for (let i = 0; i < 4; i++) {
        await clock.advance(0);
        await loop.pollNow();
      }
      return loop;
    };
    const settle = async () => {
      for (let i = 0; i < 4; i++) {
        await clock.advance(0);
        for (const l of loops) await l.pollNow();
      }
    };
    return { clock, endpoints, known, hosts, startAgent, settle };
  }

  it('tunnel_sync and tunnel_update make one vxlan port per other endpoint, named vxlan-<hex ip>, with Zed\'s options', async () => {
    const w = await world();
    await w.startAgent('compute1', '192.0.2.1', 1);
    await w.startAgent('compute2', '192.0.2.2', 2);
    await w.settle();
    const c1 = w.hosts.get('compute1')!;
    const c2 = w.hosts.get('compute2')!;
    assert.deepEqual(tunPorts(c1).map((p) => [p.name, p.type, p.options]), [
      ['vxlan-c0000202', 'vxlan', { df_default: 'true', remote_ip: '192.0.2.2', local_ip: '192.0.2.1', in_key: 'flow', out_key: 'flow', egress_pkt_mark: '0' }],
    ]);
    assert.deepEqual(tunPorts(c2).map((p) => p.name), ['vxlan-c0000201']);
    const f1 = await tunFlows(c1);
    const ofport = tunPorts(c1)[0]!.ofport;
    assert.ok(f1.includes(`table=0, priority=1,in_port=${ofport} actions=goto_table:4`), f1.join('\n'));
    assert.ok(f1.includes('table=22, priority=0 actions=drop'));
    assert.equal(f1.length, 10 + 1);
  });

  it('a tunnel network\'s first port provisions VNI→VLAN and flooding through every tunnel; its last port reclaims them', async () => {
    const w = await world();
    await w.startAgent('compute1', '192.0.2.1', 1);
    await w.startAgent('compute2', '192.0.2.2', 2);
    await w.startAgent('compute3', '192.0.2.3', 3);
    await w.settle();
    const c1 = w.hosts.get('compute1')!;
    w.known.set('p1', details('p1', 1001));
    await plug(c1, 'p1');
    await w.settle();
    const ports = tunPorts(c1).map((p) => p.ofport).sort((a, b) => a - b);
    assert.equal(ports.length, 2);
    const f = await tunFlows(c1);
    assert.ok(f.includes('table=4, priority=1,tun_id=0x3e9 actions=push_vlan:0x8100,set_field:4097->vlan_vid,goto_table:10'), f.join('\n'));
    const flood = f.find((l) => l.startsWith('table=22, priority=1,dl_vlan=1 '))!;
    assert.ok(flood, f.join('\n'));
    assert.deepEqual([...flood.matchAll(/output:(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b), ports);
    await c1.execute(['ovs-vsctl', '--if-exists', 'del-port', 'br-int', 'qvop1']);
    await w.settle();
    const after = await tunFlows(c1);
    assert.ok(!after.some((l) => l.includes('tun_id=0x3e9') || l.includes('dl_vlan=1 ')), after.join('\n'));
  });

  it('tunnel_delete removes the port and its flows; a restarted agent re-creates its tunnels from tunnel_sync and drops the old cookie', async () => {
    const w = await world();
    const l1 = await w.startAgent('compute1', '192.0.2.1', 1);
    await w.startAgent('compute2', '192.0.2.2', 2);
    await w.startAgent('compute3', '192.0.2.3', 3);
    await w.settle();
    const c1 = w.hosts.get('compute1')!;
    await bus.cast({ topic: Topics.agentTunnelDelete, fanout: true }, 'tunnel_delete', { tunnel_ip: '192.0.2.3', tunnel_type: 'vxlan' });
    await w.settle();
    assert.deepEqual(tunPorts(c1).map((p) => p.name), ['vxlan-c0000202']);
    w.endpoints.delete('192.0.2.3');
    const before = await tunFlows(c1);
    // Restart compute1's agent: same devices, a new cookie.
    l1.stop();
    loops.splice(loops.indexOf(l1), 1);
    await w.startAgent('compute1', '192.0.2.1', 11);
    await w.settle();
    assert.deepEqual(tunPorts(c1).map((p) => p.name), ['vxlan-c0000202']);
    const dump = await c1.execute(['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', 'br-tun']);
    assert.equal(new Set([...dump.matchAll(/ cookie=(0x[0-9a-f]+)/g)].map((m) => m[1])).size, 1);
    assert.deepEqual((await tunFlows(c1)).map((l) => l.replace(/cookie=0x[0-9a-f]+/, 'C')).sort(), before.map((l) => l.replace(/cookie=0x[0-9a-f]+/, 'C')).sort());
  });
});
