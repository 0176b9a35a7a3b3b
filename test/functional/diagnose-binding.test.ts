/**
 * The binding diagnosis against real binding_failed ports (DESIGN §7): each port is failed
 * by ML2 in an in-process cloud, then its port, network segments and host agents are read
 * back over the API, as an operator tool would, and diagnoseBinding must name the cause.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeClock } from '../../src/common/clock.js';
import { type BindingDiagnosisInput, diagnoseBinding, diagnosePortStatus } from '../../src/network/diagnosis/index.js';
import { BUNDLE_TARGET, type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { assertStatus, neutron } from '../helpers/neutron.js';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;
const clock = new FakeClock();
let vxlanNet: any;
let flatNet: any;

before(async () => {
  cloud = await startTestCloud({}, BUNDLE_TARGET ? undefined : clock);
  await clock.advance(1000);
  n = neutron(cloud);
  vxlanNet = await n.network('demo', { name: 'vx' });
  await n.subnet('demo', vxlanNet.id, '10.70.0.0/24');
  flatNet = await n.network('admin', { name: 'fl', shared: true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet2' });
  await n.subnet('admin', flatNet.id, '10.71.0.0/24');
});
after(() => cloud.stop());

const bind = async (portId: string, host: string) => assertStatus(await n.put('admin', `ports/${portId}`, { port: { 'binding:host_id': host } }), 200).port;

/** What `nimbus diagnose port` will read: the port, its network's segments, its host's agents, [ml2]. */
async function readFacts(portId: string): Promise<BindingDiagnosisInput> {
  const port = assertStatus(await n.get('admin', `ports/${portId}`), 200).port;
  const net = assertStatus(await n.get('admin', `networks/${port.network_id}`), 200).network;
  const segments = net.segments ?? [net];
  const host = port['binding:host_id'];
  const agents = host ? assertStatus(await n.get('admin', `agents?host=${encodeURIComponent(host)}`), 200).agents : [];
  return {
    port: { id: port.id, host_id: host, vnic_type: port['binding:vnic_type'], vif_type: port['binding:vif_type'], admin_state_up: port.admin_state_up, profile: port['binding:profile'] },
    segments: segments.map((s: any) => ({
      network_type: s['provider:network_type'],
      physical_network: s['provider:physical_network'],
      segmentation_id: s['provider:segmentation_id'],
    })),
    agents,
    ml2: cloud.cfg.ml2,
    agentDownTime: cloud.cfg.network.agent_down_time,
  };
}

describe('diagnoseBinding on ports ML2 failed', () => {
  test('a bound port has no findings', async () => {
    const p = await n.port('admin', vxlanNet.id);
    assert.equal((await bind(p.id, 'compute1'))['binding:vif_type'], 'ovs');
    assert.deepEqual(diagnoseBinding(await readFacts(p.id)), []);
  });

  test('a flat network on a physnet the agent does not map: physnet-not-mapped, bridge_mappings line', async () => {
    const p = await n.port('admin', flatNet.id);
    assert.equal((await bind(p.id, 'compute1'))['binding:vif_type'], 'binding_failed');
    const findings = diagnoseBinding(await readFacts(p.id));
    assert.deepEqual(findings.map((f) => f.cause), ['physnet-not-mapped']);
    assert.match(findings[0]!.message, /physnet2.*compute1/);
    assert.equal(findings[0]!.fix!.file, 'openvswitch_agent.ini');
    assert.match(findings[0]!.fix!.suggested, /^bridge_mappings = .*physnet2:/);
    // Port status: binding_failed is where the vif-plugged chain breaks.
    const port = assertStatus(await n.get('admin', `ports/${p.id}`), 200).port;
    const status = diagnosePortStatus({ port: { id: port.id, host_id: port['binding:host_id'], vif_type: port['binding:vif_type'], admin_state_up: port.admin_state_up, status: port.status }, agents: [] });
    assert.deepEqual(status.map((f) => f.cause), ['binding-failed']);
  });

  test('a host with no agent: no-agent-on-host', async () => {
    const p = await n.port('admin', vxlanNet.id);
    assert.equal((await bind(p.id, 'compute9'))['binding:vif_type'], 'binding_failed');
    const findings = diagnoseBinding(await readFacts(p.id));
    assert.deepEqual(findings.map((f) => f.cause), ['no-agent-on-host']);
    assert.match(findings[0]!.message, /compute9/);
  });

  test('an agent without tunnel types: tunnel-type-not-configured, tunnel_types line', { skip: inProcessOnly('reconfigures an agent through cloud.agents') }, async () => {
    await cloud.agents.configure('compute2', { tunnel_types: [] });
    await cloud.agents.reportNow('compute2');
    try {
      const p = await n.port('admin', vxlanNet.id);
      assert.equal((await bind(p.id, 'compute2'))['binding:vif_type'], 'binding_failed');
      const findings = diagnoseBinding(await readFacts(p.id));
      assert.equal(findings[0]!.cause, 'tunnel-type-not-configured');
      assert.deepEqual(findings[0]!.fix, { file: 'openvswitch_agent.ini', section: 'agent', option: 'tunnel_types', suggested: 'tunnel_types = vxlan' });
    } finally {
      await cloud.agents.configure('compute2', { tunnel_types: ['vxlan'] });
      await cloud.agents.reportNow('compute2');
    }
  });

  test('an agent silent past agent_down_time: agent-dead', { skip: inProcessOnly('stops an agent and moves the injected clock') }, async () => {
    await cloud.agents.setReporting('compute1', false);
    await clock.advance(76_000);
    try {
      const p = await n.port('admin', vxlanNet.id);
      assert.equal((await bind(p.id, 'compute1'))['binding:vif_type'], 'binding_failed');
      const findings = diagnoseBinding(await readFacts(p.id));
      assert.deepEqual(findings.map((f) => f.cause), ['agent-dead']);
      assert.match(findings[0]!.message, /compute1/);
    } finally {
      await cloud.agents.setReporting('compute1', true);
      await cloud.agents.reportNow('compute1');
    }
  });
});
