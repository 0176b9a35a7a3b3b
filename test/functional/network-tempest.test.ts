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
