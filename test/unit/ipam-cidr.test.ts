import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cidrContains,
  cidrSize,
  cidrsOverlap,
  formatBroadcast,
  formatCidr,
  parseCidr,
  parseIp,
  validateSubnet,
} from '../../src/network/ipam/index.js';

describe('ipam cidr', () => {
  it('parses and normalises as create_subnet does', () => {
    const c = parseCidr('10.0.0.5/24')!;
    assert.equal(formatCidr(c), '10.0.0.0/24');
    assert.equal(c.prefixlen, 24);
    assert.equal(cidrSize(c), 256n);
    assert.equal(formatCidr(parseCidr('2001:DB8::1/64')!), '2001:db8::/64');
    assert.equal(cidrSize(parseCidr('2001:db8::/64')!), 1n << 64n);
    assert.equal(formatCidr(parseCidr('2001:db8::/064')!), '2001:db8::/64');
    assert.equal(parseCidr('10.0.0/24'), null);
  });

  it('validates like validate_subnet', () => {
    assert.equal(validateSubnet('10.0.0.0/24'), null);
    assert.equal(validateSubnet('10.0.0.5/24'), null);
    assert.equal(validateSubnet('::/0'), null);
    assert.equal(validateSubnet('10.0.0/24'), "'10.0.0/24' isn't a recognized IP subnet cidr, '10.0.0.0/24' is recommended");
    assert.equal(validateSubnet('10/8'), "'10/8' isn't a recognized IP subnet cidr, '10.0.0.0/8' is recommended");
    assert.equal(validateSubnet('10.0.0.0'), "'10.0.0.0' isn't a recognized IP subnet cidr, '10.0.0.0/32' is recommended");
    assert.equal(validateSubnet('2001:db8::'), "'2001:db8::' isn't a recognized IP subnet cidr, '2001:db8::/128' is recommended");
    assert.equal(
      validateSubnet('10.0.0.0/255.255.255.0'),
      "'10.0.0.0/255.255.255.0' isn't a recognized IP subnet cidr, '10.0.0.0/24' is recommended",
    );
    for (const bad of ['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '/24', '10.0.0.0/24/1', '0x0a.0.0.0/8', '10.0.0.0/ 8']) {
      assert.equal(validateSubnet(bad), `'${bad}' is not a valid IP subnet`, bad);
    }
  });

  it('answers containment and overlap', () => {
    const c = parseCidr('10.0.0.0/24')!;
    assert.ok(cidrContains(c, parseIp('10.0.0.255')!));
    assert.ok(!cidrContains(c, parseIp('10.0.1.0')!));
    assert.ok(!cidrContains(c, parseIp('::a00:1')!));
    assert.ok(cidrsOverlap(c, parseCidr('10.0.0.128/25')!));
    assert.ok(cidrsOverlap(c, parseCidr('10.0.0.0/8')!));
    assert.ok(!cidrsOverlap(c, parseCidr('10.0.1.0/24')!));
  });

  it('prints an IPv4 network\'s broadcast address for `ip addr … brd`, host bits allowed', () => {
    assert.equal(formatBroadcast('10.0.1.0/24'), '10.0.1.255');
    assert.equal(formatBroadcast('10.0.1.1/24'), '10.0.1.255');
    assert.equal(formatBroadcast('192.168.37.200/23'), '192.168.37.255');
    assert.equal(formatBroadcast('192.168.36.200/23'), '192.168.37.255');
    assert.equal(formatBroadcast('192.168.37.200/8'), '192.255.255.255');
    assert.equal(formatBroadcast('192.168.37.200/1'), '255.255.255.255');
    assert.equal(formatBroadcast('10.0.0.0/0'), '255.255.255.255');
    assert.equal(formatBroadcast('192.168.37.200/31'), '192.168.37.201');
    assert.equal(formatBroadcast('192.168.37.200/32'), '192.168.37.200');
    assert.equal(formatBroadcast('2001:db8::/64'), null, 'IPv6 has no broadcast');
    assert.equal(formatBroadcast('10.0.0.0/33'), null);
    assert.equal(formatBroadcast('not a cidr'), null);
  });
});
