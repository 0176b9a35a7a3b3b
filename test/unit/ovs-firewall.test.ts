/**
 * The openvswitch firewall's flows: for one port (a tunnel network with IPv4, IPv6 and an
 * allowed address pair; a VLAN network with port ranges and source ports) the flows are
 * Zed's, field for field (golden files written by Zed's own OVSFirewallDriver,
 * test/unit/fixtures/ovs-firewall/golden.py); remote groups become one flow set per
 * member (our choice, not Zed's conjunctions); OvsFirewall sends one add-flows per apply,
 * re-programs a port whose rules changed and deletes every per-port flow when it goes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { HostNetwork } from '../../src/hostnet/host-network.js';
import { OvsFirewall, type OvsVif } from '../../src/network/agents/firewall/ovs-firewall.js';
import { type FwPort, firewallBridgeFlows, portBaseFlows, portDeleteMatches, portRuleFlows, portRuleMasking } from '../../src/network/agents/firewall/ovs-fw-flows.js';
import type { FlowSpec } from '../../src/network/agents/openflow/tables.js';
import type { SgDeviceInfo, SgRuleInfo } from '../../src/network/rpc/sg-wire.js';

const dir = new URL('./fixtures/ovs-firewall/', import.meta.url);
interface Record_ {
  table: number;
  priority: number;
  match: string[];
  actions: string;
}
interface Spec {
  port: { device: string; mac: string; ofport: number; vlan: number; network_type: string; segment_id: number; fixed_ips: string[]; allowed_address_pairs: { ip_address: string; mac_address: string }[] };
  rules: SgRuleInfo[];
}
const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as T;
const key = (r: Record_) => `${r.table} ${r.priority} ${[...r.match].sort().join(',')} ${r.actions}`;
const fromSpec = (f: FlowSpec): Record_ => ({ table: f.table, priority: f.priority, match: f.match ? f.match.split(',') : [], actions: f.actions });
const sorted = (xs: Record_[]) => xs.map(key).sort();

function fwPort(s: Spec): FwPort {
  const p = s.port;
  return { ofport: p.ofport, vlanTag: p.vlan, mac: p.mac, fixedIps: p.fixed_ips, allowedAddressPairs: p.allowed_address_pairs, networkType: p.network_type, segmentId: p.segment_id };
}

describe('openvswitch firewall flows', () => {
  for (const [spec, golden] of [['spec.json', 'flows.json'], ['spec-vlan.json', 'flows-vlan.json']] as const) {
    it(`programs a port as Zed's OVSFirewallDriver does (${spec})`, () => {
      const s = read<Spec>(spec);
      const g = read<{ bridge: Record_[]; port: Record_[] }>(golden);
      const p = fwPort(s);
      const ours = [...portBaseFlows(p), ...portRuleFlows(p, [s.rules], () => undefined)].map(fromSpec);
      assert.deepEqual(sorted(ours), sorted(g.port));
    });
  }

  it("installs Zed's bridge-wide tables (drop unmatched, ct_clear, 91→94 NORMAL)", () => {
    const g = read<{ bridge: Record_[] }>('flows.json');
    assert.deepEqual(sorted(firewallBridgeFlows().map(fromSpec)), sorted(g.bridge));
  });

  it('masks port ranges as neutron.common.utils.port_rule_masking', () => {
    // Zed's own output (/usr/bin/python3 -c 'from neutron.common.utils import port_rule_masking as p; print(p(40, 105))'), order included.
    assert.deepEqual(portRuleMasking(40, 105), ['0x0030/0xfff0', '0x0028/0xfff8', '0x0040/0xffe0', '0x0060/0xfff8', '0x0068/0xfffe']);
    assert.deepEqual(portRuleMasking(22, 22), ['0x0016']);
    assert.equal(portRuleMasking(1, 65535).length, 16);
    assert.equal(portRuleMasking(1, 65535)[15], '0x8000/0x8000');
    assert.deepEqual(portRuleMasking(1024, 1027), ['0x0400/0xfffc']);
  });

  it("expands a remote group rule to its members' addresses of the rule's ethertype, at the conjunction priority", () => {
    const p = fwPort(read<Spec>('spec.json'));
    const rule: SgRuleInfo = { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_group_id: 'sg1' };
    const flows = portRuleFlows(p, [[rule]], (id) => (id === 'sg1' ? { IPv4: [['10.0.0.7', null], ['10.0.0.8', null]], IPv6: [['fd00::7', null]] } : undefined));
    const icmp = flows.filter((f) => f.table === 82 && f.match.includes('nw_proto=1'));
    assert.deepEqual(
      icmp.map((f) => `${f.priority} ${f.match}`),
      [
        '71 dl_type=0x0800,reg5=7,nw_src=10.0.0.7/32,nw_proto=1,ct_state=+est-rel-rpl',
        '71 dl_type=0x0800,reg5=7,nw_src=10.0.0.7/32,nw_proto=1,ct_state=+new-est',
        '71 dl_type=0x0800,reg5=7,nw_src=10.0.0.8/32,nw_proto=1,ct_state=+est-rel-rpl',
        '71 dl_type=0x0800,reg5=7,nw_src=10.0.0.8/32,nw_proto=1,ct_state=+new-est',
      ],
    );
    // No member: nothing is allowed by the rule.
    assert.equal(portRuleFlows(p, [[rule]], () => ({ IPv4: [] })).filter((f) => f.match.includes('nw_proto=1')).length, 0);
  });
});

/** A host whose ovs-ofctl add-flows stdin is recorded. */
function recordingHost() {
  const batches: string[][] = [];
  const net = {
    host: 'h1',
    execute: (argv: string[], opts?: { input?: string }) => {
      assert.deepEqual(argv, ['ovs-ofctl', '-O', 'OpenFlow13', 'add-flows', 'br-int', '-']);
      batches.push((opts?.input ?? '').trim().split('\n'));
      return Promise.resolve('');
    },
  } as unknown as HostNetwork;
  return { net, batches };
}

