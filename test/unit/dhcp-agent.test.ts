/**
 * The DHCP agent (src/network/agents/dhcp/dhcp-agent.ts) against a q-plugin and a
 * q-reports-plugin played by the test and a host that records commands: its report,
 * the DHCP port it asks for, the commands that plug it (OVSInterfaceDriver) and start
 * dnsmasq in qdhcp-<network_id>, the files it writes, and its teardown when the network
 * goes (compared with the argv Zed's agent runs); and where agents run at all.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listen, rpcClient } from '../../src/bus/contract.js';
import { InprocBus } from '../../src/bus/inproc.js';
import { FakeClock, systemRandom } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/log.js';
import { CommandFailed, type HostNetwork } from '../../src/hostnet/host-network.js';
import { DhcpAgent, dhcpAgentDisabledReason, dhcpDeviceId, dnsmasqCmdline, dnsmasqDefaults, statePath } from '../../src/network/agents/dhcp/index.js';
import { loadConfig } from '../../src/common/config.js';
import type { AgentStateReport } from '../../src/network/agents/types.js';
import type { DhcpNetworkInfo, DhcpPort } from '../../src/network/rpc/dhcp-wire.js';
import { DhcpAgentTopicDef, PluginTopicDef, ReportsTopicDef } from '../../src/network/rpc/topics.js';
import { waitFor } from '../helpers/wait.js';

const HOST = 'linux1';
const NET = '5b1f0c2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const SUB = 'aaaaaaaa-1111-2222-3333-444444444444';
const DHCP_PORT = 'd1c9b0aa-0000-4000-8000-000000000001';
const NS = `qdhcp-${NET}`;
const TAP = 'tapd1c9b0aa-00';
const MAC = 'fa:16:3e:00:00:02';

const vm: DhcpPort = { id: 'vvvvvvvv-0000-4000-8000-000000000005', network_id: NET, mac_address: 'fa:16:3e:11:22:33', device_id: 'server', device_owner: 'compute:nova', admin_state_up: true, fixed_ips: [{ subnet_id: SUB, ip_address: '10.0.0.5' }] };

/** A host whose devices are argv in a list; the tap is in the root namespace until moved. */
function recordingHost(): HostNetwork & { argv: string[][] } {
  const argv: string[][] = [];
  return {
    host: HOST,
    argv,
    async execute(a: string[]) {
      argv.push(a);
      if (a[0] === 'ip' && a[1] === 'link' && a[2] === 'show') return `2: ${a[3]}: <BROADCAST>`;
      if (a[0] === 'kill') throw new CommandFailed(a, 1, 'No such process');
      return '';
    },
    onInterfaceChange: () => () => {},
    snapshot: () => ({ host: HOST, links: [], linuxBridges: [], ovsBridges: [] }),
  };
}

