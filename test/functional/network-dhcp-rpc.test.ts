/**
 * neutron-server's side of the DHCP agent over RPC (Zed's DhcpRpcCallback on q-plugin,
 * DhcpAgentNotifyAPI's casts to dhcp_agent.<host>, the DHCP scheduler), with a DHCP agent
 * played by the test on the bus: its report lists it in GET /v2.0/agents; a subnet with
 * DHCP schedules the network to it and casts subnet_create_end; get_active_networks_info,
 * get_network_info, create_dhcp_port and release_dhcp_port answer as Zed's; deleting the
 * network fans network_delete_end out and forgets the binding. Casts carry {payload}
 * with Zed's priorities. The default cloud has no DHCP
 * agent and no DHCP port.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Listener } from '../../src/bus/bus.js';
import { listen, rpcClient } from '../../src/bus/contract.js';
import { reportTime } from '../../src/network/agents/report-time.js';
import { dhcpDeviceId } from '../../src/network/agents/dhcp/dnsmasq.js';
import type { DhcpNotifyArgs, DhcpNotifyPayload } from '../../src/network/rpc/dhcp-wire.js';
import { DhcpAgentTopicDef, PluginTopicDef, ReportsTopicDef } from '../../src/network/rpc/topics.js';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const HOST = 'compute1';

describe('the DHCP agent RPC of neutron-server', { skip: inProcessOnly('plays a DHCP agent on cloud.bus') }, () => {
  let cloud: TestCloud;
  let listener: Listener;
  const casts: { method: string; args: DhcpNotifyPayload }[] = [];
  const neutron = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.network}/v2.0${path}`, body);
  const record = (method: string) => (args: DhcpNotifyArgs) => void casts.push({ method, args: args.payload });

  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await listener?.stop();
    await cloud?.stop();
  });

  it('runs no DHCP agent and makes no DHCP port by default', async () => {
    assert.deepEqual(cloud.dhcpAgents, []);
    const agents = (await neutron('GET', '/agents')).body.agents;
    assert.deepEqual(agents.filter((a: { agent_type: string }) => a.agent_type === 'DHCP agent'), []);
    const net = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'plain' } })).body.network;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: net.id, cidr: '10.40.0.0/24', ip_version: 4 } });
    assert.deepEqual((await neutron('GET', `/ports?network_id=${net.id}`)).body.ports, []);
    assert.deepEqual((await neutron('GET', `/networks/${net.id}/dhcp-agents`)).body.agents, []);
    assert.equal((await neutron('DELETE', `/networks/${net.id}`)).status, 204);
  });

  it('schedules a DHCP network to a reporting agent, notifies it and serves its calls', async () => {
    listener = await listen(cloud.bus, DhcpAgentTopicDef, HOST, {
      network_create_end: record('network_create_end'),
      network_update_end: record('network_update_end'),
      network_delete_end: record('network_delete_end'),
      subnet_create_end: record('subnet_create_end'),
      subnet_update_end: record('subnet_update_end'),
      subnet_delete_end: record('subnet_delete_end'),
      port_create_end: record('port_create_end'),
      port_update_end: record('port_update_end'),
      port_delete_end: record('port_delete_end'),
    });
    const status = await rpcClient(cloud.bus, ReportsTopicDef).call('report_state', {
      agent_state: {
        agent_state: {
          binary: 'neutron-dhcp-agent',
          host: HOST,
          availability_zone: 'nova',
          topic: 'dhcp_agent',
          configurations: { dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq', dhcp_lease_duration: 86400, log_agent_heartbeats: false, networks: 0, subnets: 0, ports: 0 },
          start_flag: true,
          agent_type: 'DHCP agent',
        },
      },
      time: reportTime(Date.now()),
    });
    assert.equal(status, 'new');
    const [agent] = (await neutron('GET', '/agents?agent_type=DHCP%20agent')).body.agents;
    assert.deepEqual(
      [agent.binary, agent.topic, agent.host, agent.alive, agent.admin_state_up, agent.availability_zone, agent.configurations.dhcp_driver],
      ['neutron-dhcp-agent', 'dhcp_agent', HOST, true, true, 'nova', 'neutron.agent.linux.dhcp.Dnsmasq'],
    );

    const net = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'dhcp' } })).body.network;
    const subnet = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: net.id, cidr: '10.41.0.0/24', ip_version: 4 } })).body.subnet;
    const created = await waitFor('subnet_create_end', async () => casts.find((c) => c.method === 'subnet_create_end'));
    assert.equal((created.args.subnet as { id: string }).id, subnet.id);
    assert.equal(created.args.priority, 3);
    assert.deepEqual((await neutron('GET', `/networks/${net.id}/dhcp-agents`)).body.agents.map((a: { id: string }) => a.id), [agent.id]);
    assert.deepEqual((await neutron('GET', `/agents/${agent.id}/dhcp-networks`)).body.networks.map((n: { id: string }) => n.id), [net.id]);

    const plugin = rpcClient(cloud.bus, PluginTopicDef);
    const active = await plugin.call('get_active_networks_info', { host: HOST });
    assert.deepEqual(active.map((n) => [n.id, n.subnets.map((s) => s.id), n.ports, n.non_local_subnets]), [[net.id, [subnet.id], [], []]]);

    const deviceId = dhcpDeviceId(net.id, HOST);
    const port = await plugin.call('create_dhcp_port', {
      host: HOST,
      port: { port: { name: '', admin_state_up: true, network_id: net.id, tenant_id: net.project_id, device_id: deviceId, device_owner: 'network:dhcp', fixed_ips: [{ subnet_id: subnet.id }] } },
    });
    assert.ok(port);
    assert.deepEqual([port.device_owner, port.device_id, port['binding:host_id'], port['binding:vif_type'], port.fixed_ips[0]!.subnet_id], ['network:dhcp', deviceId, HOST, 'ovs', subnet.id]);

    const vm = (await neutron('POST', '/ports', { port: { network_id: net.id } })).body.port;
    const portCast = await waitFor('port_create_end', async () => casts.find((c) => c.method === 'port_create_end'));
    assert.equal((portCast.args.port as { id: string }).id, vm.id);
    // The one agent of the network gets port_create_end with PRIORITY_PORT_CREATE_HIGH.
    assert.equal(portCast.args.priority, 5);
    const info = await plugin.call('get_network_info', { network_id: net.id, host: HOST });
    assert.deepEqual(info?.ports.map((p) => p.id).sort(), [port.id, vm.id].sort());
    assert.equal(await plugin.call('get_network_info', { network_id: '00000000-0000-0000-0000-000000000000', host: HOST }), null);
    assert.equal(await plugin.call('dhcp_ready_on_ports', { port_ids: [vm.id] }), null);

    assert.equal(await plugin.call('release_dhcp_port', { network_id: net.id, device_id: deviceId, host: HOST }), null);
    assert.deepEqual((await neutron('GET', `/ports?network_id=${net.id}&device_owner=network:dhcp`)).body.ports, []);

    assert.equal((await neutron('DELETE', `/ports/${vm.id}`)).status, 204);
    const portGone = await waitFor('port_delete_end', async () => casts.find((c) => c.method === 'port_delete_end'));
    assert.deepEqual(portGone.args, { port_id: vm.id, network_id: net.id, fixed_ips: vm.fixed_ips, priority: 6 });
    assert.equal((await neutron('DELETE', `/networks/${net.id}`)).status, 204);
    const gone = await waitFor('network_delete_end', async () => casts.find((c) => c.method === 'network_delete_end'));
    assert.deepEqual(gone.args, { network_id: net.id, priority: 2 });
    await waitFor('binding forgotten', async () => ((await neutron('GET', `/agents/${agent.id}/dhcp-networks`)).body.networks.length === 0 ? true : undefined));
  });
});
