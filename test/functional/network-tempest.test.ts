/**
 * Regression tests for the neutron differences Tempest 33's network API tests found
 * (issue 9): each test names the bug and asserts Zed's status, NeutronError type and
 * message (texts taken from neutron 21 / neutron-lib 3.1).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { assertNeutronError, assertStatus, neutron } from '../helpers/neutron.js';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;
const UNKNOWN = '0b1e7a43-0000-4000-8000-00000000dead';

before(async () => {
  cloud = await startTestCloud();
  n = neutron(cloud);
});
after(() => cloud.stop());

const PROTOCOLS =
  "[None, 'ah', 'dccp', 'egp', 'esp', 'gre', 'hopopt', 'icmp', 'igmp', 'ip', 'ipip', 'ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', 'ospf', 'pgm', 'rsvp', 'sctp', 'tcp', 'udp', 'udplite', 'vrrp']";

describe('security group rules (test_security_groups_negative)', () => {
  let sg: any;
  const rule = (attrs: Record<string, unknown>) => n.post('demo', 'security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', ...attrs } });
  before(async () => {
    sg = assertStatus(await n.post('demo', 'security-groups', { security_group: { name: 'neg' } }), 201).security_group;
  });

  test('bug: port_range_min -16 was accepted; 400 SecurityGroupInvalidPortValue', async () => {
    assertNeutronError(await rule({ protocol: 'tcp', port_range_min: -16, port_range_max: 21 }), 400, 'SecurityGroupInvalidPortValue', 'Invalid value for port -16');
    assertNeutronError(await rule({ protocol: 'tcp', port_range_min: 21, port_range_max: 65536 }), 400, 'SecurityGroupInvalidPortValue', 'Invalid value for port 65536');
    assertNeutronError(await rule({ protocol: 'tcp', port_range_min: 'abc', port_range_max: 21 }), 400, 'SecurityGroupInvalidPortValue', 'Invalid value for port abc');
    assertNeutronError(await rule({ protocol: 'tcp', port_range_min: 0, port_range_max: 21 }), 400, 'SecurityGroupInvalidPortValue', 'Invalid value for port 0');
  });

  test('port_range_min > port_range_max: 400 SecurityGroupInvalidPortRange', async () => {
    assertNeutronError(await rule({ protocol: 'tcp', port_range_min: 22, port_range_max: 21 }), 400, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
    assertNeutronError(await rule({ protocol: 'udp', port_range_min: 22 }), 400, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
  });

  test('ICMP type and code limits', async () => {
    assertNeutronError(await rule({ protocol: 'icmp', port_range_min: 256, port_range_max: 3 }), 400, 'SecurityGroupInvalidIcmpValue', 'Invalid value for ICMP type (port_range_min) 256. It must be 0 to 255.');
    assertNeutronError(await rule({ protocol: 'icmp', port_range_min: 8, port_range_max: 300 }), 400, 'SecurityGroupInvalidIcmpValue', 'Invalid value for ICMP code (port_range_max) 300. It must be 0 to 255.');
    assertNeutronError(await rule({ protocol: 'icmp', port_range_max: 3 }), 400, 'SecurityGroupMissingIcmpType', 'ICMP code (port-range-max) 3 is provided but ICMP type (port-range-min) is missing.');
  });

  test('bad protocol, ports on a portless protocol, ports without protocol', async () => {
    assertNeutronError(await rule({ protocol: 'bad' }), 400, 'SecurityGroupRuleInvalidProtocol', `Security group rule protocol bad not supported. Only protocol values ${PROTOCOLS} and integer representations [0 to 255] are supported.`);
    assertNeutronError(await rule({ protocol: 256 }), 400, 'SecurityGroupRuleInvalidProtocol', `Security group rule protocol 256 not supported. Only protocol values ${PROTOCOLS} and integer representations [0 to 255] are supported.`);
    assertNeutronError(await rule({ protocol: 'gre', port_range_min: 1, port_range_max: 2 }), 400, 'SecurityGroupInvalidProtocolForPort', 'Ports cannot be specified for protocol 47. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.');
    assertNeutronError(await rule({ port_range_min: 1, port_range_max: 2 }), 400, 'SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.');
  });

  test('bad ethertype, prefix of the other family, IPv6-only protocol on IPv4', async () => {
    assertNeutronError(await rule({ ethertype: 'bad' }), 400, 'SecurityGroupRuleInvalidEtherType', "Security group rule for ethertype 'bad' not supported. Allowed values are ['IPv4', 'IPv6'].");
    assertNeutronError(await rule({ ethertype: 'IPv6', remote_ip_prefix: '10.0.0.0/24' }), 400, 'SecurityGroupRuleParameterConflict', 'Conflicting value ethertype IPv6 for CIDR 10.0.0.0/24');
    assertNeutronError(await rule({ ethertype: 'IPv4', remote_ip_prefix: '2001:db8::/64' }), 400, 'SecurityGroupRuleParameterConflict', 'Conflicting value ethertype IPv4 for CIDR 2001:db8::/64');
    assertNeutronError(await rule({ ethertype: 'IPv4', protocol: 'ipv6-icmp' }), 400, 'SecurityGroupEthertypeConflictWithProtocol', 'Invalid ethertype IPv4 for protocol ipv6-icmp.');
    assertNeutronError(await rule({ remote_ip_prefix: '10.0.0.0/99' }), 400, 'InvalidCIDR', 'Invalid CIDR 10.0.0.0/99 given as IP prefix.');
  });

  test('bug: a malformed remote_group_id gave 400; 404 SecurityGroupNotFound', async () => {
    assertNeutronError(await rule({ remote_group_id: 'not-a-uuid' }), 404, 'SecurityGroupNotFound', 'Security group not-a-uuid does not exist');
    assertNeutronError(await rule({ remote_group_id: UNKNOWN }), 404, 'SecurityGroupNotFound', `Security group ${UNKNOWN} does not exist`);
    const res = await n.post('demo', 'security-group-rules', { security_group_rule: { security_group_id: 'bad', direction: 'ingress' } });
    assertNeutronError(res, 404, 'SecurityGroupNotFound', 'Security group bad does not exist');
    assertNeutronError(await rule({ remote_group_id: sg.id, remote_ip_prefix: '10.0.0.0/8' }), 400, 'SecurityGroupMultipleRemoteEntites', 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.');
  });

  test('duplicates: the same rule by protocol number or with a host prefix is 409 SecurityGroupRuleExists', async () => {
    const r = assertStatus(await rule({ protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.0.0.5/24' }), 201).security_group_rule;
    // convert_ip_prefix_to_cidr keeps host bits; normalized_cidr drops them.
    assert.equal(r.remote_ip_prefix, '10.0.0.5/24');
    assert.equal(r.normalized_cidr, '10.0.0.0/24');
    assertNeutronError(await rule({ protocol: '6', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.0.0.5/24' }), 409, 'SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${r.id}.`);
    const all = assertStatus(await rule({ protocol: 'udp', port_range_min: 1, port_range_max: 65535 }), 201).security_group_rule;
    assert.equal(all.port_range_min, null);
    assert.equal(all.port_range_max, null);
    const v6 = assertStatus(await rule({ ethertype: 'ipv6', protocol: 'icmp' }), 201).security_group_rule;
    assert.equal(v6.ethertype, 'IPv6');
    assert.equal(v6.protocol, 'ipv6-icmp');
  });
});

describe('security group names (test_security_groups_negative)', () => {
  test("bug: a group could be renamed 'default'; 409 SecurityGroupDefaultAlreadyExists", async () => {
    const sg = assertStatus(await n.post('demo', 'security-groups', { security_group: { name: 'renamed' } }), 201).security_group;
    assertNeutronError(await n.put('demo', `security-groups/${sg.id}`, { security_group: { name: 'default' } }), 409, 'SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');
    assertNeutronError(await n.post('admin', 'security-groups', { security_group: { name: 'Default' } }), 409, 'SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');
  });

  test('the default group keeps its name: 409 SecurityGroupCannotUpdateDefault', async () => {
    const def = assertStatus(await n.get('demo', 'security-groups?name=default'), 200).security_groups[0];
    assertNeutronError(await n.put('demo', `security-groups/${def.id}`, { security_group: { name: 'other' } }), 409, 'SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.');
    assertStatus(await n.put('demo', `security-groups/${def.id}`, { security_group: { description: 'd' } }), 200);
  });
});

describe('agents (admin/test_agent_management)', () => {
  test('bug: a member listing agents got 404; 200 with none, while show stays 404', async () => {
    assert.deepEqual(assertStatus(await n.get('demo', 'agents'), 200), { agents: [] });
    assertNeutronError(await n.get('demo', `agents/${UNKNOWN}`), 404, 'HTTPNotFound', 'The resource could not be found.');
  });
});

describe('IPv6 subnet modes (test_dhcp_ipv6 / test_networks)', () => {
  test('bug: mismatched ipv6_ra_mode and ipv6_address_mode were accepted; 400 InvalidInput', async () => {
    const net = await n.network('demo');
    const res = await n.post('demo', 'subnets', { subnet: { network_id: net.id, cidr: '2001:db8:1::/64', ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'dhcpv6-stateful' } });
    assertNeutronError(res, 400, 'InvalidInput', "Invalid input for operation: ipv6_ra_mode set to 'slaac' with ipv6_address_mode set to 'dhcpv6-stateful' is not valid. If both attributes are set, they must be the same value.");
    const v4 = await n.post('demo', 'subnets', { subnet: { network_id: net.id, cidr: '10.5.0.0/24', ip_version: 4, ipv6_ra_mode: 'slaac' } });
    assertNeutronError(v4, 400, 'InvalidInput', 'Invalid input for operation: ipv6_ra_mode is not valid when ip_version is 4.');
    const noDhcp = await n.post('demo', 'subnets', { subnet: { network_id: net.id, cidr: '2001:db8:1::/64', ip_version: 6, ipv6_address_mode: 'slaac', enable_dhcp: false } });
    assertNeutronError(noDhcp, 400, 'InvalidInput', 'Invalid input for operation: ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False.');
    const not64 = await n.post('demo', 'subnets', { subnet: { network_id: net.id, cidr: '2001:db8:1::/80', ip_version: 6, ipv6_address_mode: 'slaac' } });
    assertNeutronError(not64, 400, 'InvalidInput', 'Invalid input for operation: Invalid CIDR 2001:db8:1::/80 for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64.');
    const ok = await n.subnet('demo', net.id, '2001:db8:1::/64', { ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' });
    assertNeutronError(await n.put('demo', `subnets/${ok.id}`, { subnet: { enable_dhcp: false } }), 400, 'InvalidInput', 'Invalid input for operation: Cannot disable enable_dhcp with ipv6 attributes set.');
  });

  test('bug: a port on a SLAAC and a DHCPv6-stateful subnet got one address; it gets one of each (EUI-64 on SLAAC)', async () => {
    const net = await n.network('demo');
    const slaac = await n.subnet('demo', net.id, '2001:db8:2::/64', { ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' });
    const stateful = await n.subnet('demo', net.id, '2001:db8:3::/64', { ipv6_ra_mode: 'dhcpv6-stateful', ipv6_address_mode: 'dhcpv6-stateful' });
    const p = await n.port('demo', net.id, { mac_address: 'fa:16:3e:12:34:56' });
    assert.equal(p.fixed_ips.length, 2);
    const bySubnet = new Map(p.fixed_ips.map((f: any) => [f.subnet_id, f.ip_address]));
    assert.equal(bySubnet.get(slaac.id), '2001:db8:2:0:f816:3eff:fe12:3456');
    assert.match(bySubnet.get(stateful.id) as string, /^2001:db8:3:/);
    const direct = await n.post('demo', 'ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '2001:db8:2::5' }] } });
    assertNeutronError(direct, 400, 'AllocationOnAutoAddressSubnet', `IPv6 address 2001:db8:2::5 cannot be directly assigned to a port on subnet ${slaac.id} as the subnet is configured for automatic addresses`);
  });

  test('bug: a SLAAC subnet whose ports use it could not be deleted; its addresses leave the ports', async () => {
    const net = await n.network('demo');
    const v4 = await n.subnet('demo', net.id, '10.6.0.0/24');
    const slaac = await n.subnet('demo', net.id, '2001:db8:4::/64', { ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' });
    const p = await n.port('demo', net.id, { device_owner: 'compute:nova', device_id: 'vm' });
    assert.equal(p.fixed_ips.length, 2);
    assert.equal((await n.del('demo', `subnets/${slaac.id}`)).status, 204);
    const after = assertStatus(await n.get('demo', `ports/${p.id}`), 200).port;
    assert.deepEqual(after.fixed_ips.map((f: any) => f.subnet_id), [v4.id]);
    assertNeutronError(await n.del('demo', `subnets/${v4.id}`), 409, 'SubnetInUse', `Unable to complete operation on subnet ${v4.id}: One or more ports have an IP allocation from this subnet.`);
  });
});

describe('SLAAC subnet added later (test_dhcp_ipv6)', () => {
  test("bug: ports already on the network got no address from a new SLAAC subnet; each gets its EUI-64 one", async () => {
    const net = await n.network('demo');
    await n.subnet('demo', net.id, '10.6.1.0/24');
    const p = await n.port('demo', net.id, { mac_address: 'fa:16:3e:00:00:01' });
    const slaac = await n.subnet('demo', net.id, '2001:db8:5::/64', { ipv6_ra_mode: 'dhcpv6-stateless', ipv6_address_mode: 'dhcpv6-stateless' });
    const after = assertStatus(await n.get('demo', `ports/${p.id}`), 200).port;
    assert.deepEqual(after.fixed_ips.find((f: any) => f.subnet_id === slaac.id), { subnet_id: slaac.id, ip_address: '2001:db8:5:0:f816:3eff:fe00:1' });
  });
});

describe('SLAAC addresses on port update (test_dhcp_ipv6)', () => {
  test('bug: updating fixed_ips dropped the SLAAC address; it stays, and cannot be given directly', async () => {
    const net = await n.network('demo');
    const v4 = await n.subnet('demo', net.id, '10.6.2.0/24');
    const slaac = await n.subnet('demo', net.id, '2001:db8:6::/64', { ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' });
    const p = await n.port('demo', net.id);
    const auto = p.fixed_ips.find((f: any) => f.subnet_id === slaac.id);
    assert.ok(auto);
    const updated = assertStatus(await n.put('demo', `ports/${p.id}`, { port: { fixed_ips: [{ subnet_id: v4.id, ip_address: '10.6.2.50' }] } }), 200).port;
    const bySubnet = (list: any[]) => [...list].sort((a, b) => (a.subnet_id < b.subnet_id ? -1 : 1));
    assert.deepEqual(bySubnet(updated.fixed_ips), bySubnet([{ subnet_id: v4.id, ip_address: '10.6.2.50' }, auto]));
    const direct = await n.put('demo', `ports/${p.id}`, { port: { fixed_ips: [{ subnet_id: v4.id }, { ip_address: '2001:db8:6::9' }] } });
    assertNeutronError(direct, 400, 'AllocationOnAutoAddressSubnet', `IPv6 address 2001:db8:6::9 cannot be directly assigned to a port on subnet ${slaac.id} as the subnet is configured for automatic addresses`);
  });
});

describe('external networks (test_networks, admin/test_external_network_extension)', () => {
  test("bug: members saw the subnets of another project's non-shared external network", async () => {
    const ext = await n.network('admin', { 'router:external': true });
    const sub = await n.subnet('admin', ext.id, '172.24.9.0/24', { enable_dhcp: false });
    assertStatus(await n.get('demo', `networks/${ext.id}`), 200);
    assert.deepEqual(assertStatus(await n.get('demo', `subnets?network_id=${ext.id}`), 200).subnets, []);
    assertNeutronError(await n.get('demo', `subnets/${sub.id}`), 404, 'SubnetNotFound', `Subnet ${sub.id} could not be found.`);
    const shared = await n.network('admin', { 'router:external': true, shared: true });
    await n.subnet('admin', shared.id, '172.24.10.0/24', { enable_dhcp: false });
    assert.equal(assertStatus(await n.get('demo', `subnets?network_id=${shared.id}`), 200).subnets.length, 1);
  });

  test('bug: an external network holding only floating IPs could not be deleted; it goes with them', async () => {
    const ext = await n.network('admin', { 'router:external': true });
    await n.subnet('admin', ext.id, '172.24.11.0/24', { enable_dhcp: false });
    const fip = assertStatus(await n.post('admin', 'floatingips', { floatingip: { floating_network_id: ext.id } }), 201).floatingip;
    assert.equal((await n.del('admin', `networks/${ext.id}`)).status, 204);
    assertNeutronError(await n.get('admin', `floatingips/${fip.id}`), 404, 'FloatingIPNotFound', `Floating IP ${fip.id} could not be found`);
    assert.deepEqual(assertStatus(await n.get('admin', `ports?network_id=${ext.id}`), 200).ports, []);
  });
});

describe('network delete (test_networks, AUTO_DELETE_PORT_OWNERS)', () => {
  test('NetworkInUse names the ports; DHCP, distributed and agent-gateway ports go with the network', async () => {
    const net = await n.network('demo');
    await n.subnet('demo', net.id, '10.7.0.0/24');
    const vm = await n.port('demo', net.id, { device_owner: 'compute:nova', device_id: 'vm' });
    for (const owner of ['network:dhcp', 'network:distributed', 'network:floatingip_agent_gateway']) {
      await n.port('admin', net.id, { device_owner: owner, device_id: owner, project_id: net.project_id });
    }
    assertNeutronError(
      await n.del('demo', `networks/${net.id}`),
      409,
      'NetworkInUse',
      `Unable to complete operation on network ${net.id}. There are one or more ports still in use on the network, id for these ports is: ${vm.id}.`,
    );
    assert.equal((await n.del('demo', `ports/${vm.id}`)).status, 204);
    assert.equal((await n.del('demo', `networks/${net.id}`)).status, 204);
    assert.deepEqual(assertStatus(await n.get('admin', `ports?network_id=${net.id}`), 200).ports, []);
  });

  test('a subnet held only by DHCP and distributed ports can be deleted', async () => {
    const net = await n.network('demo');
    const s = await n.subnet('demo', net.id, '10.8.0.0/24');
    const dhcp = await n.port('admin', net.id, { device_owner: 'network:dhcp', device_id: 'd', project_id: net.project_id });
    await n.port('admin', net.id, { device_owner: 'network:distributed', device_id: 'm', project_id: net.project_id });
    assert.equal((await n.del('demo', `subnets/${s.id}`)).status, 204);
    assert.deepEqual(assertStatus(await n.get('admin', `ports/${dhcp.id}`), 200).port.fixed_ips, []);
  });
});

describe('port binding after an unbind (transcript 32)', () => {
  test("an unbound port shows binding:host_id '' and vif_type 'unbound' to an admin (the reported None is a member's view, as in Zed)", async () => {
    const net = await n.network('demo');
    await n.subnet('demo', net.id, '10.9.9.0/24');
    const p = await n.port('demo', net.id);
    assertStatus(await n.put('admin', `ports/${p.id}`, { port: { 'binding:host_id': 'somehost', device_owner: 'compute:nova', device_id: 'vm' } }), 200);
    const unbound = assertStatus(await n.put('admin', `ports/${p.id}`, { port: { device_id: '', device_owner: '', 'binding:host_id': null, 'binding:profile': {} } }), 200).port;
    assert.equal(unbound['binding:host_id'], '');
    assert.equal(unbound['binding:vif_type'], 'unbound');
    const shown = assertStatus(await n.get('admin', `ports/${p.id}`), 200).port;
    assert.equal(shown['binding:host_id'], '');
    assert.equal(shown['binding:vif_type'], 'unbound');
    assert.deepEqual(shown['binding:vif_details'], {});
  });
});

describe('quotas (admin/test_quotas)', () => {
  test("bug: a non-integer quota said 'too small'; 400 InvalidInput, and a bad value changes nothing", async () => {
    const project = assertStatus(await n.get('demo', 'quotas/project'), 200).project.project_id;
    const before = assertStatus(await n.get('admin', `quotas/${project}`), 200).quota;
    assertNeutronError(await n.put('admin', `quotas/${project}`, { quota: { network: 'abc' } }), 400, 'InvalidInput', "Invalid input for operation: 'abc' is not an integer.");
    assertNeutronError(await n.put('admin', `quotas/${project}`, { quota: { subnet: 7, network: -2 } }), 400, 'HTTPBadRequest', "Invalid input for network. Reason: '-2' is too small - must be at least '-1'.");
    assert.deepEqual(assertStatus(await n.get('admin', `quotas/${project}`), 200).quota, before);
    assert.equal(assertStatus(await n.put('admin', `quotas/${project}`, { quota: { subnet: '7' } }), 200).quota.subnet, 7);
    assert.equal((await n.del('admin', `quotas/${project}`)).status, 204);
  });
});

describe('security group delete (test_security_groups)', () => {
  test("bug: rules naming a deleted group as remote_group_id stayed; they go with it (Zed's cascade)", async () => {
    const a = assertStatus(await n.post('demo', 'security-groups', { security_group: { name: 'a' } }), 201).security_group;
    const b = assertStatus(await n.post('demo', 'security-groups', { security_group: { name: 'b' } }), 201).security_group;
    const r = assertStatus(await n.post('demo', 'security-group-rules', { security_group_rule: { security_group_id: a.id, direction: 'ingress', remote_group_id: b.id } }), 201).security_group_rule;
    assert.equal((await n.del('demo', `security-groups/${b.id}`)).status, 204);
    assertNeutronError(await n.get('demo', `security-group-rules/${r.id}`), 404, 'SecurityGroupRuleNotFound', `Security group rule ${r.id} does not exist`);
  });
});

describe('bulk security group rules (create_security_group_rule_bulk_native)', () => {
  test('bug: a bulk POST was rules created one by one; two groups, or one rule twice, are refused first', async () => {
    const a = assertStatus(await n.post('demo', 'security-groups', { security_group: { name: 'bulk-a' } }), 201).security_group;
    const b = assertStatus(await n.post('demo', 'security-groups', { security_group: { name: 'bulk-b' } }), 201).security_group;
    const two = await n.post('demo', 'security-group-rules', { security_group_rules: [{ security_group_id: a.id, direction: 'ingress' }, { security_group_id: b.id, direction: 'ingress' }] });
    assertNeutronError(two, 400, 'SecurityGroupNotSingleGroupRules', 'Only allowed to update rules for one security profile at a time');
    const twice = await n.post('demo', 'security-group-rules', { security_group_rules: [{ security_group_id: a.id, direction: 'ingress', protocol: 'tcp' }, { security_group_id: a.id, direction: 'ingress', protocol: '6' }] });
    assertNeutronError(twice, 409, 'DuplicateSecurityGroupRuleInPost', 'Duplicate Security Group Rule in POST.');
    const rules = assertStatus(await n.get('demo', `security-group-rules?security_group_id=${a.id}`), 200).security_group_rules;
    assert.equal(rules.length, 2);
  });
});
