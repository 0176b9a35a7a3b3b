/** nova's security group rule builder (security_group_api._new_ingress_rule, parse_cidr) as the proxy reproduces it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidRule, isValidCidr, newIngressRule, parseCidr } from '../../src/compute/api/security-groups.js';

test('parseCidr: absent is 0.0.0.0/0, URL-quoted text is unquoted, anything else must be a CIDR', () => {
  assert.equal(parseCidr(undefined), '0.0.0.0/0');
  assert.equal(parseCidr(''), '0.0.0.0/0');
  assert.equal(parseCidr('10.0.0.0%2F8'), '10.0.0.0/8');
  assert.equal(parseCidr('2001:db8::/64'), '2001:db8::/64');
  assert.throws(() => parseCidr('10.0.0.0'), (e: Error) => e instanceof InvalidRule && e.message === '10.0.0.0 is not a valid IP network.');
  assert.equal(isValidCidr('300.0.0.0/8'), false);
  assert.equal(isValidCidr('10.0.0.0/33'), false);
});

test('newIngressRule: group rules default their ports by protocol; CIDR rules need protocol and ports', () => {
  assert.deepEqual(newIngressRule('icmp', undefined, undefined, 'g'), { group_id: 'g', protocol: 'icmp', from_port: -1, to_port: -1 });
  assert.deepEqual(newIngressRule('TCP', null, null, 'g'), { group_id: 'g', protocol: 'TCP', from_port: 1, to_port: 65535 });
  assert.deepEqual(newIngressRule(undefined, undefined, undefined, 'g'), { group_id: 'g' });
  assert.equal(newIngressRule(undefined, undefined, undefined, undefined, '0.0.0.0/0'), null);
  assert.deepEqual(newIngressRule('udp', '53', 53, undefined, '10.0.0.0/8'), { cidr: '10.0.0.0/8', protocol: 'udp', from_port: 53, to_port: 53 });
  assert.throws(() => newIngressRule('icmp', 'x', 0, undefined, '0.0.0.0/0'), /Type and Code must be integers for ICMP protocol type/);
  assert.throws(() => newIngressRule('udp', 1, 70000, undefined, '0.0.0.0/0'), (e: Error) => e.message === 'Invalid port range 1:70000. Valid UDP ports should be between 1-65535');
});
