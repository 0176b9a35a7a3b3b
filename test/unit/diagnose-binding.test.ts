/**
 * The binding diagnosis (DESIGN §7): one case per cause with its config line, a healthy
 * port with none, and a property that "no findings" is exactly ML2's own decision to bind.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type AgentFacts,
  type BindingDiagnosisInput,
  type Ml2Facts,
  type SegmentFacts,
  diagnoseBinding,
  diagnosePortStatus,
  enabledDrivers,
  toAgentViews,
  toSegments,
} from '../../src/network/diagnosis/index.js';
import { decideBinding } from '../../src/network/ml2/index.js';

const OVS = 'Open vSwitch agent';
const ML2: Ml2Facts = {
  type_drivers: ['local', 'flat', 'vlan', 'vxlan'],
  tenant_network_types: ['vxlan'],
  mechanism_drivers: ['openvswitch'],
  flat_networks: ['*'],
  network_vlan_ranges: ['physnet1:1000:2999'],
};
const vxlan: SegmentFacts = { network_type: 'vxlan', physical_network: null, segmentation_id: 42 };
const vlan1: SegmentFacts = { network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 1234 };
const flat2: SegmentFacts = { network_type: 'flat', physical_network: 'physnet2', segmentation_id: null };

const ovs = (conf: Record<string, unknown> = {}, alive = true): AgentFacts => ({
  id: 'agent-1',
  agent_type: OVS,
  host: 'compute1',
  alive,
  configurations: { bridge_mappings: { physnet1: 'br-phys' }, tunnel_types: ['vxlan'], integration_bridge: 'br-int', ...conf },
});

const input = (over: Partial<BindingDiagnosisInput> = {}): BindingDiagnosisInput => ({
  port: { id: 'port-1', host_id: 'compute1', vnic_type: 'normal', vif_type: 'binding_failed', admin_state_up: true },
  segments: [vxlan],
  agents: [ovs()],
  ml2: ML2,
  ...over,
});

/** What Nimbus's binder decides for the same input. */
function binderBinds(i: BindingDiagnosisInput): boolean {
  const agents = i.port.host_id ? toAgentViews(i) : [];
  const req = { portId: i.port.id, host: i.port.host_id ?? '', vnicType: i.port.vnic_type ?? 'normal', profile: i.port.profile ?? {}, segments: toSegments(i.segments) };
  return decideBinding(enabledDrivers(i.ml2), req, agents, i.agentDownTime ?? 75).ok;
}

