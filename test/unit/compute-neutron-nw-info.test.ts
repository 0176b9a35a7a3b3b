/**
 * Building nova's network model from neutron's dicts (src/compute/network/nw-info.ts).
 * The main fixture is transcript 92's vm1: port p1 as an admin reads it (transcript 18b),
 * net1 and sub1 as neutron answered (transcript 00); the VIF must come out as nova cached
 * it, key order included.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NovaException } from '../../src/compute/errors.js';
import type { FloatingIpDict, NetworkDict, PortDict, SubnetDict } from '../../src/compute/network/neutron-client.js';
import { type NwInfoSources, buildSubnets, buildVif, physnetTunneled } from '../../src/compute/network/nw-info.js';

/** nova's "Instance network_info" for vm1 (transcript 92, the python JSON as logged). */
const VM1_NW_INFO = '[{"id": "394b1053-5902-44f3-a2b2-0732c417867e", "address": "fa:16:3e:32:44:75", "network": {"id": "f5f2fa16-fc72-4d80-95f9-47ee678916ad", "bridge": "br-int", "label": "net1", "subnets": [{"cidr": "1.2.3.0/24", "dns": [], "gateway": {"address": "1.2.3.1", "type": "gateway", "version": 4, "meta": {}}, "ips": [{"address": "1.2.3.20", "type": "fixed", "version": 4, "meta": {}, "floating_ips": []}], "routes": [], "version": 4, "meta": {"dhcp_server": "1.2.3.1"}}], "meta": {"injected": false, "tenant_id": "9f59dc16c29c470a9a3344d159460fb3", "mtu": 1450, "physical_network": null, "tunneled": true}}, "type": "ovs", "details": {"connectivity": "l2", "port_filter": true, "ovs_hybrid_plug": false, "datapath_type": "netdev", "bridge_name": "br-int", "bound_drivers": {"0": "openvswitch"}}, "devname": "tap394b1053-59", "ovs_interfaceid": "394b1053-5902-44f3-a2b2-0732c417867e", "qbh_params": null, "qbg_params": null, "active": false, "vnic_type": "normal", "profile": {}, "preserve_on_delete": true, "delegate_create": true, "meta": {}}]';

const P1: PortDict = {"id":"394b1053-5902-44f3-a2b2-0732c417867e","name":"p1","network_id":"f5f2fa16-fc72-4d80-95f9-47ee678916ad","tenant_id":"9f59dc16c29c470a9a3344d159460fb3","mac_address":"fa:16:3e:32:44:75","admin_state_up":true,"status":"DOWN","device_id":"123e2e5a-6acf-4f19-9858-e89c2271d1e2","device_owner":"compute:nova","fixed_ips":[{"subnet_id":"bfc6405e-e404-4205-ba5b-840b670de0fe","ip_address":"1.2.3.20"}],"allowed_address_pairs":[],"extra_dhcp_opts":[],"security_groups":["f67ec34f-7882-4f37-81a9-59a1972f6c0e"],"description":"","binding:vnic_type":"normal","binding:profile":{},"binding:host_id":"anchor-node","binding:vif_type":"ovs","binding:vif_details":{"connectivity":"l2","port_filter":true,"ovs_hybrid_plug":false,"datapath_type":"netdev","bridge_name":"br-int","bound_drivers":{"0":"openvswitch"}},"port_security_enabled":true,"tags":[],"created_at":"2026-11-23T23:39:16Z","updated_at":"2026-11-23T23:39:32Z","revision_number":3,"project_id":"9f59dc16c29c470a9a3344d159460fb3"};
const NET1: NetworkDict = {"id":"f5f2fa16-fc72-4d80-95f9-47ee678916ad","name":"net1","tenant_id":"9f59dc16c29c470a9a3344d159460fb3","admin_state_up":true,"mtu":1450,"status":"ACTIVE","subnets":["bfc6405e-e404-4205-ba5b-840b670de0fe"],"shared":false,"project_id":"9f59dc16c29c470a9a3344d159460fb3","port_security_enabled":true,"router:external":false};
const SUB1: SubnetDict = {"id":"bfc6405e-e404-4205-ba5b-840b670de0fe","name":"sub1","tenant_id":"9f59dc16c29c470a9a3344d159460fb3","network_id":"f5f2fa16-fc72-4d80-95f9-47ee678916ad","ip_version":4,"subnetpool_id":null,"enable_dhcp":true,"ipv6_ra_mode":null,"ipv6_address_mode":null,"gateway_ip":"1.2.3.1","cidr":"1.2.3.0/24","allocation_pools":[{"start":"1.2.3.2","end":"1.2.3.254"}],"host_routes":[],"dns_nameservers":[],"description":"","service_types":[],"tags":[],"project_id":"9f59dc16c29c470a9a3344d159460fb3"};
/** networks/<id>?fields=provider:physical_network&fields=provider:network_type as admin. */
const NET1_PROVIDER: NetworkDict = { id: NET1.id, 'provider:physical_network': null, 'provider:network_type': 'vxlan' };

