/**
 * Acceptance: networks, subnets, tokens and quotas through the real Zed-era clients.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, clientsMissing, fieldTable, listTable, neutron, OPENSTACK, os, osJson, PROJECT_ID, TIME, UUID, ZED } from './helpers.js';

describe('acceptance: networks and subnets (openstack, neutron)', { skip: clientsMissing }, () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud?.stop();
  });

  test('openstack network create prints the network table', async () => {
    const f = fieldTable(await os(cloud, 'demo', 'network', 'create', 'net1'));
    // openstackclient (Zed) prints every attribute of the SDK's Network, sorted.
    assert.deepEqual(Object.keys(f), [
      'admin_state_up', 'availability_zone_hints', 'availability_zones', 'created_at', 'description', 'dns_domain', 'id',
      'ipv4_address_scope', 'ipv6_address_scope', 'is_default', 'is_vlan_transparent', 'mtu', 'name', 'port_security_enabled',
      'project_id', 'provider:network_type', 'provider:physical_network', 'provider:segmentation_id', 'qos_policy_id',
      'revision_number', 'router:external', 'segments', 'shared', 'status', 'subnets', 'tags', 'updated_at',
    ]);
    assert.match(f.id!, UUID);
    assert.match(f.project_id!, PROJECT_ID);
    assert.match(f.created_at!, TIME);
    // Values as the server of 06-net-create-net1.txt returned them (demo view: no provider attributes).
    assert.equal(f.admin_state_up, 'UP');
    assert.equal(f.mtu, '1450');
    assert.equal(f.name, 'net1');
    assert.equal(f.port_security_enabled, 'True');
    assert.equal(f['provider:network_type'], 'None');
    assert.equal(f.revision_number, '1');
    assert.equal(f['router:external'], 'Internal');
    assert.equal(f.shared, 'False');
    assert.equal(f.status, 'ACTIVE');
    assert.equal(f.subnets, '');
  });

  test('neutron net-create prints the fields of 06 (demo) and 03 (admin)', async () => {
    const demo = fieldTable(await neutron(cloud, 'demo', 'net-create', 'net2'));
    assert.deepEqual(Object.keys(demo), ZED.neutronNetCreateDemo);
    assert.equal(demo['router:external'], 'False');
    const admin = fieldTable(await neutron(cloud, 'admin', 'net-create', 'adminnet'));
    assert.deepEqual(Object.keys(admin), ZED.neutronNetCreateAdmin);
    assert.equal(admin['provider:network_type'], 'vxlan');
    assert.match(admin['provider:segmentation_id']!, /^\d+$/);
  });

  test('openstack subnet create --subnet-range 1.2.3.0/24', async () => {
    const f = fieldTable(await os(cloud, 'demo', 'subnet', 'create', '--network', 'net1', '--subnet-range', '1.2.3.0/24', 'sub1'));
    assert.deepEqual(Object.keys(f), [
      'allocation_pools', 'cidr', 'created_at', 'description', 'dns_nameservers', 'dns_publish_fixed_ip', 'enable_dhcp',
      'gateway_ip', 'host_routes', 'id', 'ip_version', 'ipv6_address_mode', 'ipv6_ra_mode', 'name', 'network_id',
      'project_id', 'revision_number', 'segment_id', 'service_types', 'subnetpool_id', 'tags', 'updated_at',
    ]);
    // Values of 07-subnet-create-net1.txt.
    assert.equal(f.allocation_pools, '1.2.3.2-1.2.3.254');
    assert.equal(f.cidr, '1.2.3.0/24');
    assert.equal(f.enable_dhcp, 'True');
    assert.equal(f.gateway_ip, '1.2.3.1');
    assert.equal(f.ip_version, '4');
    assert.equal(f.revision_number, '0');
    assert.equal(f.subnetpool_id, 'None');
  });

  test('neutron subnet-create prints the fields of 07', async () => {
    const f = fieldTable(await neutron(cloud, 'demo', 'subnet-create', 'net2', '1.1.1.0/24', '--name', 'sub2'));
    assert.deepEqual(Object.keys(f), ZED.neutronSubnetCreate);
    assert.equal(f.allocation_pools, '{"start": "1.1.1.2", "end": "1.1.1.254"}');
    assert.equal(f.gateway_ip, '1.1.1.1');
  });

  test('openstack network list and show', async () => {
    const rows = listTable(await os(cloud, 'demo', 'network', 'list'));
    assert.deepEqual(Object.keys(rows[0]!), ['ID', 'Name', 'Subnets']);
    const byName = Object.fromEntries(rows.map((r) => [r.Name, r]));
    assert.deepEqual(Object.keys(byName).sort(), ['net1', 'net2']); // adminnet belongs to admin
    const sub1 = await osJson(cloud, 'demo', 'subnet', 'show', 'sub1');
    assert.equal(byName.net1!.Subnets, sub1.id);
    const show = fieldTable(await os(cloud, 'demo', 'network', 'show', 'net1'));
    assert.equal(show.id, byName.net1!.ID);
    assert.equal(show.subnets, sub1.id);
    const adminRows = listTable(await os(cloud, 'admin', 'network', 'list'));
    assert.deepEqual(adminRows.map((r) => r.Name).sort(), ['adminnet', 'net1', 'net2']);
  });

  test('openstack network set, then delete', async () => {
    assert.equal(await os(cloud, 'demo', 'network', 'set', '--name', 'net2b', '--description', 'second', 'net2'), '');
    const n = await osJson(cloud, 'demo', 'network', 'show', 'net2b');
    assert.equal(n.description, 'second');
    assert.equal(n.revision_number, 3); // created 1, subnet added 2, set 3
    await os(cloud, 'demo', 'subnet', 'delete', 'sub2');
    assert.equal(await os(cloud, 'demo', 'network', 'delete', 'net2b'), '');
    const r = await cli(cloud, 'demo', OPENSTACK, ['network', 'show', 'net2b']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error while executing command: No Network found for net2b/);
  });

  test('openstack token issue', async () => {
    const f = fieldTable(await os(cloud, 'demo', 'token', 'issue'));
    assert.deepEqual(Object.keys(f), ['expires', 'id', 'project_id', 'user_id']);
    assert.match(f.expires!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);
    assert.match(f.project_id!, PROJECT_ID);
  });

  test('openstack quota list --network --detail (admin) and neutron quota-show', async () => {
    const rows = listTable(await os(cloud, 'admin', 'quota', 'list', '--network', '--detail'));
    assert.deepEqual(Object.keys(rows[0]!), ['Resource', 'In Use', 'Reserved', 'Limit']);
    const q = Object.fromEntries(rows.map((r) => [r.Resource, r]));
    assert.equal(q.networks!['In Use'], '1'); // adminnet
    assert.equal(q.subnets!['In Use'], '0');
    assert.equal(q.ports!.Limit, '500');
    const f = fieldTable(await neutron(cloud, 'demo', 'quota-show'));
    assert.deepEqual(Object.keys(f), ['floatingip', 'network', 'port', 'rbac_policy', 'router', 'security_group', 'security_group_rule', 'subnet', 'subnetpool']);
    assert.equal(f.network, '100');
  });

  test('openstack quota show: nova\'s and neutron\'s quotas of the project in one table', async () => {
    const f = fieldTable(await os(cloud, 'demo', 'quota', 'show'));
    // neutron's (secgroups, floating-ips... replace nova's proxies of them)
    assert.equal(f.networks, '100');
    assert.equal(f.ports, '500');
    assert.equal(f.subnets, '100');
    assert.equal(f.secgroups, '10');
    assert.equal(f['secgroup-rules'], '100');
    assert.equal(f['floating-ips'], '50');
    // nova's defaults
    assert.equal(f.instances, '10');
    assert.equal(f.cores, '20');
    assert.equal(f.ram, '51200');
    assert.equal(f['key-pairs'], '100');
    assert.equal(f.project_name, 'demo');
    assert.match(f.project!, PROJECT_ID);
  });
});
