/**
 * Acceptance: security groups and rules, floating IPs on an external network, and
 * the network agents of the simulated hosts, through openstackclient.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, clientsMissing, fieldTable, listTable, OPENSTACK, os, osJson, PROJECT_ID, UUID } from './helpers.js';

describe('acceptance: security groups, floating IPs, agents (openstack)', { skip: clientsMissing }, () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud?.stop();
  });

  test('openstack security group create, list, delete', async () => {
    const f = fieldTable(await os(cloud, 'demo', 'security', 'group', 'create', 'sg1'));
    assert.deepEqual(Object.keys(f), ['created_at', 'description', 'id', 'name', 'project_id', 'revision_number', 'rules', 'stateful', 'tags', 'updated_at']);
    assert.equal(f.name, 'sg1');
    assert.equal(f.description, 'sg1');
    assert.equal(f.stateful, 'True');
    // Two default egress rules, one per ethertype, one line each.
    const rules = f.rules!.split('\n');
    assert.equal(rules.length, 2);
    assert.ok(rules.some((r) => r.includes("direction='egress', ethertype='IPv4'")));
    assert.ok(rules.some((r) => r.includes("direction='egress', ethertype='IPv6'")));

    const rows = listTable(await os(cloud, 'demo', 'security', 'group', 'list'));
    assert.deepEqual(Object.keys(rows[0]!), ['ID', 'Name', 'Description', 'Project', 'Tags']);
    const byName = Object.fromEntries(rows.map((r) => [r.Name, r]));
    assert.deepEqual(Object.keys(byName).sort(), ['default', 'sg1']);
    assert.equal(byName.default!.Description, 'Default security group');
    assert.match(byName.sg1!.Project!, PROJECT_ID);
    assert.equal(byName.sg1!.ID, f.id);
  });

  test('openstack security group rule create, list, delete', async () => {
    const f = fieldTable(await os(cloud, 'demo', 'security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', 'sg1'));
    assert.deepEqual(Object.keys(f), [
      'created_at', 'description', 'direction', 'ether_type', 'id', 'name', 'port_range_max', 'port_range_min', 'project_id',
      'protocol', 'remote_address_group_id', 'remote_group_id', 'remote_ip_prefix', 'revision_number', 'security_group_id', 'tags', 'updated_at',
    ]);
    assert.equal(f.direction, 'ingress');
    assert.equal(f.ether_type, 'IPv4');
    assert.equal(f.protocol, 'tcp');
    assert.equal(f.port_range_min, '22');
    assert.equal(f.port_range_max, '22');
    assert.equal(f.remote_ip_prefix, '0.0.0.0/0');

    const rows = listTable(await os(cloud, 'demo', 'security', 'group', 'rule', 'list', 'sg1'));
    assert.deepEqual(Object.keys(rows[0]!), ['ID', 'IP Protocol', 'Ethertype', 'IP Range', 'Port Range', 'Direction', 'Remote Security Group', 'Remote Address Group']);
    assert.equal(rows.length, 3);
    const ssh = rows.find((r) => r.ID === f.id)!;
    assert.deepEqual(ssh, { ID: f.id, 'IP Protocol': 'tcp', Ethertype: 'IPv4', 'IP Range': '0.0.0.0/0', 'Port Range': '22:22', Direction: 'ingress', 'Remote Security Group': 'None', 'Remote Address Group': 'None' });

    assert.equal(await os(cloud, 'demo', 'security', 'group', 'rule', 'delete', f.id!), '');
    assert.equal(listTable(await os(cloud, 'demo', 'security', 'group', 'rule', 'list', 'sg1')).length, 2);
    assert.equal(await os(cloud, 'demo', 'security', 'group', 'delete', 'sg1'), '');
    const r = await cli(cloud, 'demo', OPENSTACK, ['security', 'group', 'show', 'sg1']);
    assert.equal(r.code, 1);
  });

  test('openstack floating ip create, set --port (through a router), unset --port, list', async () => {
    const ext = await osJson(cloud, 'admin', 'network', 'create', '--external', 'public');
    assert.equal(ext['router:external'], true);
    await os(cloud, 'admin', 'subnet', 'create', '--network', 'public', '--subnet-range', '172.24.4.0/24', '--no-dhcp', 'public-sub');
    await os(cloud, 'demo', 'network', 'create', 'net1');
    const sub1 = await osJson(cloud, 'demo', 'subnet', 'create', '--network', 'net1', '--subnet-range', '1.2.3.0/24', 'sub1');
    const port = await osJson(cloud, 'demo', 'port', 'create', '--network', 'net1', '--fixed-ip', 'ip-address=1.2.3.20', 'p1');

    const f = fieldTable(await os(cloud, 'demo', 'floating', 'ip', 'create', 'public'));
    assert.deepEqual(Object.keys(f), [
      'created_at', 'description', 'dns_domain', 'dns_name', 'fixed_ip_address', 'floating_ip_address', 'floating_network_id', 'id',
      'name', 'port_details', 'port_id', 'project_id', 'qos_policy_id', 'revision_number', 'router_id', 'status', 'subnet_id', 'tags', 'updated_at',
    ]);
    assert.match(f.floating_ip_address!, /^172\.24\.4\.\d+$/);
    assert.equal(f.floating_network_id, ext.id);
    assert.equal(f.port_id, 'None');
    assert.equal(f.fixed_ip_address, 'None');
    assert.equal(f.status, 'DOWN');
    assert.match(f.id!, UUID);

    // Zed associates only through a router from the port's subnet to the external network.
    const refused = await cli(cloud, 'demo', OPENSTACK, ['floating', 'ip', 'set', '--port', 'p1', f.floating_ip_address!]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`External network ${ext.id} is not reachable from subnet ${sub1.id}\\.  Therefore, cannot associate Port ${port.id} with a Floating IP\\.`));
    await os(cloud, 'demo', 'router', 'create', 'r1');
    await os(cloud, 'demo', 'router', 'set', '--external-gateway', 'public', 'r1');
    await os(cloud, 'demo', 'router', 'add', 'subnet', 'r1', 'sub1');
    assert.equal(await os(cloud, 'demo', 'floating', 'ip', 'set', '--port', 'p1', f.floating_ip_address!), '');
    let rows = listTable(await os(cloud, 'demo', 'floating', 'ip', 'list'));
    assert.deepEqual(Object.keys(rows[0]!), ['ID', 'Floating IP Address', 'Fixed IP Address', 'Port', 'Floating Network', 'Project']);
    assert.deepEqual(rows, [{ ID: f.id, 'Floating IP Address': f.floating_ip_address, 'Fixed IP Address': '1.2.3.20', Port: port.id, 'Floating Network': ext.id, Project: f.project_id }]);

    assert.equal(fieldTable(await os(cloud, 'demo', 'floating', 'ip', 'show', f.id!)).router_id, fieldTable(await os(cloud, 'demo', 'router', 'show', 'r1')).id);

    assert.equal(await os(cloud, 'demo', 'floating', 'ip', 'unset', '--port', f.id!), '');
    rows = listTable(await os(cloud, 'demo', 'floating', 'ip', 'list'));
    assert.equal(rows[0]!.Port, 'None');
    assert.equal(rows[0]!['Fixed IP Address'], 'None');
  });

  test('openstack network agent list and show', async () => {
    const rows = listTable(await os(cloud, 'admin', 'network', 'agent', 'list'));
    assert.deepEqual(Object.keys(rows[0]!), ['ID', 'Agent Type', 'Host', 'Availability Zone', 'Alive', 'State', 'Binary']);
    assert.deepEqual(rows.map((r) => r.Host).sort(), [...cloud.cfg.DEFAULT.hosts].sort());
    for (const r of rows) {
      assert.equal(r['Agent Type'], 'Open vSwitch agent');
      assert.equal(r.Alive, ':-)');
      assert.equal(r.State, 'UP');
      assert.equal(r.Binary, 'neutron-openvswitch-agent');
      assert.equal(r['Availability Zone'], 'None');
    }
    const f = fieldTable(await os(cloud, 'admin', 'network', 'agent', 'show', rows[0]!.ID!));
    assert.deepEqual(Object.keys(f), [
      'admin_state_up', 'agent_type', 'alive', 'availability_zone', 'binary', 'configuration', 'created_at', 'description',
      'ha_state', 'host', 'id', 'last_heartbeat_at', 'resources_synced', 'started_at', 'topic',
    ]);
    assert.equal(f.host, rows[0]!.Host);
    assert.match(f.configuration!, /'integration_bridge': 'br-int'/);
    assert.match(f.last_heartbeat_at!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });
});
