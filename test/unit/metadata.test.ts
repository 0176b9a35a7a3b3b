/** The metadata service's pure parts: netutils' netmasks and network_data.json, the EC2 listing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getNetworkMetadata, netmask } from '../../src/compute/metadata/network-metadata.js';
import { ec2Print } from '../../src/compute/metadata/instance-metadata.js';
import type { VIF } from '../../src/compute/network/model.js';

test('netmask: dotted for IPv4, netaddr\'s compact form for IPv6', () => {
  assert.equal(netmask(4, 24), '255.255.255.0');
  assert.equal(netmask(4, 0), '0.0.0.0');
  assert.equal(netmask(4, 32), '255.255.255.255');
  assert.equal(netmask(6, 64), 'ffff:ffff:ffff:ffff::');
  assert.equal(netmask(6, 0), '::');
});

test('getNetworkMetadata: a link per VIF, ipv4_dhcp where neutron serves DHCP, static v6 with routes and DNS', () => {
  const vif = {
    id: 'p1',
    address: 'fa:16:3e:00:00:01',
    type: 'ovs',
    devname: 'tapp1',
    details: {},
    network: {
      id: 'n1',
      bridge: 'br-int',
      label: 'net',
      meta: { injected: false, tenant_id: 't', mtu: 1450 },
      subnets: [
        { cidr: '10.0.0.0/24', version: 4, dns: [], gateway: { address: '10.0.0.1', type: 'gateway', version: 4, meta: {} }, ips: [{ address: '10.0.0.5', type: 'fixed', version: 4, meta: {}, floating_ips: [] }], routes: [], meta: { dhcp_server: '10.0.0.2' } },
        { cidr: '2001:db8::/64', version: 6, dns: [{ address: '2001:db8::53', type: 'dns', version: 6, meta: {} }], gateway: { address: '2001:db8::1', type: 'gateway', version: 6, meta: {} }, ips: [{ address: '2001:db8::5', type: 'fixed', version: 6, meta: {}, floating_ips: [] }], routes: [], meta: {} },
      ],
    },
  } as unknown as VIF;
  assert.deepEqual(getNetworkMetadata([vif]), {
    links: [{ id: 'tapp1', vif_id: 'p1', type: 'ovs', mtu: null, ethernet_mac_address: 'fa:16:3e:00:00:01' }],
    networks: [
      { id: 'network0', type: 'ipv4_dhcp', link: 'tapp1', network_id: 'n1' },
      { id: 'network1', type: 'ipv6', link: 'tapp1', ip_address: '2001:db8::5', netmask: 'ffff:ffff:ffff:ffff::', routes: [{ network: '::', netmask: '::', gateway: '2001:db8::1' }], network_id: 'n1', services: [{ type: 'dns', address: '2001:db8::53' }] },
    ],
    services: [{ type: 'dns', address: '2001:db8::53' }],
  });
  assert.equal(getNetworkMetadata([]), null);
});

test('ec2Print: sorted keys, subtrees with a slash, _name entries, lists as lines', () => {
  assert.equal(ec2Print({ b: 1, a: { x: 1 }, 'public-keys': { '0': { _name: '0=k' } } }), 'a/\nb\npublic-keys/');
  assert.equal(ec2Print({ '0': { _name: '0=k', 'openssh-key': 'x' } }), '0=k');
  assert.equal(ec2Print(['a', 'b']), 'a\nb');
});
