import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AgentStateReport } from '../../src/network/agents/index.js';
import { reportState } from '../../src/network/agents/index.js';
import type { BindingResult, Segment } from '../../src/network/ml2/index.js';
import { type Fixture, ml2Fixture } from './ml2-fixtures.js';

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

const vxlan: Segment = { id: 'seg-vx', network_id: 'n', network_type: 'vxlan', physical_network: null, segmentation_id: 42, segment_index: 0 };
const vlan2: Segment = { id: 'seg-vl', network_id: 'n', network_type: 'vlan', physical_network: 'physnet2', segmentation_id: 100, segment_index: 0 };
const flat1: Segment = { id: 'seg-fl', network_id: 'n', network_type: 'flat', physical_network: 'physnet1', segmentation_id: null, segment_index: 0 };

function ovsReport(host: string, conf: Record<string, unknown> = {}): AgentStateReport {
  return {
    agent_type: 'Open vSwitch agent',
    binary: 'neutron-openvswitch-agent',
    host,
    topic: 'N/A',
    configurations: {
      bridge_mappings: { physnet1: 'br-phys' },
      integration_bridge: 'br-int',
      tunnel_types: ['vxlan'],
      tunneling_ip: '10.0.0.2',
      datapath_type: 'system',
      ovs_hybrid_plug: true,
      ...conf,
    },
    start_flag: true,
  };
}

async function bind(segments: Segment[], host = 'compute1', vnicType = 'normal'): Promise<BindingResult> {
  return f!.ml2.bindPort(f!.db, { portId: 'port-1', host, vnicType, profile: {}, segments });
}

function failed(r: BindingResult): Extract<BindingResult, { ok: false }> {
  assert.equal(r.ok, false, JSON.stringify(r));
  return r as Extract<BindingResult, { ok: false }>;
}

