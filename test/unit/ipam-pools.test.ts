import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkFixedIp,
  checkGatewayInvalidInSubnet,
  defaultGatewayIp,
  formatIp,
  formatRange,
  GatewayConflictWithAllocationPools,
  generatePools,
  InvalidAllocationPool,
  InvalidInput,
  InvalidIpForNetwork,
  InvalidIpForSubnet,
  ipInPools,
  OutOfBoundsAllocationPool,
  OverlappingAllocationPools,
  parseCidr,
  parseIp,
  poolsSize,
  prepareAllocationPools,
  subnetForFixedIp,
  validateSubnetCidr,
  type PoolInput,
} from '../../src/network/ipam/index.js';

const cidr = (t: string) => parseCidr(t)!;
const ip = (t: string) => parseIp(t)!;
/** neutron's generate_pools(cidr, gateway) printed as str(IPRange) list. */
const gen = (c: string, gw: string | null) =>
  generatePools(cidr(c), gw === null ? null : ip(gw).value).map(formatRange);

describe('ipam default gateway and pools (neutron generate_pools)', () => {
  it('picks the default gateway as _gateway_ip_str does', () => {
    assert.equal(formatIp(defaultGatewayIp(cidr('10.0.0.0/24'))!, 4), '10.0.0.1');
    assert.equal(formatIp(defaultGatewayIp(cidr('2001:db8::/64'))!, 6), '2001:db8::');
    assert.equal(defaultGatewayIp(cidr('255.255.255.255/32')), null);
  });

  it('matches neutron for the usual and edge prefixes', () => {
    assert.deepEqual(gen('10.0.0.0/24', '10.0.0.1'), ['10.0.0.2-10.0.0.254']);
    assert.deepEqual(gen('10.0.0.0/24', null), ['10.0.0.1-10.0.0.254']);
    assert.deepEqual(gen('10.0.0.0/24', '10.0.0.128'), ['10.0.0.1-10.0.0.127', '10.0.0.129-10.0.0.254']);
    assert.deepEqual(gen('10.0.0.0/24', '10.0.0.254'), ['10.0.0.1-10.0.0.253']);
    assert.deepEqual(gen('10.0.0.0/24', '10.0.1.1'), ['10.0.0.1-10.0.0.254']);
    assert.deepEqual(gen('10.0.0.0/30', '10.0.0.1'), ['10.0.0.2-10.0.0.2']);
    assert.deepEqual(gen('10.0.0.0/31', '10.0.0.1'), ['10.0.0.0-10.0.0.0']);
    assert.deepEqual(gen('10.0.0.0/32', '10.0.0.1'), ['10.0.0.0-10.0.0.0']);
    assert.deepEqual(gen('2001:db8::/64', '2001:db8::'), ['2001:db8::1-2001:db8::ffff:ffff:ffff:ffff']);
    assert.deepEqual(gen('2001:db8::/127', '2001:db8::'), ['2001:db8::1-2001:db8::1']);
    assert.deepEqual(gen('2001:db8::/127', '2001:db8::1'), []);
    assert.deepEqual(gen('2001:db8::/128', '2001:db8::'), ['2001:db8::-2001:db8::']);
  });

  it('sizes pools as bigints', () => {
    assert.equal(poolsSize(generatePools(cidr('10.0.0.0/24'), ip('10.0.0.1').value)), 253n);
    assert.equal(poolsSize(generatePools(cidr('2001:db8::/64'), ip('2001:db8::').value)), (1n << 64n) - 1n);
    const pools = generatePools(cidr('10.0.0.0/24'), ip('10.0.0.128').value);
    assert.ok(ipInPools(ip('10.0.0.1'), pools));
    assert.ok(!ipInPools(ip('10.0.0.128'), pools));
    assert.ok(!ipInPools(ip('10.0.0.255'), pools));
  });
});

