/**
 * The OVS agent's OpenFlow side: the flow text of Zed's br-int and br-tun tables (golden
 * strings read off neutron's openflow/native/br_int.py and br_tun.py, stable/zed), tunnel
 * port names, and the agent loop programming a simulated host's br-int: default tables
 * at start, spoofing protection of a bound port, the dead port's drop flow, a removed
 * port's flows, and a restarted agent keeping ports working while it drops the previous
 * run's cookie.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { InprocBus } from '../../src/bus/inproc.js';
import { Topics } from '../../src/bus/topics.js';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import { loadConfig } from '../../src/common/config.js';
import { silentLogger } from '../../src/common/log.js';
import { type HostNetwork, type InterfaceEvent, type SimulatedHostNetwork, createSimulatedHostNetworks } from '../../src/hostnet/index.js';
import { OvsL2AgentLoop } from '../../src/network/agents/index.js';
import {
  arpSpoofingFlows,
  cookieFromBytes,
  flowLine,
  intDefaultFlows,
  linkLocalFromMac,
  tunDefaultFlows,
  tunFloodFlow,
  tunnelPortName,
  tunProvisionFlow,
} from '../../src/network/agents/openflow/tables.js';
import type { DeviceDetails, DevicesDetailsArgs, UpdateDeviceListArgs } from '../../src/network/rpc/wire.js';
import { deviceDetails } from '../helpers/device-details.js';

const C = '0xabc';
const lines = (fs: Parameters<typeof flowLine>[1][]) => fs.map((f) => flowLine(C, f));

describe('Zed flow tables as ovs-ofctl text', () => {
  it('br-int setup_default_table: canary, 0→59→60 NORMAL, ARP spoof drop, dead VLAN 4095 drop, egress NORMAL, local IP tables', () => {
    assert.deepEqual(lines(intDefaultFlows()), [
      'cookie=0xabc,table=23,priority=0,actions=drop',
      'cookie=0xabc,table=0,priority=0,actions=goto_table:59',
      'cookie=0xabc,table=59,priority=0,actions=goto_table:60',
      'cookie=0xabc,table=60,priority=3,actions=NORMAL',
      'cookie=0xabc,table=24,priority=0,actions=drop',
      'cookie=0xabc,table=0,priority=65535,dl_vlan=4095,actions=drop',
      'cookie=0xabc,table=62,priority=3,actions=NORMAL',
      'cookie=0xabc,table=30,priority=0,actions=goto_table:59',
      'cookie=0xabc,table=31,priority=0,actions=goto_table:59',
    ]);
  });

  it('setup_arp_spoofing_protection: MACs (25, and 0 prio 9), NA for IPv6 and link-local (24, 0 prio 10), ARP for IPv4 (24, 0 prio 10)', () => {
    assert.deepEqual(lines(arpSpoofingFlows({ ofport: 5, mac: 'fa:16:3e:11:22:33', fixedIps: ['10.0.0.5'], allowedAddressPairs: [] })), [
      'cookie=0xabc,table=25,priority=2,in_port=5,dl_src=fa:16:3e:11:22:33,actions=goto_table:30',
      'cookie=0xabc,table=0,priority=9,in_port=5,actions=goto_table:25',
      'cookie=0xabc,table=24,priority=2,icmp6,in_port=5,icmp_type=136,nd_target=fe80::f816:3eff:fe11:2233,actions=goto_table:59',
      'cookie=0xabc,table=0,priority=10,icmp6,in_port=5,icmp_type=136,actions=goto_table:24',
      'cookie=0xabc,table=24,priority=2,arp,in_port=5,arp_spa=10.0.0.5,actions=goto_table:25',
      'cookie=0xabc,table=0,priority=10,arp,in_port=5,actions=goto_table:24',
    ]);
    // An allowed address pair of 0.0.0.0/0: no ARP protection (has_zero_prefixlen_address).
    const open = lines(arpSpoofingFlows({ ofport: 5, mac: 'fa:16:3e:11:22:33', fixedIps: ['10.0.0.5'], allowedAddressPairs: [{ ip_address: '0.0.0.0/0' }] }));
    assert.ok(!open.some((l) => l.includes('arp')));
    assert.equal(linkLocalFromMac('00:00:00:00:00:01'), 'fe80::200:ff:fe00:1');
  });

  it('br-tun setup_default_table, provision_local_vlan, install_flood_to_tun', () => {
    assert.deepEqual(lines(tunDefaultFlows(1, C)), [
      'cookie=0xabc,table=0,priority=1,in_port=1,actions=goto_table:2',
      'cookie=0xabc,table=0,priority=0,actions=drop',
      'cookie=0xabc,table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=goto_table:20',
      'cookie=0xabc,table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=goto_table:22',
      'cookie=0xabc,table=3,priority=0,actions=drop',
      'cookie=0xabc,table=4,priority=0,actions=drop',
      'cookie=0xabc,table=6,priority=0,actions=drop',
      'cookie=0xabc,table=10,priority=1,actions=learn(table=20,hard_timeout=300,priority=1,cookie=0xabc,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:1',
      'cookie=0xabc,table=20,priority=0,actions=goto_table:22',
      'cookie=0xabc,table=22,priority=0,actions=drop',
    ]);
    assert.equal(flowLine(C, tunProvisionFlow('vxlan', 1, 1001)), 'cookie=0xabc,table=4,priority=1,tun_id=0x3e9,actions=push_vlan:0x8100,set_field:4097->vlan_vid,goto_table:10');
    assert.equal(flowLine(C, tunFloodFlow(1, 1001, [3, 4])), 'cookie=0xabc,table=22,priority=1,dl_vlan=1,actions=pop_vlan,set_field:0x3e9->tun_id,output:3,output:4');
  });

  it('get_tunnel_name: type-%08x of the remote IPv4 address; cookies print as ovs-ofctl does', () => {
    assert.equal(tunnelPortName('vxlan', '192.168.1.10'), 'vxlan-c0a8010a');
    assert.equal(tunnelPortName('geneve', '10.0.0.1'), 'geneve-0a000001');
    assert.equal(tunnelPortName('vxlan', 'not-an-ip'), null);
    assert.equal(cookieFromBytes(Uint8Array.from([0, 0, 1, 2, 3, 4, 5, 6])), '0x10203040506');
    assert.equal(cookieFromBytes(new Uint8Array(8)), '0x0');
  });
});

// ---- the agent loop programming a simulated host's br-int ----

const log = silentLogger();
let loop: OvsL2AgentLoop | undefined;
let bus: InprocBus | undefined;

afterEach(async () => {
  loop?.stop();
  await bus?.close();
});

async function plug(h: SimulatedHostNetwork, portId: string): Promise<string> {
  const qvo = `qvo${portId}`.slice(0, 14);
  await h.execute(['ip', 'link', 'add', `qvb${portId}`.slice(0, 14), 'type', 'veth', 'peer', 'name', qvo]);
  await h.execute(['ovs-vsctl', '--', '--may-exist', 'add-port', 'br-int', qvo, '--', 'set', 'Interface', qvo,
    `external-ids:iface-id=${portId}`, 'external-ids:iface-status=active', 'external-ids:attached-mac=fa:16:3e:00:00:01', 'external-ids:vm-uuid=i-1']);
  return qvo;
}

/** br-int's flows as "table,priority,match actions" (cookies apart), and the cookies seen. */
async function flows(h: SimulatedHostNetwork): Promise<{ flows: string[]; cookies: Set<string> }> {
  const out = await h.execute(['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', 'br-int']);
  const rows = out.split('\n').filter((l) => l.startsWith(' cookie='));
  return {
    flows: rows.map((l) => l.replace(/^ cookie=[^,]*, duration=[^,]*, /, '').replace(/ n_packets=0, n_bytes=0,/, '')),
    cookies: new Set(rows.map((l) => /cookie=(0x[0-9a-f]+)/.exec(l)![1]!)),
  };
}