describe('ml2 port binding', () => {
  it('binds through an OVS agent with iptables_hybrid: hybrid plug on', async () => {
    f = await ml2Fixture();
    await reportState(f.db, ovsReport('compute1'), f.clock.now());
    const r = await bind([vxlan]);
    assert.ok(r.ok);
    assert.equal(r.vifType, 'ovs');
    assert.equal(r.boundDriver, 'openvswitch');
    assert.equal(r.boundSegment, vxlan);
    assert.equal(
      JSON.stringify(r.vifDetails),
      '{"connectivity":"l2","port_filter":true,"ovs_hybrid_plug":true,"datapath_type":"system","bridge_name":"br-int","bound_drivers":{"0":"openvswitch"}}',
    );
  });

  it("gives Zed's exact vif_details with the openvswitch firewall and netdev datapath", async () => {
    f = await ml2Fixture();
    await reportState(f.db, ovsReport('compute1', { ovs_hybrid_plug: false, datapath_type: 'netdev' }), f.clock.now());
    const r = await bind([vxlan]);
    assert.ok(r.ok);
    // RESULTS.md: binding:vif_details of a port bound by real neutron Zed.
    assert.equal(
      JSON.stringify(r.vifDetails),
      '{"connectivity":"l2","port_filter":true,"ovs_hybrid_plug":false,"datapath_type":"netdev","bridge_name":"br-int","bound_drivers":{"0":"openvswitch"}}',
    );
  });

  it('binds flat on a mapped physnet', async () => {
    f = await ml2Fixture();
    await reportState(f.db, ovsReport('compute1'), f.clock.now());
    const r = await bind([flat1]);
    assert.ok(r.ok);
    assert.equal(r.boundSegment.id, 'seg-fl');
  });

  it('fails with no_agent_on_host', async () => {
    f = await ml2Fixture();
    await reportState(f.db, ovsReport('compute2'), f.clock.now());
    const r = failed(await bind([vxlan]));
    assert.equal(r.vifType, 'binding_failed');
    assert.equal(r.cause, 'no_agent_on_host');
    assert.match(r.message, /No Open vSwitch agent is registered on host 'compute1'/);
  });

  it('fails with agent_down once the heartbeat is older than agent_down_time', async () => {
    f = await ml2Fixture({ network: { agent_down_time: 75 } });
    await reportState(f.db, ovsReport('compute1'), f.clock.now());
    await f.clock.advance(75_000);
    assert.ok((await bind([vxlan])).ok, 'exactly agent_down_time old is still alive');
    await f.clock.advance(1_000);
    const r = failed(await bind([vxlan]));
    assert.equal(r.cause, 'agent_down');
    assert.match(r.message, /is down: its last heartbeat was at 2026-01-01 00:00:00, more than agent_down_time \(75 s\) ago/);
  });

  it('fails with no_tunnel_types for vxlan on an agent without tunnels', async () => {
    f = await ml2Fixture();
    await reportState(f.db, ovsReport('compute1', { tunnel_types: [] }), f.clock.now());
    const r = failed(await bind([vxlan]));
    assert.equal(r.cause, 'no_tunnel_types');
    assert.match(r.message, /reports tunnel_types \[\] \(no tunnelling configured\)/);
  });

  it('fails with physnet_not_mapped for a vlan physnet missing from bridge_mappings', async () => {
    f = await ml2Fixture();
    await reportState(f.db, ovsReport('compute1'), f.clock.now());
    const r = failed(await bind([vlan2]));
    assert.equal(r.cause, 'physnet_not_mapped');
    assert.match(r.message, /needs physical network 'physnet2'.*maps only physnet1/);
  });

  it('fails with unsupported_network_type for a type no agent supports', async () => {
    f = await ml2Fixture();
    await reportState(f.db, ovsReport('compute1'), f.clock.now());
    const odd: Segment = { ...vxlan, id: 'seg-x', network_type: 'opflex', segmentation_id: null };
    const r = failed(await bind([odd]));
    assert.equal(r.cause, 'unsupported_network_type');
  });

  it('fails with vnic_type_unsupported', async () => {
    f = await ml2Fixture();
    await reportState(f.db, ovsReport('compute1'), f.clock.now());
    assert.equal(failed(await bind([vxlan], 'compute1', 'baremetal')).cause, 'vnic_type_unsupported');
    assert.equal(failed(await bind([vxlan], 'compute1', 'direct')).cause, 'vnic_type_unsupported');
  });

  it('binds with the linuxbridge driver when selected', async () => {
    f = await ml2Fixture({ ml2: { mechanism_drivers: ['linuxbridge'] } });
    await reportState(
      f.db,
      {
        agent_type: 'Linux bridge agent',
        binary: 'neutron-linuxbridge-agent',
        host: 'compute1',
        topic: 'N/A',
        configurations: { interface_mappings: { physnet2: 'eth1' }, bridge_mappings: {}, tunnel_types: ['vxlan'] },
      },
      f.clock.now(),
    );
    const r = await bind([vlan2]);
    assert.ok(r.ok);
    assert.equal(r.vifType, 'bridge');
    assert.deepEqual(r.vifDetails, { connectivity: 'l2', port_filter: true, bound_drivers: { '0': 'linuxbridge' } });
  });

  it('tries drivers in order and reports the most specific refusal', async () => {
    f = await ml2Fixture({ ml2: { mechanism_drivers: ['linuxbridge', 'openvswitch'] } });
    await reportState(f.db, ovsReport('compute1'), f.clock.now());
    const ok = await bind([vxlan]);
    assert.ok(ok.ok);
    assert.equal(ok.boundDriver, 'openvswitch');
    assert.deepEqual(ok.vifDetails['bound_drivers'], { '0': 'openvswitch' });
    assert.equal(failed(await bind([vlan2])).cause, 'physnet_not_mapped');
  });

  it('names the other agents on the host when the expected one is missing', async () => {
    f = await ml2Fixture();
    await reportState(
      f.db,
      { agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', host: 'compute1', topic: 'N/A', configurations: {} },
      f.clock.now(),
    );
    const r = failed(await bind([vxlan]));
    assert.equal(r.cause, 'no_agent_on_host');
    assert.match(r.message, /has only: Linux bridge agent/);
  });
});