function sources(over: Partial<NwInfoSources> = {}): NwInfoSources {
  return {
    networks: [NET1],
    subnets: [SUB1],
    dhcpPorts: [],
    floatingIps: [],
    providers: new Map([[NET1.id, physnetTunneled(NET1_PROVIDER, NET1.id)]]),
    ...over,
  };
}

describe('the VIF of a bound port', () => {
  test("vm1's p1 comes out as nova cached it, key for key and in nova's order", () => {
    const vif = buildVif(P1, sources(), true);
    assert.equal(JSON.stringify([vif]), JSON.stringify(JSON.parse(VM1_NW_INFO)));
  });

  test('a port nova created is not preserved; ACTIVE or admin-down means active', () => {
    assert.equal(buildVif(P1, sources(), false).preserve_on_delete, false);
    assert.equal(buildVif({ ...P1, status: 'ACTIVE' }, sources(), false).active, true);
    assert.equal(buildVif({ ...P1, admin_state_up: false }, sources(), false).active, true);
  });

  test('a network outside the list: the port tenant is used, with a warning', () => {
    const warnings: string[] = [];
    const vif = buildVif(P1, sources({ networks: [] }), false, (m) => warnings.push(m));
    assert.equal(vif.network.meta.tenant_id, P1.tenant_id);
    assert.equal(vif.network.meta.mtu, null);
    assert.deepEqual(warnings, [`Network ${P1.network_id} not matched with the tenants network! The ports tenant ${P1.tenant_id} will be used.`]);
  });

  test('bridge by vif_type: linux bridge brq<net> cut to 14 characters, nothing for a failed binding', () => {
    const lb = buildVif({ ...P1, 'binding:vif_type': 'bridge', 'binding:vif_details': { port_filter: true } }, sources(), false);
    assert.equal(lb.network.bridge, 'brqf5f2fa16-fc');
    assert.equal(lb.network.meta['should_create_bridge'], true);
    assert.equal(lb.ovs_interfaceid, null);
    const failed = buildVif({ ...P1, 'binding:vif_type': 'binding_failed', 'binding:vif_details': {} }, sources(), false);
    assert.equal(failed.type, 'binding_failed');
    assert.equal(failed.network.bridge, null);
    assert.equal(failed.ovs_interfaceid, null);
    const custom = buildVif({ ...P1, 'binding:vif_details': { bridge_name: 'br-integration-long' } }, sources(), false);
    assert.equal(custom.network.bridge, 'br-integration');
  });
});

