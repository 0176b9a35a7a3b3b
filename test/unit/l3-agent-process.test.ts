/**
 * The L3 agent's host commands for one router, compared with the sequence Zed's agent
 * runs (OVSInterfaceDriver.plug_new, init_router_port, the gateway route, floating IP
 * addresses, iptables-restore in the namespace), its floating IP status report, and the
 * removal of everything it made — over an in-process bus with a fake neutron-server and a
 * HostNetwork that records argv.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { InprocBus } from '../../src/bus/inproc.js';
import { listen, rpcClient } from '../../src/bus/contract.js';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/log.js';
import type { HostNetwork } from '../../src/hostnet/host-network.js';
import { L3Agent } from '../../src/network/agents/l3-agent.js';
import type { SyncRouter, UpdateFloatingIpStatusesArgs } from '../../src/network/rpc/l3-wire.js';
import { L3AgentTopicDef, L3PluginTopicDef, ReportsTopicDef } from '../../src/network/rpc/topics.js';

const R = 'aaaaaaaa-1111-2222-3333-444444444444';
const GW = 'bbbbbbbbbbbb-gw';
const IF = 'cccccccccccc-if';

const router = (withFip: boolean): SyncRouter => ({
  id: R,
  admin_state_up: true,
  external_gateway_info: { network_id: 'ext', enable_snat: true, external_fixed_ips: [{ subnet_id: 'se', ip_address: '172.24.4.10' }] },
  routes: [],
  ha: false,
  distributed: false,
  gw_port: {
    id: GW, network_id: 'ext', mac_address: 'fa:16:3e:00:00:0a', device_owner: 'network:router_gateway', mtu: 1500,
    fixed_ips: [{ subnet_id: 'se', ip_address: '172.24.4.10', prefixlen: 24 }],
    subnets: [{ id: 'se', cidr: '172.24.4.0/24', gateway_ip: '172.24.4.1', dns_nameservers: [], ipv6_ra_mode: null, subnetpool_id: null }],
    extra_subnets: [], address_scopes: { '4': null, '6': null },
  },
  _interfaces: [{
    id: IF, network_id: 'n1', mac_address: 'fa:16:3e:00:00:01', device_owner: 'network:router_interface', mtu: 1450,
    fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.1.1', prefixlen: 24 }],
    subnets: [], extra_subnets: [], address_scopes: { '4': null, '6': null },
  }],
  ...(withFip ? { _floatingips: [{ id: 'f1', floating_ip_address: '172.24.4.20', fixed_ip_address: '10.0.1.5', port_id: 'vm', router_id: R, status: 'DOWN' }] } : {}),
});

const log = silentLogger();

describe('L3 agent router processing', () => {
  let argvs: string[][];
  let inputs: string[];
  let routers: SyncRouter[];
  let statuses: UpdateFloatingIpStatusesArgs[];
  let agent: L3Agent;
  let bus: InprocBus;

  beforeEach(async () => {
    const clock = new FakeClock();
    bus = new InprocBus(clock, log);
    argvs = [];
    inputs = [];
    statuses = [];
    routers = [router(true)];
    const net: HostNetwork = {
      host: 'h1',
      execute: async (argv, opts) => {
        argvs.push(argv);
        if (opts?.input) inputs.push(opts.input);
        if (argv.join(' ') === 'ip netns list') return `qrouter-${R} (id: 1)\nqrouter-stale (id: 0)\nqdhcp-x\n`;
        if (argv.join(' ') === 'ip -n qrouter-stale -o link show') return '1: lo: <LOOPBACK> mtu 65536\n7: qr-dddddddddddd: <BROADCAST> mtu 1450\n8: qg-eeeeeeeeeee: <BROADCAST>\n';
        return '';
      },
      onInterfaceChange: () => () => {},
      snapshot: () => ({ host: 'h1', links: [], linuxBridges: [], ovsBridges: [] }),
    };
    await listen(bus, ReportsTopicDef, 'neutron-server', { report_state: () => 'new', has_alive_neutron_server: () => true });
    await listen(bus, L3PluginTopicDef, 'neutron-server', {
      get_router_ids: () => routers.map((r) => r.id),
      sync_routers: (args) => routers.filter((r) => !args.router_ids || args.router_ids.includes(r.id)),
      get_external_network_id: () => 'ext',
      update_floatingip_statuses: (args) => {
        statuses.push(args);
        return null;
      },
      get_service_plugin_list: () => ['router'],
    });
    agent = new L3Agent({ bus, clock, random: seededRandom(1), log: log, host: 'h1', net, reportInterval: 0 });
    await agent.start();
    await agent.idle();
  });

  it('builds the namespace, ports, routes, floating IP and NAT as Zed does', async () => {
    const ns = `qrouter-${R}`;
    const qr = 'qr-cccccccccccc'.slice(0, 14);
    const qg = 'qg-bbbbbbbbbbbb'.slice(0, 14);
    const iptables = argvs.findIndex((a) => a[4] === 'iptables-restore');
    assert.deepEqual(argvs.slice(0, iptables), [
      ['ip', 'netns', 'add', ns],
      ['ip', '-n', ns, 'link', 'set', 'lo', 'up'],
      ['ip', 'netns', 'exec', ns, 'sysctl', '-w', 'net.ipv4.ip_forward=1'],
      ['ovs-vsctl', '--', '--if-exists', 'del-port', qr, '--', 'add-port', 'br-int', qr, '--', 'set', 'Interface', qr, 'type=internal', `external_ids:iface-id=${IF}`, 'external_ids:iface-status=active', 'external_ids:attached-mac=fa:16:3e:00:00:01'],
      ['ip', 'link', 'set', qr, 'address', 'fa:16:3e:00:00:01'],
      ['ip', 'link', 'set', qr, 'mtu', '1450'],
      ['ip', 'link', 'set', qr, 'netns', ns],
      ['ip', '-n', ns, 'link', 'set', qr, 'up'],
      ['ip', '-n', ns, 'addr', 'replace', '10.0.1.1/24', 'brd', '10.0.1.255', 'scope', 'global', 'dev', qr],
      ['ovs-vsctl', '--', '--if-exists', 'del-port', qg, '--', 'add-port', 'br-int', qg, '--', 'set', 'Interface', qg, 'type=internal', `external_ids:iface-id=${GW}`, 'external_ids:iface-status=active', 'external_ids:attached-mac=fa:16:3e:00:00:0a'],
      ['ip', 'link', 'set', qg, 'address', 'fa:16:3e:00:00:0a'],
      ['ip', 'link', 'set', qg, 'mtu', '1500'],
      ['ip', 'link', 'set', qg, 'netns', ns],
      ['ip', '-n', ns, 'link', 'set', qg, 'up'],
      ['ip', '-n', ns, 'addr', 'replace', '172.24.4.10/24', 'brd', '172.24.4.255', 'scope', 'global', 'dev', qg],
      ['ip', '-n', ns, 'route', 'replace', 'default', 'via', '172.24.4.1', 'dev', qg],
      ['ip', '-n', ns, 'addr', 'replace', '172.24.4.20/32', 'brd', '172.24.4.20', 'scope', 'global', 'dev', qg],
    ]);
    assert.deepEqual(argvs[iptables], ['ip', 'netns', 'exec', ns, 'iptables-restore']);
    // After the first full sync: the stale router namespace goes, with its ports on br-int.
    assert.deepEqual(argvs.slice(iptables + 1), [
      ['ip', 'netns', 'list'],
      ['ip', '-n', 'qrouter-stale', '-o', 'link', 'show'],
      ['ovs-vsctl', '--', '--if-exists', 'del-port', 'br-int', 'qr-dddddddddddd'],
      ['ovs-vsctl', '--', '--if-exists', 'del-port', 'br-int', 'qg-eeeeeeeeeee'],
      ['ip', 'netns', 'delete', 'qrouter-stale'],
    ]);
    assert.ok(inputs[0]!.includes(`-A neutron-l3-agent-PREROUTING -d 172.24.4.20/32 -j DNAT --to-destination 10.0.1.5`));
    assert.ok(inputs[0]!.includes(`-A neutron-l3-agent-snat -o ${qg} -j SNAT --to-source 172.24.4.10`));
    assert.deepEqual(statuses, [{ router_id: R, fip_statuses: { f1: 'ACTIVE' } }]);
  });

  it('reports a removed floating IP DOWN and drops its address and NAT', async () => {
    argvs = [];
    routers = [router(false)];
    await rpcClient(bus, L3AgentTopicDef, { server: 'h1' }).cast('routers_updated', { routers: [R] });
    await new Promise((r) => setImmediate(r));
    await agent.idle();
    assert.deepEqual(statuses.at(-1), { router_id: R, fip_statuses: { f1: 'DOWN' } });
    assert.ok(argvs.some((a) => a.join(' ') === `ip -n qrouter-${R} addr del 172.24.4.20/32 dev qg-bbbbbbbbbbb`));
    assert.ok(!inputs.at(-1)!.includes('-j DNAT'));
  });

  it('adds and removes extra routes in the namespace', async () => {
    argvs = [];
    routers = [{ ...router(true), routes: [{ destination: '10.9.0.0/16', nexthop: '10.0.1.9' }] }];
    await rpcClient(bus, L3AgentTopicDef, { server: 'h1' }).cast('routers_updated', { routers: [R] });
    await new Promise((r) => setImmediate(r));
    await agent.idle();
    assert.ok(argvs.some((a) => a.join(' ') === `ip -n qrouter-${R} route replace 10.9.0.0/16 via 10.0.1.9`));
    argvs = [];
    routers = [router(true)];
    await rpcClient(bus, L3AgentTopicDef, { server: 'h1' }).cast('routers_updated', { routers: [R] });
    await new Promise((r) => setImmediate(r));
    await agent.idle();
    assert.ok(argvs.some((a) => a.join(' ') === `ip -n qrouter-${R} route delete 10.9.0.0/16 via 10.0.1.9`));
  });

  it('removes its ports and namespace on router_deleted', async () => {
    argvs = [];
    await rpcClient(bus, L3AgentTopicDef, { fanout: true }).cast('router_deleted', { router_id: R });
    await new Promise((r) => setImmediate(r));
    await agent.idle();
    assert.deepEqual(argvs, [
      ['ovs-vsctl', '--', '--if-exists', 'del-port', 'br-int', 'qr-cccccccccccc'.slice(0, 14)],
      ['ovs-vsctl', '--', '--if-exists', 'del-port', 'br-int', 'qg-bbbbbbbbbbbb'.slice(0, 14)],
      ['ip', 'netns', 'delete', `qrouter-${R}`],
    ]);
    assert.deepEqual(agent.routerIds(), []);
    await agent.stop();
  });
});
