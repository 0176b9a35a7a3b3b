/**
 * Port binding over HTTP (DESIGN §5): ML2/OVS binds when an admin sets binding:host_id,
 * and each cause of binding_failed the design names is produced from data: a host
 * with no agent, an agent that stopped reporting (a fake clock moved past
 * agent_down_time), a physnet the agent does not map, and tunnels the agent lacks.
 * Non-admins neither see nor set binding:* beyond binding:vnic_type.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeClock } from '../../src/common/clock.js';
import { BUNDLE_TARGET, type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { assertNeutronError, assertStatus, neutron } from '../helpers/neutron.js';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;
const clock = new FakeClock();
let vxlanNet: any;
let vlanNet: any;
let flatNet: any;

const HYBRID_DETAILS = { connectivity: 'l2', port_filter: true, ovs_hybrid_plug: true, datapath_type: 'system', bridge_name: 'br-int', bound_drivers: { '0': 'openvswitch' } };

before(async () => {
  // The bundle runs on its own clock: only the tests that move this one are in-process only.
  cloud = await startTestCloud({}, BUNDLE_TARGET ? undefined : clock);
  await clock.advance(1000);
  n = neutron(cloud);
  vxlanNet = await n.network('demo', { name: 'vx' });
  await n.subnet('demo', vxlanNet.id, '10.60.0.0/24');
  vlanNet = await n.network('admin', { name: 'vl', shared: true, 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 1234 });
  await n.subnet('admin', vlanNet.id, '10.61.0.0/24');
  flatNet = await n.network('admin', { name: 'fl', shared: true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet2' });
  await n.subnet('admin', flatNet.id, '10.62.0.0/24');
});
after(() => cloud.stop());

const bind = async (portId: string, host: string) => assertStatus(await n.put('admin', `ports/${portId}`, { port: { 'binding:host_id': host } }), 200).port;

describe('binding as admin', () => {
  test('a vxlan port binds on compute1 with the iptables_hybrid details', async () => {
    const p = await n.port('demo', vxlanNet.id);
    const bound = await bind(p.id, 'compute1');
    assert.equal(bound['binding:host_id'], 'compute1');
    assert.equal(bound['binding:vif_type'], 'ovs');
    assert.deepEqual(bound['binding:vif_details'], HYBRID_DETAILS);
    assert.equal(bound['binding:vnic_type'], 'normal');
    assert.deepEqual(bound['binding:profile'], {});
    const asAdmin = assertStatus(await n.get('admin', `ports/${p.id}`), 200).port;
    assert.equal(asAdmin['binding:vif_type'], 'ovs');
    assert.deepEqual(asAdmin['binding:vif_details'], HYBRID_DETAILS);
  });

  test('binding on create works too, and unbinding clears it', async () => {
    const p = await n.port('admin', vxlanNet.id, { 'binding:host_id': 'compute2', project_id: vxlanNet.project_id });
    assert.equal(p['binding:vif_type'], 'ovs');
    const unbound = await bind(p.id, '');
    assert.equal(unbound['binding:host_id'], '');
    assert.equal(unbound['binding:vif_type'], 'unbound');
    assert.deepEqual(unbound['binding:vif_details'], {});
  });

  test('a vlan network on physnet1 binds; a flat network on unmapped physnet2 fails', async () => {
    const vl = await n.port('admin', vlanNet.id);
    assert.equal((await bind(vl.id, 'compute1'))['binding:vif_type'], 'ovs');
    const fl = await n.port('admin', flatNet.id);
    const failed = await bind(fl.id, 'compute1');
    assert.equal(failed['binding:vif_type'], 'binding_failed');
    assert.deepEqual(failed['binding:vif_details'], {});
    assert.equal(failed['binding:host_id'], 'compute1');
  });

  test('a host with no agent: binding_failed', async () => {
    const p = await n.port('admin', vxlanNet.id);
    assert.equal((await bind(p.id, 'compute9'))['binding:vif_type'], 'binding_failed');
  });

  test('a vxlan network on a host whose agent has no tunnel types: binding_failed, vlan still binds', { skip: inProcessOnly('reconfigures an agent through cloud.agents') }, async () => {
    await cloud.agents.configure('compute2', { tunnel_types: [] });
    await cloud.agents.reportNow('compute2');
    const vx = await n.port('admin', vxlanNet.id);
    assert.equal((await bind(vx.id, 'compute2'))['binding:vif_type'], 'binding_failed');
    const vl = await n.port('admin', vlanNet.id);
    assert.equal((await bind(vl.id, 'compute2'))['binding:vif_type'], 'ovs');
    await cloud.agents.configure('compute2', { tunnel_types: ['vxlan'] });
    await cloud.agents.reportNow('compute2');
    assert.equal((await bind(vx.id, 'compute2'))['binding:vif_type'], 'ovs');
  });

  test('an agent that stopped reporting past agent_down_time: binding_failed', { skip: inProcessOnly('stops an agent and moves the injected clock') }, async () => {
    await cloud.agents.setReporting('compute1', false);
    await clock.advance(76_000);
    const agents = assertStatus(await n.get('admin', 'agents?host=compute1'), 200).agents;
    assert.equal(agents[0].alive, false);
    const p = await n.port('admin', vxlanNet.id);
    assert.equal((await bind(p.id, 'compute1'))['binding:vif_type'], 'binding_failed');
    await cloud.agents.setReporting('compute1', true);
    await cloud.agents.reportNow('compute1');
    assert.equal((await bind(p.id, 'compute1'))['binding:vif_type'], 'ovs');
  });
});

describe('binding and non-admins', () => {
  test('demo sees only binding:vnic_type, in show and list', async () => {
    const p = await n.port('demo', vxlanNet.id);
    await bind(p.id, 'compute2');
    const shown = assertStatus(await n.get('demo', `ports/${p.id}`), 200).port;
    assert.equal(shown['binding:vnic_type'], 'normal');
    for (const k of ['binding:host_id', 'binding:profile', 'binding:vif_type', 'binding:vif_details']) assert.ok(!(k in shown), `demo sees ${k}`);
    const listed = assertStatus(await n.get('demo', `ports?id=${p.id}`), 200).ports[0];
    assert.ok(!('binding:host_id' in listed));
  });

  test('demo may not set binding:host_id or binding:profile: 403 PolicyNotAuthorized', async () => {
    const create = await n.post('demo', 'ports', { port: { network_id: vxlanNet.id, 'binding:host_id': 'compute1' } });
    assertNeutronError(create, 403, 'PolicyNotAuthorized', '(rule:create_port and rule:create_port:binding:host_id) is disallowed by policy');
    const p = await n.port('demo', vxlanNet.id);
    const upd = await n.put('demo', `ports/${p.id}`, { port: { 'binding:host_id': 'compute1' } });
    assertNeutronError(upd, 403, 'PolicyNotAuthorized', '(rule:update_port and rule:update_port:binding:host_id) is disallowed by policy');
    const prof = await n.put('demo', `ports/${p.id}`, { port: { 'binding:profile': { a: 1 }, 'binding:host_id': 'compute1' } });
    assertNeutronError(prof, 403, 'PolicyNotAuthorized', '((rule:update_port and rule:update_port:binding:host_id) and rule:update_port:binding:profile) is disallowed by policy');
    const none = assertStatus(await n.get('admin', `ports/${p.id}`), 200).port;
    assert.equal(none['binding:host_id'], '');
  });

  test('demo may set binding:vnic_type', async () => {
    const p = await n.port('demo', vxlanNet.id, { 'binding:vnic_type': 'normal' });
    assert.equal(p['binding:vnic_type'], 'normal');
  });
});