describe('the DHCP agent of a host', () => {
  const bus = new InprocBus(new FakeClock(), silentLogger());
  const state = mkdtempSync(join(tmpdir(), 'nimbus-dhcp-agent-test-'));
  const conf = dnsmasqDefaults(join(state, 'dhcp'));
  const host = recordingHost();
  const reports: AgentStateReport[] = [];
  const calls: { method: string; args: unknown }[] = [];
  let network: DhcpNetworkInfo | null = {
    id: NET,
    tenant_id: 'proj',
    admin_state_up: true,
    mtu: 1450,
    subnets: [{ id: SUB, network_id: NET, cidr: '10.0.0.0/24', ip_version: 4, enable_dhcp: true, gateway_ip: '10.0.0.1', dns_nameservers: [], host_routes: [] }],
    non_local_subnets: [],
    ports: [vm],
  };
  const dhcpPort: DhcpPort = { id: DHCP_PORT, network_id: NET, mac_address: MAC, device_id: dhcpDeviceId(NET, HOST), device_owner: 'network:dhcp', admin_state_up: true, fixed_ips: [{ subnet_id: SUB, ip_address: '10.0.0.2' }] };
  const agent = new DhcpAgent({ bus, clock: new FakeClock(), random: systemRandom, log: silentLogger(), net: host, dnsmasq: conf, reportInterval: 0 });
  const unexpected = () => {
    throw new Error('not an L2 agent');
  };

  before(async () => {
    await listen(bus, ReportsTopicDef, 'neutron-server', {
      report_state: (a) => {
        reports.push(a.agent_state.agent_state);
        return 'new';
      },
      has_alive_neutron_server: () => true,
    });
    await listen(bus, PluginTopicDef, 'neutron-server', {
      get_devices_details_list_and_failed_devices: unexpected,
      get_devices_details_list: unexpected,
      get_device_details: unexpected,
      update_device_list: unexpected,
      update_device_up: unexpected,
      update_device_down: unexpected,
      tunnel_sync: unexpected,
      security_group_info_for_devices: unexpected,
      get_active_networks_info: (a) => (calls.push({ method: 'get_active_networks_info', args: a }), network ? [network] : []),
      get_network_info: (a) => (calls.push({ method: 'get_network_info', args: a }), network),
      create_dhcp_port: (a) => {
        calls.push({ method: 'create_dhcp_port', args: a });
        network = { ...network!, ports: [...network!.ports, dhcpPort] };
        return dhcpPort;
      },
      update_dhcp_port: unexpected,
      release_dhcp_port: (a) => (calls.push({ method: 'release_dhcp_port', args: a }), null),
      dhcp_ready_on_ports: (a) => (calls.push({ method: 'dhcp_ready_on_ports', args: a }), null),
    });
    await agent.start();
  });
  after(async () => {
    await agent.stop();
    rmSync(state, { recursive: true, force: true });
  });

  it('reports as Zed\'s neutron-dhcp-agent', async () => {
    assert.deepEqual(
      { ...reports[0], uuid: undefined },
      {
        binary: 'neutron-dhcp-agent',
        host: HOST,
        availability_zone: 'nova',
        topic: 'dhcp_agent',
        configurations: { dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq', dhcp_lease_duration: 86400, log_agent_heartbeats: false, networks: 0, subnets: 0, ports: 0 },
        agent_type: 'DHCP agent',
        uuid: undefined,
        start_flag: true,
      },
    );
    await agent.reportState();
    assert.equal(reports[1]!.start_flag, undefined);
    assert.deepEqual(reports[1]!.configurations, { dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq', dhcp_lease_duration: 86400, log_agent_heartbeats: false, networks: 1, subnets: 1, ports: 2 });
  });

  it('asks for its DHCP port, plugs it into qdhcp-<network> and starts dnsmasq there', () => {
    assert.deepEqual(calls.find((c) => c.method === 'create_dhcp_port')?.args, {
      port: { port: { name: '', admin_state_up: true, network_id: NET, tenant_id: 'proj', fixed_ips: [{ subnet_id: SUB }], device_id: dhcpDeviceId(NET, HOST), device_owner: 'network:dhcp' } },
      host: HOST,
    });
    assert.deepEqual(host.argv, [
      ['ip', 'netns', 'add', NS],
      ['ip', '-n', NS, 'link', 'set', 'lo', 'up'],
      ['ovs-vsctl', '--', '--may-exist', 'add-port', 'br-int', TAP, '--', 'set', 'Interface', TAP, 'type=internal', `external_ids:iface-id=${DHCP_PORT}`, 'external_ids:iface-status=active', `external_ids:attached-mac=${MAC}`],
      ['ip', 'link', 'show', TAP],
      ['ip', 'link', 'set', TAP, 'address', MAC],
      ['ip', 'link', 'set', TAP, 'netns', NS],
      ['ip', '-n', NS, 'link', 'set', TAP, 'mtu', '1450'],
      ['ip', '-n', NS, 'link', 'set', TAP, 'up'],
      ['ip', '-n', NS, 'addr', 'replace', '10.0.0.2/24', 'brd', '10.0.0.255', 'scope', 'global', 'dev', TAP],
      ['ip', 'netns', 'exec', NS, ...dnsmasqCmdline(conf, network!)],
    ]);
    assert.equal(readFileSync(join(state, 'dhcp', NET, 'host'), 'utf8'), 'fa:16:3e:11:22:33,host-10-0-0-5.openstacklocal,10.0.0.5\n');
    assert.equal(readFileSync(join(state, 'dhcp', NET, 'opts'), 'utf8'), `tag:subnet-${SUB},option:router,10.0.0.1`);
    assert.equal(readFileSync(join(state, 'dhcp', NET, 'interface'), 'utf8'), TAP);
    assert.deepEqual(calls.find((c) => c.method === 'dhcp_ready_on_ports')?.args, { port_ids: [vm.id] });
  });

  it('rewrites the hosts file when told a port changed', async () => {
    const vm2: DhcpPort = { ...vm, id: 'vvvvvvvv-0000-4000-8000-000000000006', mac_address: 'fa:16:3e:11:22:34', fixed_ips: [{ subnet_id: SUB, ip_address: '10.0.0.6' }] };
    network = { ...network!, ports: [...network!.ports, vm2] };
    await rpcClient(bus, DhcpAgentTopicDef, { server: HOST }).cast('port_create_end', { payload: { port: vm2, priority: 5 } });
    await waitFor('hosts file with the new port', async () => (readFileSync(join(state, 'dhcp', NET, 'host'), 'utf8').includes('10.0.0.6') ? true : undefined), 5000);
    assert.equal(
      readFileSync(join(state, 'dhcp', NET, 'host'), 'utf8'),
      'fa:16:3e:11:22:33,host-10-0-0-5.openstacklocal,10.0.0.5\nfa:16:3e:11:22:34,host-10-0-0-6.openstacklocal,10.0.0.6\n',
    );
  });

  it('unplugs the tap, deletes the namespace and its files when the network goes', async () => {
    network = null;
    host.argv.length = 0;
    await rpcClient(bus, DhcpAgentTopicDef, { server: HOST }).cast('network_delete_end', { payload: { network_id: NET, priority: 2 } });
    await waitFor('network disabled', async () => (agent.networks().length === 0 ? true : undefined), 5000);
    assert.deepEqual(host.argv, [
      ['ovs-vsctl', '--', '--if-exists', 'del-port', 'br-int', TAP],
      ['ip', 'netns', 'delete', NS],
    ]);
    assert.ok(!existsSync(join(state, 'dhcp', NET)));
    // The network is gone with its ports: nothing to release.
    assert.equal(calls.filter((c) => c.method === 'release_dhcp_port').length, 0);
  });

  it('tears down what an earlier run left for a network it no longer serves (existing_dhcp_networks)', async () => {
    const stale = '0b1e7a43-0000-4000-8000-0000000000aa';
    mkdirSync(join(state, 'dhcp', stale), { recursive: true });
    writeFileSync(join(state, 'dhcp', stale, 'interface'), 'tap0b1e7a43-00');
    host.argv.length = 0;
    await agent.syncState();
    assert.deepEqual(host.argv, [
      ['ovs-vsctl', '--', '--if-exists', 'del-port', 'br-int', 'tap0b1e7a43-00'],
      ['ip', 'netns', 'delete', `qdhcp-${stale}`],
    ]);
    assert.ok(!existsSync(join(state, 'dhcp', stale)));
    assert.deepEqual(calls.filter((c) => c.method === 'release_dhcp_port').map((c) => c.args), [{ network_id: stale, device_id: dhcpDeviceId(stale, HOST), host: HOST }]);
  });
});

describe('where DHCP agents run', () => {
  const cfg = (DEFAULT: Record<string, unknown>) => loadConfig({ overrides: { DEFAULT } as never });
  it('nowhere by default, nor on simulated hosts; on linux hosts when [DEFAULT] dhcp_agent is true', () => {
    assert.equal(dhcpAgentDisabledReason(cfg({})), '[DEFAULT] dhcp_agent is false');
    assert.match(dhcpAgentDisabledReason(cfg({ dhcp_agent: true }))!, /host_driver is simulated/);
    assert.equal(dhcpAgentDisabledReason(cfg({ dhcp_agent: true, host_driver: 'linux' })), null);
  });
  it('keeps its files under [DEFAULT] state_path, by default <data_dir>/neutron', () => {
    assert.equal(statePath(cfg({ data_dir: '/srv/nimbus' })), '/srv/nimbus/neutron');
    assert.equal(statePath(cfg({ state_path: '/var/lib/neutron' })), '/var/lib/neutron');
  });
});