describe('ipam user pools (_prepare_allocation_pools)', () => {
  const prep = (pools: PoolInput[] | null, c: string, gw: string | null) =>
    prepareAllocationPools(pools, cidr(c), gw).map(formatRange);
  const fails = (pools: PoolInput[], c: string, gw: string | null, cls: Function, message: string) =>
    assert.throws(() => prep(pools, c, gw), (e: Error) => e instanceof cls && e.message === message);

  it('accepts valid pools and generates when none are given', () => {
    assert.deepEqual(
      prep([{ start: '10.0.0.2', end: '10.0.0.10' }, { start: '10.0.0.20', end: '10.0.0.30' }], '10.0.0.0/24', '10.0.0.1'),
      ['10.0.0.2-10.0.0.10', '10.0.0.20-10.0.0.30'],
    );
    assert.deepEqual(prep([{ start: '2001:db8::1', end: '2001:db8::50' }], '2001:db8::/64', '2001:db8::'), [
      '2001:db8::1-2001:db8::50',
    ]);
    assert.deepEqual(prep([{ start: '10.0.0.0', end: '10.0.0.1' }], '10.0.0.0/31', null), ['10.0.0.0-10.0.0.1']);
    assert.deepEqual(prep(null, '10.0.0.0/24', '10.0.0.1'), ['10.0.0.2-10.0.0.254']);
  });

  it('raises neutron errors with neutron messages', () => {
    fails([{ start: '10.0.0.10', end: '10.0.0.5' }], '10.0.0.0/24', '10.0.0.1', InvalidAllocationPool,
      "The allocation pool {'start': '10.0.0.10', 'end': '10.0.0.5'} is not valid.");
    fails([{ start: '10.0.0.10', end: '2001:db8::5' }], '10.0.0.0/24', '10.0.0.1', InvalidAllocationPool,
      "The allocation pool {'start': '10.0.0.10', 'end': '2001:db8::5'} is not valid.");
    fails([{ start: '2001:db8::2', end: '2001:db8::5' }], '10.0.0.0/24', '10.0.0.1', InvalidAllocationPool,
      'The allocation pool 2001:db8::2-2001:db8::5 is not valid.');
    fails([{ start: '10.0.0.0', end: '10.0.0.5' }], '10.0.0.0/24', '10.0.0.1', OutOfBoundsAllocationPool,
      'The allocation pool 10.0.0.0-10.0.0.5 spans beyond the subnet cidr 10.0.0.0/24.');
    fails([{ start: '10.0.0.2', end: '10.0.0.255' }], '10.0.0.0/24', '10.0.0.1', OutOfBoundsAllocationPool,
      'The allocation pool 10.0.0.2-10.0.0.255 spans beyond the subnet cidr 10.0.0.0/24.');
    fails([{ start: '2001:db8::', end: '2001:db8::50' }], '2001:db8::/64', '2001:db8::', OutOfBoundsAllocationPool,
      'The allocation pool 2001:db8::-2001:db8::50 spans beyond the subnet cidr 2001:db8::/64.');
    fails([{ start: '10.0.0.2', end: '10.0.0.50' }, { start: '10.0.0.40', end: '10.0.0.60' }], '10.0.0.0/24', '10.0.0.1',
      OverlappingAllocationPools,
      'Found overlapping allocation pools: 10.0.0.2-10.0.0.50 10.0.0.40-10.0.0.60 for subnet 10.0.0.0/24.');
    fails([{ start: '10.0.0.2', end: '10.0.0.50' }], '10.0.0.0/24', '10.0.0.20', GatewayConflictWithAllocationPools,
      'Gateway ip 10.0.0.20 conflicts with allocation pool 10.0.0.2-10.0.0.50.');
  });

  it('gives the errors their neutron type and status', () => {
    const e = new OverlappingAllocationPools('a', 'b', 'c');
    assert.equal(e.type, 'OverlappingAllocationPools');
    assert.equal(e.status, 409);
    assert.equal(new InvalidAllocationPool('x').status, 400);
    assert.equal(new GatewayConflictWithAllocationPools('x', 'y').status, 409);
  });
});

describe('ipam subnet checks', () => {
  it('checks fixed IPs as check_subnet_ip does', () => {
    const v4 = cidr('10.0.0.0/24');
    assert.ok(checkFixedIp(v4, ip('10.0.0.1')));
    assert.ok(!checkFixedIp(v4, ip('10.0.0.0')));
    assert.ok(!checkFixedIp(v4, ip('10.0.0.255')));
    assert.ok(!checkFixedIp(v4, ip('10.0.1.1')));
    assert.ok(!checkFixedIp(cidr('10.0.0.0/31'), ip('10.0.0.0')));
    const v6 = cidr('2001:db8::/64');
    assert.ok(checkFixedIp(v6, ip('2001:db8::'), ''));
    assert.ok(checkFixedIp(v6, ip('2001:db8::'), 'network:router_interface'));
    assert.ok(!checkFixedIp(v6, ip('2001:db8::'), 'compute:nova'));
    assert.ok(checkFixedIp(v6, ip('2001:db8::ffff:ffff:ffff:ffff'), 'compute:nova'));
  });

  it('finds the subnet for a fixed IP with neutron errors', () => {
    const subnets = [{ id: 's4', cidr: cidr('10.0.0.0/24') }, { id: 's6', cidr: cidr('2001:db8::/64') }];
    assert.equal(subnetForFixedIp(subnets, '2001:db8::5', 'compute:nova')!.id, 's6');
    assert.equal(subnetForFixedIp(subnets, '10.0.0.5', 'compute:nova', 's4')!.id, 's4');
    assert.throws(() => subnetForFixedIp(subnets, '10.0.0.255', 'compute:nova', 's4'), (e: Error) =>
      e instanceof InvalidIpForSubnet && e.message === 'IP address 10.0.0.255 is not a valid IP for the specified subnet.');
    assert.throws(() => subnetForFixedIp(subnets, '10.9.0.5', 'compute:nova'), (e: Error) =>
      e instanceof InvalidIpForNetwork &&
      e.message === 'IP address 10.9.0.5 is not a valid IP for any of the subnets on the specified network.');
  });

  it('refuses IPv4 gateways on the network or broadcast address only', () => {
    assert.ok(checkGatewayInvalidInSubnet(cidr('10.0.0.0/24'), ip('10.0.0.0')));
    assert.ok(checkGatewayInvalidInSubnet(cidr('10.0.0.0/24'), ip('10.0.0.255')));
    assert.ok(!checkGatewayInvalidInSubnet(cidr('10.0.0.0/24'), ip('10.0.1.1')));
    assert.ok(!checkGatewayInvalidInSubnet(cidr('2001:db8::/64'), ip('2001:db8::')));
  });

  it('validates a new CIDR against prefix 0 and the network\'s other subnets', () => {
    assert.throws(() => validateSubnetCidr(cidr('0.0.0.0/0'), '0.0.0.0/0', 'n1', []), (e: Error) =>
      e instanceof InvalidInput && e.message === 'Invalid input for operation: 0 is not allowed as CIDR prefix length.');
    assert.throws(() => validateSubnetCidr(cidr('10.0.0.0/25'), '10.0.0.0/25', 'n1', [cidr('10.0.0.0/24')]), (e: Error) =>
      e.message ===
      'Invalid input for operation: Requested subnet with cidr: 10.0.0.0/25 for network: n1 overlaps with another subnet.');
    validateSubnetCidr(cidr('10.0.1.0/24'), '10.0.1.0/24', 'n1', [cidr('10.0.0.0/24'), cidr('::/64')]);
  });
});
