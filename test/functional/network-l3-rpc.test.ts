/**
 * neutron-server's side of the L3 agent on the simulated cloud: an agent reporting as
 * "L3 agent" gets routers scheduled (router_added_to_agent, then routers_updated on its
 * l3_agent.<host> queue), sync_routers answers Zed's router dicts and binds the router's
 * ports to the agent's host, update_floatingip_statuses sets a floating IP ACTIVE, and a
 * deleted router is announced with router_deleted. Without an L3 agent (the default
 * cloud) router ports stay unbound.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Listener } from '../../src/bus/bus.js';
import { listen, rpcClient } from '../../src/bus/contract.js';
import { reportTime } from '../../src/network/agents/report-time.js';
import { L3AgentTopicDef, L3PluginTopicDef, ReportsTopicDef } from '../../src/network/rpc/topics.js';
import { systemClock } from '../../src/common/clock.js';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

describe('the L3 agent RPC', { skip: inProcessOnly('talks to neutron-server over the in-process bus') }, () => {
  let cloud: TestCloud;
  let listener: Listener;
  const casts: { method: string; args: unknown }[] = [];
  const host = 'compute1';
  const neutron = (user: 'admin' | 'demo', method: string, path: string, body?: unknown) => cloud.api(user, method, `${cloud.urls.network}/v2.0${path}`, body);
  const l3 = () => rpcClient(cloud.bus, L3PluginTopicDef);

  before(async () => {
    cloud = await startTestCloud({}, systemClock);
  });
  after(async () => {
    await listener?.stop();
    await cloud?.stop();
  });

  it('leaves router ports unbound while no L3 agent runs', async () => {
    const net = (await neutron('demo', 'POST', '/networks', { network: { name: 'l3-none' } })).body.network;
    const sub = (await neutron('demo', 'POST', '/subnets', { subnet: { network_id: net.id, cidr: '10.40.0.0/24', ip_version: 4 } })).body.subnet;
    const router = (await neutron('demo', 'POST', '/routers', { router: { name: 'l3-none' } })).body.router;
    const intf = (await neutron('demo', 'PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: sub.id })).body;
    const port = (await neutron('admin', 'GET', `/ports/${intf.port_id}`)).body.port;
    assert.equal(port['binding:host_id'], '');
    assert.equal(port.status, 'DOWN');
    assert.deepEqual(await l3().call('sync_routers', { host }), []);
    await neutron('demo', 'PUT', `/routers/${router.id}/remove_router_interface`, { subnet_id: sub.id });
    await neutron('demo', 'DELETE', `/routers/${router.id}`);
  });

  it('schedules, syncs, binds and reports floating IPs for an L3 agent', async () => {
    listener = await listen(cloud.bus, L3AgentTopicDef, host, {
      routers_updated: (args) => void casts.push({ method: 'routers_updated', args }),
      router_deleted: (args) => void casts.push({ method: 'router_deleted', args }),
      router_added_to_agent: (args) => {
        casts.push({ method: 'router_added_to_agent', args });
        return null;
      },
      router_removed_from_agent: (args) => void casts.push({ method: 'router_removed_from_agent', args }),
    });
    const state = { agent_type: 'L3 agent', binary: 'neutron-l3-agent', host, topic: 'l3_agent', configurations: { agent_mode: 'legacy' }, start_flag: true };
    assert.equal(await rpcClient(cloud.bus, ReportsTopicDef).call('report_state', { agent_state: { agent_state: state }, time: reportTime(systemClock.now()) }), 'new');
    const agents = (await neutron('admin', 'GET', '/agents?agent_type=L3%20agent')).body.agents;
    assert.deepEqual(agents.map((a: { host: string; binary: string; topic: string }) => [a.host, a.binary, a.topic]), [[host, 'neutron-l3-agent', 'l3_agent']]);

    const ext = (await neutron('admin', 'POST', '/networks', { network: { name: 'l3-public', 'router:external': true } })).body.network;
    await neutron('admin', 'POST', '/subnets', { subnet: { network_id: ext.id, cidr: '172.25.0.0/24', ip_version: 4 } });
    assert.equal(await l3().call('get_external_network_id', { host }), ext.id);
    const net = (await neutron('demo', 'POST', '/networks', { network: { name: 'l3-net' } })).body.network;
    const sub = (await neutron('demo', 'POST', '/subnets', { subnet: { network_id: net.id, cidr: '10.41.0.0/24', ip_version: 4 } })).body.subnet;
    const router = (await neutron('demo', 'POST', '/routers', { router: { name: 'l3-r', external_gateway_info: { network_id: ext.id } } })).body.router;
    await waitFor('router_added_to_agent', async () => (casts.some((c) => c.method === 'router_added_to_agent') ? true : undefined));
    assert.deepEqual(casts.find((c) => c.method === 'router_added_to_agent')!.args, { payload: [router.id] });
    const intf = (await neutron('demo', 'PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: sub.id })).body;
    await waitFor('routers_updated', async () => (casts.some((c) => c.method === 'routers_updated') ? true : undefined));
    assert.deepEqual(casts.find((c) => c.method === 'routers_updated')!.args, { routers: [router.id] });

    assert.deepEqual(await l3().call('get_router_ids', { host }), [router.id]);
    const [synced] = await l3().call('sync_routers', { host, router_ids: [router.id] });
    assert.equal(synced!.id, router.id);
    assert.equal(synced!.gw_port!.device_owner, 'network:router_gateway');
    assert.equal(synced!.gw_port!.fixed_ips[0]!.prefixlen, 24);
    assert.deepEqual(synced!._interfaces!.map((p) => p.id), [intf.port_id]);
    assert.equal(synced!._interfaces![0]!.subnets[0]!.gateway_ip, '10.41.0.1');
    // _ensure_host_set_on_ports: both router ports are now bound to the agent's host.
    for (const id of [intf.port_id, synced!.gw_port!.id]) {
      const p = (await neutron('admin', 'GET', `/ports/${id}`)).body.port;
      assert.equal(p['binding:host_id'], host);
      assert.equal(p['binding:vif_type'], 'ovs');
    }

    const vm = (await neutron('demo', 'POST', '/ports', { port: { network_id: net.id } })).body.port;
    const fip = (await neutron('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext.id, port_id: vm.id } })).body.floatingip;
    const [withFip] = await l3().call('sync_routers', { host, router_ids: [router.id] });
    assert.deepEqual(withFip!._floatingips!.map((f) => [f.id, f.fixed_ip_address]), [[fip.id, vm.fixed_ips[0].ip_address]]);
    await l3().call('update_floatingip_statuses', { router_id: router.id, fip_statuses: { [fip.id]: 'ACTIVE' } });
    assert.equal((await neutron('demo', 'GET', `/floatingips/${fip.id}`)).body.floatingip.status, 'ACTIVE');
    // A floating IP that is gone is skipped (FloatingIPNotFound), the others still written.
    await l3().call('update_floatingip_statuses', { router_id: router.id, fip_statuses: { 'no-such-fip': 'ACTIVE', [fip.id]: 'DOWN' } });
    assert.equal((await neutron('demo', 'GET', `/floatingips/${fip.id}`)).body.floatingip.status, 'DOWN');

    await neutron('demo', 'DELETE', `/floatingips/${fip.id}`);
    await neutron('demo', 'PUT', `/routers/${router.id}/remove_router_interface`, { subnet_id: sub.id });
    assert.equal((await neutron('demo', 'DELETE', `/routers/${router.id}`)).status, 204);
    await waitFor('router_deleted', async () => (casts.some((c) => c.method === 'router_deleted') ? true : undefined));
    assert.deepEqual(casts.find((c) => c.method === 'router_deleted')!.args, { router_id: router.id });
    assert.deepEqual(await l3().call('get_router_ids', { host }), []);
  });
});
