/** The address and time parsing of the server resource (api/ip-time.ts), against Python's answers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalIPv6, isIPv4Address, isIPv6Address, parseIsotime } from '../../src/compute/api/ip-time.js';

describe('ip-time', () => {
  it('canonicalises IPv6 as netaddr (glibc inet_ntop) prints it', () => {
    const cases: [string, string][] = [
      ['0:0:0:0:0:babe:dc0c:1602', '::babe:dc0c:1602'],
      ['2001:0DB8:0000:0000:0000:0000:babe:dc0c', '2001:db8::babe:dc0c'],
      ['1:0:2:0:0:3:0:0', '1:0:2::3:0:0'],
      ['1:0:1:1:1:1:1:1', '1:0:1:1:1:1:1:1'],
      ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['::1', '::1'],
      ['fe80::', 'fe80::'],
      ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
      ['::1.2.3.4', '::1.2.3.4'],
    ];
    for (const [input, want] of cases) assert.equal(canonicalIPv6(input), want, input);
  });

  it('checks addresses as ipaddress does', () => {
    assert.ok(isIPv4Address('10.0.0.1'));
    for (const bad of ['1.2.3', '300.1.1.1', '01.2.3.4', '::1']) assert.ok(!isIPv4Address(bad), bad);
    assert.ok(isIPv6Address('::babe:dc0c:1602'));
    for (const bad of ['fe80::1%eth0', 'fe80::1::2', '1.2.3.4', 'x']) assert.ok(!isIPv6Address(bad), bad);
  });

  it('parses ISO 8601 as oslo parse_isotime, UTC by default', () => {
    assert.equal(parseIsotime('2020-01-02T03:04:05Z'), Date.UTC(2020, 0, 2, 3, 4, 5));
    assert.equal(parseIsotime('2020-01-02T03:04:05+01:00'), Date.UTC(2020, 0, 2, 2, 4, 5));
    assert.equal(parseIsotime('2020-01-02'), Date.UTC(2020, 0, 2));
    assert.equal(parseIsotime('2020-01-02T03:04:05.5'), Date.UTC(2020, 0, 2, 3, 4, 5, 500));
    for (const bad of ['yesterday', '2020-13-01', '2020-02-30', '']) assert.equal(parseIsotime(bad), null, bad);
  });
});
