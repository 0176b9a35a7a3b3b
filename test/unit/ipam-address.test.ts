import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalizeIp,
  formatAddress,
  formatIp,
  formatIpPython,
  parseIp,
  validateIpAddress,
} from '../../src/network/ipam/index.js';

// Expected strings come from netaddr 0.8.0 / neutron-lib (Zed) and Python 3.11's ipaddress.
const roundTrip = (text: string) => {
  const ip = parseIp(text);
  assert.ok(ip, text);
  return formatAddress(ip);
};

describe('ipam address formatting', () => {
  it('compresses IPv6 as netaddr/RFC 5952 does', () => {
    assert.equal(roundTrip('2001:0db8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
    assert.equal(roundTrip('FE80::1'), 'fe80::1');
    assert.equal(roundTrip('::'), '::');
    assert.equal(roundTrip('::1'), '::1');
    assert.equal(roundTrip('1::'), '1::');
    assert.equal(roundTrip('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1'); // a lone zero stays
    assert.equal(roundTrip('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1'); // first of equal runs
    assert.equal(roundTrip('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1'); // the longest run
    assert.equal(roundTrip('1:2:3:4:5:6:7::'), '1:2:3:4:5:6:7:0');
    assert.equal(roundTrip('::2:3:4:5:6:7:8'), '0:2:3:4:5:6:7:8');
    assert.equal(roundTrip('0001:2::'), '1:2::');
    assert.equal(roundTrip('1:2:3:4:5:6:1.2.3.4'), '1:2:3:4:5:6:102:304');
    assert.equal(roundTrip('64:ff9b::1.2.3.4'), '64:ff9b::102:304');
  });

  it('prints IPv4-mapped and -compatible addresses as neutron (netaddr) does, and as Python does on request', () => {
    const mapped = parseIp('::ffff:1.2.3.4')!;
    assert.equal(formatAddress(mapped), '::ffff:1.2.3.4');
    assert.equal(formatIpPython(mapped.value, 6), '::ffff:102:304');
    assert.equal(roundTrip('0::ffff:102:304'), '::ffff:1.2.3.4');
    assert.equal(roundTrip('::1.2.3.4'), '::1.2.3.4');
    assert.equal(formatIpPython(parseIp('::1.2.3.4')!.value, 6), '::102:304');
    assert.equal(roundTrip('::ffff:0:0'), '::ffff:0.0.0.0');
    assert.equal(roundTrip('::0.0.0.1'), '::1');
    assert.equal(roundTrip('::ffff'), '::ffff');
    assert.equal(roundTrip('::1:0'), '::0.1.0.0');
    assert.equal(roundTrip('::1:0:0'), '::1:0:0');
    assert.equal(roundTrip('1::ffff:1.2.3.4'), '1::ffff:102:304');
  });

  it('formats IPv4 and the IPv6 extremes', () => {
    assert.equal(formatIp(0n, 4), '0.0.0.0');
    assert.equal(formatIp(0xffffffffn, 4), '255.255.255.255');
    assert.equal(formatIp((1n << 128n) - 1n, 6), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    assert.deepEqual(parseIp('10.1.2.3'), { version: 4, value: 0x0a010203n });
  });

  it('canonicalizes like convert_ip_to_canonical_format', () => {
    assert.equal(canonicalizeIp('2001:DB8:0::1'), '2001:db8::1');
    assert.equal(canonicalizeIp('10.0.0.1'), '10.0.0.1');
    assert.equal(canonicalizeIp('not-an-ip'), 'not-an-ip');
  });
});

describe('ipam validateIpAddress (neutron-lib validate_ip_address)', () => {
  it('accepts addresses', () => {
    for (const ok of ['1.2.3.4', '0.0.0.0', '255.255.255.255', '::', '2001:DB8::1', '::ffff:1.2.3.4']) {
      assert.equal(validateIpAddress(ok), null, ok);
    }
  });

  it('rejects what neutron rejects, with its messages', () => {
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4/24', '0x1.2.3.4', '',
      '::ffff:01.2.3.4', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', ':1::', '::1:', 'fe80::1%1',
      '1::2:3:4:5:6:7:8', '1.2.3.4::', '1:2:3:4:5:6:7:1.2.3.4']) {
      assert.equal(validateIpAddress(bad), `'${bad}' is not a valid IP address`, bad);
    }
    assert.equal(validateIpAddress(null), "'None' is not a valid IP address");
    assert.equal(validateIpAddress(5), "'5' is not a valid IP address");
  });

  it('rejects leading zeros with the recommended form', () => {
    assert.equal(validateIpAddress('01.2.3.4'), "'01.2.3.4' is not an accepted IP address, '1.2.3.4' is recommended");
    assert.equal(validateIpAddress('1.2.3.00'), "'1.2.3.00' is not an accepted IP address, '1.2.3.0' is recommended");
    assert.equal(validateIpAddress('+1.2.3.4'), "'+1.2.3.4' is not an accepted IP address, '1.2.3.4' is recommended");
    assert.equal(parseIp('01.2.3.4'), null);
  });
});