describe('the OVS agent programs br-int', () => {
  async function start(known: Map<string, DeviceDetails>, hosts: { get(host: string): HostNetwork }, seed: number, clock: FakeClock, firewallDriver = 'iptables_hybrid') {
    const cfg = loadConfig({ overrides: { DEFAULT: { hosts: ['compute1'] }, agent: { polling_interval: 0, firewall_driver: firewallDriver } } });
    bus = new InprocBus(clock, log);
    await bus.listen(Topics.plugin, 'neutron-server', {
      get_devices_details_list_and_failed_devices: (args: DevicesDetailsArgs) => ({ devices: args.devices.map((d) => known.get(d) ?? { device: d }), failed_devices: [] }),
      update_device_list: (args: UpdateDeviceListArgs) => ({ devices_up: args.devices_up, failed_devices_up: [], devices_down: args.devices_down.map((device) => ({ device, exists: true })), failed_devices_down: [] }),
    });
    loop = new OvsL2AgentLoop({ bus, clock, log, cfg, hostnets: hosts, random: seededRandom(seed) });
    loop.addHost('compute1');
    await loop.start();
    await clock.advance(0);
    await loop.pollNow();
    return cfg;
  }

  it('default tables at start; a bound port gets spoofing protection; admin down adds the drop flow; unplugged, its flows go', async () => {
    const clock = new FakeClock();
    const known = new Map([['p1', deviceDetails('p1')]]);
    const cfg = loadConfig({ overrides: { DEFAULT: { hosts: ['compute1'] } } });
    const hosts = createSimulatedHostNetworks(cfg, { random: seededRandom(1) });
    const h = hosts.get('compute1');
    await start(known, hosts, 7, clock);
    const atStart = await flows(h);
    assert.deepEqual(atStart.flows.sort(), intDefaultFlows().map((f) => `table=${f.table}, priority=${f.priority}${f.match ? `,${f.match}` : ''} actions=${f.actions}`).sort());
    assert.equal(atStart.cookies.size, 1);

    await plug(h, 'p1');
    await clock.advance(0);
    await loop!.pollNow();
    const ofport = h.snapshot().ovsBridges.find((b) => b.name === 'br-int')!.ports.find((p) => p.name === 'qvop1')!.interfaces[0]!.ofport;
    const bound = (await flows(h)).flows;
    assert.ok(bound.includes(`table=24, priority=2,arp,in_port=${ofport},arp_spa=10.0.0.5 actions=goto_table:25`), bound.join('\n'));
    assert.ok(bound.includes(`table=25, priority=2,in_port=${ofport},dl_src=fa:16:3e:00:00:01 actions=goto_table:30`));
    assert.equal(bound.length, 9 + 6);

    // admin_state_up false: dead VLAN and the drop flow; up again: the drop flow goes.
    known.set('p1', deviceDetails('p1', { admin_state_up: false }));
    await bus!.cast({ topic: Topics.agentPortUpdate, fanout: true }, 'port_update', { port: { id: 'p1' } });
    await clock.advance(0);
    await loop!.pollNow();
    assert.ok((await flows(h)).flows.includes(`table=0, priority=2,in_port=${ofport} actions=drop`));
    known.set('p1', deviceDetails('p1'));
    await bus!.cast({ topic: Topics.agentPortUpdate, fanout: true }, 'port_update', { port: { id: 'p1' } });
    await clock.advance(0);
    await loop!.pollNow();
    assert.ok(!(await flows(h)).flows.some((f) => f.startsWith('table=0, priority=2,')));

    await h.execute(['ovs-vsctl', '--if-exists', 'del-port', 'br-int', 'qvop1']);
    await clock.advance(0);
    await loop!.pollNow();
    assert.deepEqual((await flows(h)).flows.filter((f) => f.includes(`in_port=${ofport}`)), []);
  });

  it('firewall_driver openvswitch on a simulated host: no spoofing flows (the OVS firewall provides them) and no firewall flows (no packets to filter)', async () => {
    const clock = new FakeClock();
    const known = new Map([['p1', deviceDetails('p1')]]);
    const cfg = loadConfig({ overrides: { DEFAULT: { hosts: ['compute1'] } } });
    const hosts = createSimulatedHostNetworks(cfg, { random: seededRandom(1) });
    const h = hosts.get('compute1');
    await start(known, hosts, 7, clock, 'openvswitch');
    await plug(h, 'p1');
    await clock.advance(0);
    await loop!.pollNow();
    assert.deepEqual((await flows(h)).flows.sort(), intDefaultFlows().map((f) => `table=${f.table}, priority=${f.priority}${f.match ? `,${f.match}` : ''} actions=${f.actions}`).sort());
  });

  it('a restarted agent (new cookie) re-installs its flows and then removes every flow of the old cookie', async () => {
    const clock = new FakeClock();
    const known = new Map([['p1', deviceDetails('p1')]]);
    const cfg = loadConfig({ overrides: { DEFAULT: { hosts: ['compute1'] } } });
    const hosts = createSimulatedHostNetworks(cfg, { random: seededRandom(1) });
    const h = hosts.get('compute1');
    await plug(h, 'p1');
    await start(known, hosts, 7, clock);
    const first = await flows(h);
    // A leftover of the old run that the new one will not install again.
    await h.execute(['ovs-ofctl', '-O', 'OpenFlow13', 'add-flows', 'br-int', '-'], { input: `cookie=${[...first.cookies][0]},table=0,priority=3,in_port=99,actions=drop\n` });
    loop!.stop();
    await bus!.close();
    await start(known, hosts, 8, clock);
    const second = await flows(h);
    assert.equal(second.cookies.size, 1);
    assert.notDeepEqual(second.cookies, first.cookies);
    assert.deepEqual(second.flows.sort(), first.flows.sort(), 'the same flows, the old cookie gone, the leftover too');
  });

  it('regression (linux host): an ofport OVS assigns after the insert moves the port\'s flows to it', async () => {
    const clock = new FakeClock();
    const known = new Map([['p1', deviceDetails('p1')]]);
    const cfg = loadConfig({ overrides: { DEFAULT: { hosts: ['compute1'] } } });
    const h = createSimulatedHostNetworks(cfg, { random: seededRandom(1) }).get('compute1');
    let emit: (ev: InterfaceEvent) => void = () => {};
    const net: HostNetwork = {
      host: h.host,
      execute: (argv, opts) => h.execute(argv, opts),
      onInterfaceChange: (l) => {
        emit = l;
        return h.onInterfaceChange(l);
      },
      snapshot: () => h.snapshot(),
    };
    await plug(h, 'p1');
    await start(known, { get: () => net }, 7, clock);
    const row = h.snapshot().ovsBridges.find((b) => b.name === 'br-int')!.ports.find((p) => p.name === 'qvop1')!.interfaces[0]!;
    assert.ok((await flows(h)).flows.some((f) => f.includes(`in_port=${row.ofport},`)));
    emit({ action: 'update', name: 'qvop1', bridge: 'br-int', ofport: row.ofport + 50, externalIds: row.externalIds });
    await clock.advance(0);
    await loop!.pollNow();
    const after = (await flows(h)).flows;
    assert.deepEqual(after.filter((f) => f.includes(`in_port=${row.ofport},`) || f.includes(`in_port=${row.ofport} `)), []);
    assert.ok(after.includes(`table=24, priority=2,arp,in_port=${row.ofport + 50},arp_spa=10.0.0.5 actions=goto_table:25`), after.join('\n'));
  });

  it('regression (linux host): a restarted agent whose initial rows arrive late keeps the old flows of live ports until it re-wired them', async () => {
    const clock = new FakeClock();
    const known = new Map([['p1', deviceDetails('p1')]]);
    const cfg = loadConfig({ overrides: { DEFAULT: { hosts: ['compute1'] } } });
    const h = createSimulatedHostNetworks(cfg, { random: seededRandom(1) }).get('compute1');
    await plug(h, 'p1');
    await start(known, { get: () => h }, 7, clock);
    const first = await flows(h);
    loop!.stop();
    await bus!.close();
    // The restarted agent's monitor delivers its initial rows only when released (as ovsdb-client's output arrives).
    let release: () => void = () => {};
    const late: HostNetwork = {
      host: h.host,
      execute: (argv, opts) => h.execute(argv, opts),
      onInterfaceChange: (l) => {
        let stop: () => void = () => {};
        release = () => (stop = h.onInterfaceChange(l));
        return () => stop();
      },
      snapshot: () => h.snapshot(),
    };
    await start(known, { get: () => late }, 8, clock);
    const before = await flows(h);
    assert.equal(before.cookies.size, 2, 'the old cookie stays while the ports are not seen yet');
    assert.ok(before.flows.some((f) => f.includes('arp_spa=10.0.0.5')), 'the live port keeps its spoofing flows');
    release();
    await clock.advance(0);
    await loop!.pollNow();
    const after = await flows(h);
    assert.equal(after.cookies.size, 1);
    assert.deepEqual(after.flows.sort(), first.flows.sort());
  });
});