describe('subnets', () => {
  test('dhcp_server: the DHCP port address in the subnet (the last one found), else the gateway with DHCP on', () => {
    const dhcp = (id: string, ip: string): PortDict => ({ ...P1, id, device_owner: 'network:dhcp', fixed_ips: [{ subnet_id: SUB1.id, ip_address: ip }] });
    assert.equal(buildSubnets(P1, sources({ dhcpPorts: [dhcp('d1', '1.2.3.2'), dhcp('d2', '1.2.3.3')] }))[0]!.meta.dhcp_server, '1.2.3.3');
    assert.equal(buildSubnets(P1, sources())[0]!.meta.dhcp_server, '1.2.3.1');
    assert.deepEqual(buildSubnets(P1, sources({ subnets: [{ ...SUB1, enable_dhcp: false }] }))[0]!.meta, {});
  });

  test('DNS servers, host routes, no gateway, IPv6 address mode first in meta', () => {
    const v6: SubnetDict = { ...SUB1, id: 's6', cidr: 'fd00::/64', ip_version: 6, gateway_ip: null, ipv6_address_mode: 'slaac', dns_nameservers: ['fd00::53', 'fd00::53'], host_routes: [{ destination: '10.0.0.0/8', nexthop: 'fd00::1' }] };
    const port = { ...P1, fixed_ips: [{ subnet_id: 's6', ip_address: 'fd00::5' }] };
    const [s] = buildSubnets(port, sources({ subnets: [v6], dhcpPorts: [{ ...P1, id: 'd', fixed_ips: [{ subnet_id: 's6', ip_address: 'fd00::2' }] }] }));
    assert.deepEqual(s, {
      cidr: 'fd00::/64',
      dns: [{ address: 'fd00::53', type: 'dns', version: 6, meta: {} }],
      gateway: null,
      ips: [{ address: 'fd00::5', type: 'fixed', version: 6, meta: {}, floating_ips: [] }],
      routes: [{ cidr: '10.0.0.0/8', gateway: { address: 'fd00::1', type: 'gateway', version: 6, meta: {} }, interface: null, meta: {} }],
      version: 6,
      meta: { ipv6_address_mode: 'slaac', dhcp_server: 'fd00::2' },
    });
    assert.deepEqual(Object.keys(s!.meta), ['ipv6_address_mode', 'dhcp_server']);
  });

  test('each fixed IP lands in its subnet with its floating IPs; a port without IPs has no subnets', () => {
    const sub2: SubnetDict = { ...SUB1, id: 's2', cidr: '1.2.4.0/24', gateway_ip: '1.2.4.1' };
    const port = { ...P1, fixed_ips: [...P1.fixed_ips, { subnet_id: 's2', ip_address: '1.2.4.9' }] };
    const fips: FloatingIpDict[] = [
      { floating_ip_address: '172.24.4.10', fixed_ip_address: '1.2.4.9', port_id: P1.id },
      { floating_ip_address: '172.24.4.11', fixed_ip_address: '1.2.4.9', port_id: 'other-port' },
    ];
    const subnets = buildSubnets(port, sources({ subnets: [SUB1, sub2], floatingIps: fips }));
    assert.deepEqual(
      subnets.map((s) => s.ips.map((i) => [i.address, i.floating_ips.map((f) => f.address)])),
      [[['1.2.3.20', []]], [['1.2.4.9', ['172.24.4.10']]]],
    );
    assert.deepEqual(subnets[1]!.ips[0]!.floating_ips, [{ address: '172.24.4.10', type: 'floating', version: 4, meta: {} }]);
    assert.deepEqual(buildSubnets({ ...P1, fixed_ips: [] }, sources()), []);
  });
});

describe('physical network and tunneling', () => {
  test('provider attributes: vxlan is tunneled, a vlan names its physnet', () => {
    assert.deepEqual(physnetTunneled(NET1_PROVIDER, NET1.id), { physicalNetwork: null, tunneled: true });
    assert.deepEqual(physnetTunneled({ id: 'n', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1' }, 'n'), { physicalNetwork: 'physnet1', tunneled: false });
    assert.deepEqual(physnetTunneled(undefined, 'n'), { physicalNetwork: null, tunneled: false });
  });

  test('segments (multi-provider): the first with a physnet, none is an error', () => {
    const segs = { id: 'n', segments: [{ 'provider:network_type': 'vxlan', 'provider:physical_network': null }, { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet2' }] };
    assert.deepEqual(physnetTunneled(segs, 'n'), { physicalNetwork: 'physnet2', tunneled: false });
    assert.throws(() => physnetTunneled({ id: 'n', segments: [{ 'provider:network_type': 'vxlan' }] }, 'n'), (e) => {
      assert.ok(e instanceof NovaException);
      assert.equal(e.message, 'None of the segments of network n provides a physical_network');
      return true;
    });
  });
});
