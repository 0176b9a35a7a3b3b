/**
 * neutron-server's security group RPC as the OVS agent's firewall sees it:
 * security_group_info_for_devices on q-plugin answers Zed's shape (devices with plain
 * fixed_ips, the remote groups and the DHCP provider rules; each group's rule dicts;
 * the remote groups' members as [ip, mac] pairs, allowed address pairs included), and
 * rule / membership changes are cast on q-agent-notifier-security_group-update.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Listener } from '../../src/bus/bus.js';
import { listen, rpcClient } from '../../src/bus/contract.js';
import { AgentSecurityGroupUpdateTopicDef, PluginTopicDef } from '../../src/network/rpc/topics.js';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { assertStatus, neutron } from '../helpers/neutron.js';
import { waitFor } from '../helpers/wait.js';

const SKIP = inProcessOnly('calls q-plugin and listens to the fanout on cloud.bus');

describe('security group RPC', { skip: SKIP }, () => {
  let cloud: TestCloud;
  let n: ReturnType<typeof neutron>;
  let net: any;
  let listener: Listener;
  const notes: { method: string; security_groups: string[] }[] = [];

  before(async () => {
    cloud = await startTestCloud({ agent: { polling_interval: 0 } });
    n = neutron(cloud);
    net = await n.network('demo', { name: 'sg-net' });
    await n.subnet('demo', net.id, '10.80.0.0/24');
    listener = await listen(cloud.bus, AgentSecurityGroupUpdateTopicDef, 'sg-rpc-test', {
      security_groups_rule_updated: (a) => void notes.push({ method: 'security_groups_rule_updated', security_groups: a.security_groups }),
      security_groups_member_updated: (a) => void notes.push({ method: 'security_groups_member_updated', security_groups: a.security_groups }),
    });
  });
  after(async () => {
    await listener?.stop();
    await cloud?.stop();
  });

  it('answers security_group_info_for_devices as Zed (1.3)', async () => {
    const a = await n.port('demo', net.id, { device_owner: 'compute:nova' });
    const b = await n.port('demo', net.id, { device_owner: 'compute:nova', allowed_address_pairs: [{ ip_address: '10.80.0.200', mac_address: 'fa:16:3e:00:00:99' }] });
    const dhcp = await n.port('admin', net.id, { project_id: net.project_id, device_owner: 'network:dhcp' });
    const sg = a.security_groups[0] as string;
    const reply = await rpcClient(cloud.bus, PluginTopicDef).call('security_group_info_for_devices', { devices: [a.id, dhcp.id], call_version: '1.3' });
    assert.deepEqual(Object.keys(reply).sort(), ['devices', 'security_groups', 'sg_member_ips']);
    // A trusted (network:*) port is left out.
    assert.deepEqual(Object.keys(reply.devices), [a.id]);
    const d = reply.devices[a.id]!;
    const ipA = a.fixed_ips[0].ip_address as string;
    assert.equal(d.device, a.id);
    assert.equal(d.mac_address, a.mac_address);
    assert.deepEqual(d.fixed_ips, [ipA]);
    assert.deepEqual(d.security_groups, [sg]);
    assert.deepEqual(d.security_group_source_groups, [sg]);
    assert.deepEqual(d.security_group_remote_address_groups, []);
    assert.equal(d.port_security_enabled, true);
    assert.deepEqual(d.security_group_rules, [
      { direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 68, port_range_max: 68, source_port_range_min: 67, source_port_range_max: 67, dest_ip_prefix: `${ipA}/32` },
      { direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 68, port_range_max: 68, source_port_range_min: 67, source_port_range_max: 67, dest_ip_prefix: '255.255.255.255/32' },
      { direction: 'ingress', ethertype: 'IPv6', protocol: 'udp', port_range_min: 546, port_range_max: 546, source_port_range_min: 547, source_port_range_max: 547, dest_ip_prefix: 'fe80::/64' },
    ]);
    const sortRules = (rs: object[]) => rs.map((r) => JSON.stringify(r)).sort();
    assert.deepEqual(
      sortRules(reply.security_groups[sg]!),
      sortRules([
        { direction: 'egress', ethertype: 'IPv4', stateful: true },
        { direction: 'egress', ethertype: 'IPv6', stateful: true },
        { direction: 'ingress', ethertype: 'IPv4', stateful: true, remote_group_id: sg },
        { direction: 'ingress', ethertype: 'IPv6', stateful: true, remote_group_id: sg },
      ]),
    );
    assert.deepEqual(Object.keys(reply.sg_member_ips), [sg]);
    const members = reply.sg_member_ips[sg]!;
    assert.deepEqual(members.IPv6, []);
    assert.deepEqual(
      members.IPv4!.map((m) => JSON.stringify(m)).sort(),
      [[ipA, null], [b.fixed_ips[0].ip_address, null], ['10.80.0.200', 'fa:16:3e:00:00:99']].map((m) => JSON.stringify(m)).sort(),
    );
    // An agent of RPC 1.2 gets plain addresses (make_compatible_sg_member_ips).
    const old = await rpcClient(cloud.bus, PluginTopicDef).call('security_group_info_for_devices', { devices: [a.id] });
    assert.deepEqual([...old.sg_member_ips[sg]!.IPv4!].sort(), [ipA, b.fixed_ips[0].ip_address, '10.80.0.200'].sort());
    // A remote prefix is the rule's source_ip_prefix (ingress) and the protocol stays as given.
    const rule = assertStatus(await n.post('demo', 'security-group-rules', { security_group_rule: { security_group_id: sg, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '192.0.2.0/24' } }), 201).security_group_rule;
    const again = await rpcClient(cloud.bus, PluginTopicDef).call('security_group_info_for_devices', { devices: [a.id], call_version: '1.3' });
    assert.ok(again.security_groups[sg]!.some((r) => JSON.stringify(r) === JSON.stringify({ direction: 'ingress', ethertype: 'IPv4', stateful: true, protocol: 'tcp', port_range_min: 22, port_range_max: 22, source_ip_prefix: '192.0.2.0/24' })));
    assertStatus(await n.del('demo', `security-group-rules/${rule.id}`), 204);
  });

  it('casts security_groups_rule_updated and security_groups_member_updated', async () => {
    notes.length = 0;
    const p = await n.port('demo', net.id, { device_owner: 'compute:nova' });
    const sg = p.security_groups[0] as string;
    await waitFor('member_updated on create', async () => notes.find((x) => x.method === 'security_groups_member_updated'));
    assert.deepEqual(notes, [{ method: 'security_groups_member_updated', security_groups: [sg] }]);
    notes.length = 0;
    const rule = assertStatus(await n.post('demo', 'security-group-rules', { security_group_rule: { security_group_id: sg, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' } }), 201).security_group_rule;
    await waitFor('rule_updated on create', async () => notes.length > 0 || undefined);
    assert.deepEqual(notes, [{ method: 'security_groups_rule_updated', security_groups: [sg] }]);
    notes.length = 0;
    assertStatus(await n.del('demo', `security-group-rules/${rule.id}`), 204);
    await waitFor('rule_updated on delete', async () => notes.length > 0 || undefined);
    assert.deepEqual(notes, [{ method: 'security_groups_rule_updated', security_groups: [sg] }]);
    notes.length = 0;
    // A name change is no membership change; new addresses are.
    assertStatus(await n.put('demo', `ports/${p.id}`, { port: { name: 'renamed' } }), 200);
    assertStatus(await n.put('demo', `ports/${p.id}`, { port: { allowed_address_pairs: [{ ip_address: '10.80.0.201' }] } }), 200);
    await waitFor('member_updated on update', async () => notes.length > 0 || undefined);
    assert.deepEqual(notes, [{ method: 'security_groups_member_updated', security_groups: [sg] }]);
    notes.length = 0;
    assertStatus(await n.del('demo', `ports/${p.id}`), 204);
    await waitFor('member_updated on delete', async () => notes.length > 0 || undefined);
    assert.deepEqual(notes, [{ method: 'security_groups_member_updated', security_groups: [sg] }]);
  });
});