describe('diagnoseBinding', () => {
  it('a healthy vxlan port on a live agent has no findings', () => {
    assert.deepEqual(diagnoseBinding(input()), []);
    assert.equal(binderBinds(input()), true);
  });

  it('no-host: unbound port', () => {
    const [f, ...rest] = diagnoseBinding(input({ port: { id: 'port-1', host_id: '' } }));
    assert.equal(rest.length, 0);
    assert.equal(f!.cause, 'no-host');
    assert.equal(f!.fix, null);
  });

  it('no-agent-on-host: names the host and the agent to run', () => {
    const [f, ...rest] = diagnoseBinding(input({ port: { id: 'port-1', host_id: 'compute9' }, agents: [] }));
    assert.equal(rest.length, 0);
    assert.equal(f!.cause, 'no-agent-on-host');
    assert.match(f!.message, /compute9/);
    assert.match(f!.message, /neutron-openvswitch-agent/);
    assert.deepEqual(f!.fix, { file: 'neutron.conf', section: 'DEFAULT', option: 'host', suggested: 'host = compute9' });
  });

  it('agent-dead: by flag, and by heartbeat older than agent_down_time', () => {
    const [f] = diagnoseBinding(input({ agents: [ovs({}, false)] }));
    assert.equal(f!.cause, 'agent-dead');
    assert.match(f!.message, /agent-1/);
    const now = Date.parse('2026-01-01T00:02:00Z');
    const stale = { ...ovs(), alive: undefined, heartbeat_timestamp: '2026-01-01T00:00:00.000Z' };
    assert.equal(diagnoseBinding(input({ agents: [stale], now, agentDownTime: 75 }))[0]!.cause, 'agent-dead');
    assert.deepEqual(diagnoseBinding(input({ agents: [stale], now, agentDownTime: 180 })), []);
  });

  it('tunnel-type-not-configured, with the tenant_network_types alternative', () => {
    const findings = diagnoseBinding(input({ agents: [ovs({ tunnel_types: [] })] }));
    assert.deepEqual(
      findings.map((f) => f.cause),
      ['tunnel-type-not-configured', 'tenant-network-type-not-configured'],
    );
    assert.deepEqual(findings[0]!.fix, { file: 'openvswitch_agent.ini', section: 'agent', option: 'tunnel_types', suggested: 'tunnel_types = vxlan' });
    assert.match(findings[0]!.message, /vxlan.*compute1/);
    assert.deepEqual(findings[1]!.fix, { file: 'ml2_conf.ini', section: 'ml2', option: 'tenant_network_types', suggested: 'tenant_network_types = vlan' });
  });

  it('tenant-network-type-not-configured is left out when the agent could serve no project type', () => {
    const findings = diagnoseBinding(input({ agents: [ovs({ tunnel_types: [], bridge_mappings: {} })] }));
    assert.deepEqual(findings.map((f) => f.cause), ['tunnel-type-not-configured']);
  });

  it('physnet-not-mapped: keeps the existing mappings in the suggested line', () => {
    const [f, ...rest] = diagnoseBinding(input({ segments: [flat2] }));
    assert.equal(rest.length, 0);
    assert.equal(f!.cause, 'physnet-not-mapped');
    assert.match(f!.message, /physnet2/);
    assert.deepEqual(f!.fix, { file: 'openvswitch_agent.ini', section: 'ovs', option: 'bridge_mappings', suggested: 'bridge_mappings = physnet1:br-phys,physnet2:br-physnet2' });
    const [g] = diagnoseBinding(input({ segments: [flat2], agents: [ovs({ bridge_mappings: {} })] }));
    assert.equal(g!.fix!.suggested, 'bridge_mappings = physnet2:br-ex');
  });

  it('network-type-not-supported-by-agent', () => {
    const [f] = diagnoseBinding(input({ segments: [{ network_type: 'opflex', physical_network: null, segmentation_id: null }] }));
    assert.equal(f!.cause, 'network-type-not-supported-by-agent');
    assert.match(f!.message, /opflex/);
  });

  it('vnic-type-not-supported: macvtap on OVS; smart-nic without baremetal_smartnic', () => {
    const [f] = diagnoseBinding(input({ port: { id: 'port-1', host_id: 'compute1', vnic_type: 'macvtap' } }));
    assert.equal(f!.cause, 'vnic-type-not-supported');
    const [g] = diagnoseBinding(input({ port: { id: 'port-1', host_id: 'compute1', vnic_type: 'smart-nic' } }));
    assert.equal(g!.cause, 'vnic-type-not-supported');
    assert.equal(g!.fix!.suggested, 'baremetal_smartnic = True');
  });

  it('mechanism-driver-not-enabled: a Linux bridge agent with only openvswitch loaded', () => {
    const lb: AgentFacts = { agent_type: 'Linux bridge agent', alive: true, configurations: { interface_mappings: { physnet1: 'eth1' }, tunnel_types: ['vxlan'] } };
    const findings = diagnoseBinding(input({ agents: [lb] }));
    assert.equal(findings[0]!.cause, 'mechanism-driver-not-enabled');
    assert.deepEqual(findings[0]!.fix, { file: 'ml2_conf.ini', section: 'ml2', option: 'mechanism_drivers', suggested: 'mechanism_drivers = openvswitch,linuxbridge' });
    assert.equal(findings[1]!.cause, 'no-agent-on-host');
    assert.deepEqual(diagnoseBinding(input({ agents: [lb], ml2: { ...ML2, mechanism_drivers: ['openvswitch', 'linuxbridge'] } })), []);
  });

  it('several agents and segments: reports each refusal, nothing when one pair binds', () => {
    const dead = { ...ovs({}, false), id: 'agent-0' };
    assert.deepEqual(diagnoseBinding(input({ agents: [dead, ovs()], segments: [flat2, vlan1] })), []);
    const causes = diagnoseBinding(input({ agents: [dead, ovs()], segments: [flat2] })).map((f) => f.cause);
    assert.deepEqual(causes, ['agent-dead', 'physnet-not-mapped']);
  });

  it('property: no findings exactly when ML2 binds', () => {
    const segment = fc.record({
      network_type: fc.constantFrom('vxlan', 'vxlan', 'vlan', 'flat', 'local', 'gre', 'geneve', 'opflex'),
      physical_network: fc.constantFrom(null, 'physnet1', 'physnet1', 'physnet2'),
      segmentation_id: fc.constantFrom(null, 7),
    });
    const agent = fc.record({
      agent_type: fc.constantFrom(OVS, OVS, OVS, 'Linux bridge agent', 'DHCP agent'),
      alive: fc.constantFrom(true, true, true, false),
      configurations: fc.record({
        tunnel_types: fc.subarray(['vxlan', 'gre', 'geneve']),
        bridge_mappings: fc.constantFrom({}, { physnet1: 'br-phys' }, { physnet2: 'br-ex', physnet1: 'br-phys' }),
        baremetal_smartnic: fc.boolean(),
      }),
    });
    const arb = fc.record({
      host: fc.constantFrom('', 'compute1', 'compute1', 'compute1', 'compute1'),
      vnic: fc.constantFrom('normal', 'normal', 'normal', 'normal', 'normal', 'direct', 'macvtap', 'smart-nic'),
      switchdev: fc.boolean(),
      segments: fc.array(segment, { minLength: 1, maxLength: 3 }),
      noSegments: fc.constantFrom(false, false, false, false, false, false, false, false, false, true),
      agents: fc.array(agent, { maxLength: 3 }),
      mechs: fc.oneof(fc.constant(['openvswitch']), fc.constant(['openvswitch']), fc.subarray(['openvswitch', 'linuxbridge'])),
    });
    let binds = 0;
    fc.assert(
      fc.property(arb, (a) => {
        const i = input({
          port: { id: 'p', host_id: a.host, vnic_type: a.vnic, profile: a.switchdev ? { capabilities: ['switchdev'] } : {} },
          segments: a.noSegments ? [] : a.segments,
          agents: a.agents,
          ml2: { ...ML2, mechanism_drivers: a.mechs },
        });
        const findings = diagnoseBinding(i);
        if (findings.length === 0) binds++;
        assert.equal(findings.length === 0, binderBinds(i), JSON.stringify({ a, findings }));
        for (const f of findings) assert.ok(f.message.length > 0);
      }),
      { numRuns: 2000 },
    );
    // Both outcomes must be well represented for the equivalence to mean anything.
    assert.ok(binds > 200 && binds < 1800, `binds in ${binds} of 2000 runs`);
  });
});