const device = (id: string, sgs: string[], extra: Partial<SgDeviceInfo> = {}): SgDeviceInfo => ({
  id, name: '', network_id: 'n1', tenant_id: 't', project_id: 't', mac_address: 'fa:16:3e:11:22:33', admin_state_up: true, status: 'ACTIVE',
  device_id: 'vm', device_owner: 'compute:nova', fixed_ips: ['10.0.0.5'], allowed_address_pairs: [], port_security_enabled: true,
  security_groups: sgs, security_group_rules: [], security_group_source_groups: [], security_group_remote_address_groups: [], device: id, ...extra,
});

describe('OvsFirewall', () => {
  const vif: OvsVif = { ofport: 7, vlanTag: 3, mac: 'fa:16:3e:11:22:33', networkType: 'vxlan', segmentId: 1001 };

  it('sends the bridge tables and a port in one add-flows; a rule change deletes and re-adds the port; unset removes every per-port flow', async () => {
    const { net, batches } = recordingHost();
    const fw = new OvsFirewall(net, 'br-int', '0xabc', (d) => (d === 'p1' ? vif : null));
    const icmp: SgRuleInfo = { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' };
    fw.updateSecurityGroupRules('sg', [icmp]);
    fw.setPort(device('p1', ['sg']));
    await fw.apply();
    assert.equal(batches.length, 1);
    assert.ok(batches[0]!.every((l) => l.startsWith('add cookie=0xabc,')));
    assert.ok(batches[0]!.some((l) => l.includes('table=82,priority=75,dl_type=0x0800,reg5=7,nw_proto=1,ct_state=+new-est')));
    assert.ok(batches[0]!.some((l) => l.includes('table=71,priority=0,actions=drop')));
    assert.ok(fw.ports.has('p1'));

    fw.updateSecurityGroupRules('sg', []);
    fw.setPort(device('p1', ['sg']));
    await fw.apply();
    const second = batches[1]!;
    assert.ok(second.includes('delete reg5=7'));
    assert.ok(!second.some((l) => l.includes('nw_proto=1,')), 'the ICMP rule is gone');
    assert.ok(!second.some((l) => l.includes('table=71,priority=0,')), 'bridge tables only once');
    assert.ok(second.indexOf('delete reg5=7') < second.findIndex((l) => l.startsWith('add ')));

    assert.equal(fw.unsetPort('p1'), true);
    await fw.apply();
    assert.deepEqual(batches[2], portDeleteMatches({ ...vif, fixedIps: ['10.0.0.5'], allowedAddressPairs: [] }).map((m) => `delete ${m}`));
    assert.ok(!fw.ports.has('p1'));
    assert.equal(fw.unsetPort('p1'), false);
  });

  it('keeps a port with no ofport yet without flows (re-filtered when updated), and lets a trusted port through unfiltered', async () => {
    const { net, batches } = recordingHost();
    const fw = new OvsFirewall(net, 'br-int', '0x1', (d) => (d === 'dhcp' ? { ...vif, ofport: 9 } : null));
    fw.setPort(device('gone', []));
    fw.processTrustedPorts(['dhcp']);
    await fw.apply();
    // Still known (the agent re-filters it as updated once it has an ofport), but with no flows.
    assert.ok(fw.ports.has('gone'));
    assert.ok(!batches[0]!.some((l) => l.includes('in_port=7') || l.includes('reg5=7')));
    assert.ok(batches[0]!.includes('add cookie=0x1,table=60,priority=100,in_port=9,actions=set_field:9->reg5,set_field:3->reg6,resubmit(,73)'));
    fw.removeTrustedPorts(['dhcp']);
    await fw.apply();
    assert.deepEqual(batches[1], ['delete table=60,in_port=9', 'delete table=73,reg5=9']);
  });

  it('retries a trusted port until it has an ofport', async () => {
    const { net, batches } = recordingHost();
    let ready = false;
    const fw = new OvsFirewall(net, 'br-int', '0x1', () => (ready ? { ...vif, ofport: 4 } : null));
    fw.processTrustedPorts(['dhcp']);
    await fw.apply();
    assert.ok(!batches[0]!.some((l) => l.includes('in_port=4')));
    ready = true;
    await fw.apply();
    assert.ok(batches[1]!.some((l) => l.includes('table=60,priority=100,in_port=4,')));
  });

  it('a member update re-filters a port whose rule names the group: flows for the new member only', async () => {
    const { net, batches } = recordingHost();
    const fw = new OvsFirewall(net, 'br-int', '0x1', () => vif);
    fw.updateSecurityGroupRules('sg', [{ direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', remote_group_id: 'sg' }]);
    await fw.updateSecurityGroupMembers('sg', { IPv4: [['10.0.0.5', null]] });
    fw.setPort(device('p1', ['sg'], { security_group_source_groups: ['sg'] }));
    await fw.apply();
    assert.ok(batches[0]!.some((l) => l.includes('nw_src=10.0.0.5/32,nw_proto=6')));
    await fw.updateSecurityGroupMembers('sg', { IPv4: [['10.0.0.6', null]] });
    fw.setPort(device('p1', ['sg'], { security_group_source_groups: ['sg'] }));
    await fw.apply();
    assert.ok(batches[1]!.some((l) => l.includes('nw_src=10.0.0.6/32,nw_proto=6')));
    assert.ok(!batches[1]!.some((l) => l.includes('nw_src=10.0.0.5/32')));
  });
});