describe('diagnosePortStatus', () => {
  const port = { id: 'port-1', host_id: 'compute1', vif_type: 'ovs', admin_state_up: true, status: 'DOWN' };
  it('ACTIVE: nothing', () => assert.deepEqual(diagnosePortStatus({ port: { ...port, status: 'ACTIVE' }, agents: [ovs()] }), []));
  it('DOWN with admin_state_up false', () => {
    assert.equal(diagnosePortStatus({ port: { ...port, admin_state_up: false }, agents: [ovs()] })[0]!.cause, 'admin-state-down');
  });
  it('bound but agent dead, or no agent', () => {
    assert.deepEqual(diagnosePortStatus({ port, agents: [ovs({}, false)] }).map((f) => f.cause), ['agent-dead']);
    assert.deepEqual(diagnosePortStatus({ port, agents: [] }).map((f) => f.cause), ['no-agent-on-host']);
  });
  it('binding_failed and unbound ports', () => {
    assert.deepEqual(diagnosePortStatus({ port: { ...port, vif_type: 'binding_failed' }, agents: [] }).map((f) => f.cause), ['binding-failed']);
    assert.deepEqual(diagnosePortStatus({ port: { ...port, host_id: '', vif_type: 'unbound' }, agents: [] }).map((f) => f.cause), ['unbound']);
  });
  it('bound with a live agent: awaiting the agent', () => {
    assert.deepEqual(diagnosePortStatus({ port, agents: [ovs()] }).map((f) => f.cause), ['awaiting-agent']);
  });
});
