/**
 * Acceptance: ports through `neutron port-*` and `openstack port *`, binding by an
 * admin, and the error outputs of the clients.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, clientsMissing, fieldTable, listTable, MAC, NEUTRON, neutron, OPENSTACK, os, osJson, parseTable, PROJECT_ID, TIME, UUID, ZED } from './helpers.js';

describe('acceptance: ports (neutron, openstack)', { skip: clientsMissing }, () => {
  let cloud: TestCloud;
  let subnetId: string;
  let p1: string;
  before(async () => {
    cloud = await startTestCloud();
    await os(cloud, 'demo', 'network', 'create', 'net1');
    subnetId = (await osJson(cloud, 'demo', 'subnet', 'create', '--network', 'net1', '--subnet-range', '1.2.3.0/24', 'sub1')).id;
  });
  after(async () => {
    await cloud?.stop();
  });

  test('neutron port-create NET --fixed-ip ip_address=1.2.3.20 prints the table of 10', async () => {
    const out = await neutron(cloud, 'demo', 'port-create', 'net1', '--fixed-ip', 'ip_address=1.2.3.20', '--name', 'p1');
    assert.match(out, /^Created a new port:\n/);
    const f = fieldTable(out);
    assert.deepEqual(Object.keys(f), ZED.neutronPortCreateDemo);
    assert.equal(f.admin_state_up, 'True');
    assert.equal(f.allowed_address_pairs, '');
    assert.equal(f['binding:vnic_type'], 'normal');
    assert.equal(f.device_id, '');
    assert.equal(f.fixed_ips, `{"subnet_id": "${subnetId}", "ip_address": "1.2.3.20"}`);
    assert.match(f.id!, UUID);
    assert.match(f.mac_address!, MAC);
    assert.equal(f.name, 'p1');
    assert.equal(f.port_security_enabled, 'True');
    assert.match(f.project_id!, PROJECT_ID);
    assert.equal(f.tenant_id, f.project_id);
    assert.equal(f.revision_number, '1');
    assert.match(f.security_groups!, UUID);
    assert.equal(f.status, 'DOWN');
    assert.match(f.created_at!, TIME);
    p1 = f.id!;
  });

  test('the same fixed IP a second time: conflict message of 54', async () => {
    const r = await cli(cloud, 'demo', NEUTRON, ['port-create', 'net1', '--fixed-ip', 'ip_address=1.2.3.20']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, ZED.neutronIpInUse.length, r.stderr);
    lines.forEach((l, i) => assert.match(l, ZED.neutronIpInUse[i]!));
    assert.ok(lines[1]!.endsWith(subnetId));
  });

  test('neutron port-create as admin prints the binding fields of 05', async () => {
    const f = fieldTable(await neutron(cloud, 'admin', 'port-create', 'net1', '--name', 'adminport'));
    assert.deepEqual(Object.keys(f), ZED.neutronPortCreateAdmin);
    assert.equal(f['binding:host_id'], '');
    assert.equal(f['binding:profile'], '{}');
    assert.equal(f['binding:vif_details'], '{}');
    assert.equal(f['binding:vif_type'], 'unbound');
    await neutron(cloud, 'admin', 'port-delete', f.id!);
  });

  test('neutron port-list, port-show, port-update', async () => {
    const t = parseTable(await neutron(cloud, 'demo', 'port-list'));
    assert.deepEqual(t.header, ZED.neutronPortList);
    assert.equal(t.rows.length, 1);
    assert.deepEqual(t.rows[0]!.slice(0, 2), [p1, 'p1']);
    assert.equal(t.rows[0]![3], `{"subnet_id": "${subnetId}", "ip_address": "1.2.3.20"}`);
    const show = fieldTable(await neutron(cloud, 'demo', 'port-show', 'p1'));
    assert.deepEqual(Object.keys(show), ZED.neutronPortCreateDemo);
    assert.equal(show.id, p1);
    const upd = await neutron(cloud, 'demo', 'port-update', 'p1', '--description', 'first port');
    assert.equal(upd.trim(), `Updated port: p1`);
    const after = fieldTable(await neutron(cloud, 'demo', 'port-show', p1));
    assert.equal(after.description, 'first port');
    assert.equal(after.revision_number, '2');
  });

  test('openstack port show -f json has the keys of 11 (demo, unbound)', async () => {
    const p = await osJson(cloud, 'demo', 'port', 'show', 'p1');
    assert.deepEqual(Object.keys(p), ZED.openstackPortShow);
    assert.equal(p.binding_host_id, null);
    assert.equal(p.binding_vif_type, null);
    assert.equal(p.binding_vnic_type, 'normal');
    assert.deepEqual(p.fixed_ips, [{ subnet_id: subnetId, ip_address: '1.2.3.20' }]);
    assert.equal(p.status, 'DOWN');
    assert.equal(p.device_owner, '');
  });

  test('openstack port create, list, set, unset, show (table), delete', async () => {
    const c = fieldTable(await os(cloud, 'demo', 'port', 'create', '--network', 'net1', '--fixed-ip', 'ip-address=1.2.3.21', 'p2'));
    assert.deepEqual(Object.keys(c), ZED.openstackPortShow);
    assert.equal(c.fixed_ips, `ip_address='1.2.3.21', subnet_id='${subnetId}'`);
    assert.equal(c.admin_state_up, 'UP');
    assert.equal(c.binding_vif_type, 'None');

    const rows = listTable(await os(cloud, 'demo', 'port', 'list'));
    assert.deepEqual(Object.keys(rows[0]!), ['ID', 'Name', 'MAC Address', 'Fixed IP Addresses', 'Status']);
    assert.deepEqual(rows.map((r) => r.Name).sort(), ['p1', 'p2']);
    const p2row = rows.find((r) => r.Name === 'p2')!;
    assert.equal(p2row.ID, c.id);
    assert.equal(p2row['Fixed IP Addresses'], `ip_address='1.2.3.21', subnet_id='${subnetId}'`);
    assert.equal(p2row.Status, 'DOWN');

    assert.equal(await os(cloud, 'demo', 'port', 'set', '--name', 'p2b', '--description', 'd', '--disable', 'p2'), '');
    let s = await osJson(cloud, 'demo', 'port', 'show', 'p2b');
    assert.equal(s.description, 'd');
    assert.equal(s.admin_state_up, false);

    assert.equal(await os(cloud, 'demo', 'port', 'unset', '--security-group', 'default', 'p2b'), '');
    s = await osJson(cloud, 'demo', 'port', 'show', 'p2b');
    assert.deepEqual(s.security_group_ids, []);

    assert.equal(await os(cloud, 'demo', 'port', 'delete', 'p2b'), '');
    const gone = await cli(cloud, 'demo', OPENSTACK, ['port', 'show', c.id!]);
    assert.equal(gone.code, 1);
  });

  test('openstack port set/unset --tag', async () => {
    assert.equal(await os(cloud, 'demo', 'port', 'set', '--tag', 'blue', 'p1'), '');
    assert.deepEqual((await osJson(cloud, 'demo', 'port', 'show', 'p1')).tags, ['blue']);
    assert.equal(await os(cloud, 'demo', 'port', 'unset', '--tag', 'blue', 'p1'), '');
    assert.deepEqual((await osJson(cloud, 'demo', 'port', 'show', 'p1')).tags, []);
  });

  test('openstack port create --tag, port list --tags / --any-tags / --not-tags', async () => {
    const created = await osJson(cloud, 'demo', 'port', 'create', '--network', 'net1', '--tag', 'red', '--tag', 'green', 'ptag');
    assert.deepEqual([...created.tags].sort(), ['green', 'red']);
    const names = async (...args: string[]) => (JSON.parse(await os(cloud, 'demo', 'port', 'list', '-f', 'json', ...args)) as { Name: string }[]).map((p) => p.Name).sort();
    assert.deepEqual(await names('--tags', 'red,green'), ['ptag']);
    assert.deepEqual(await names('--any-tags', 'green,nope'), ['ptag']);
    assert.ok(!(await names('--not-tags', 'red')).includes('ptag'));
    assert.equal(await os(cloud, 'demo', 'port', 'set', '--no-tag', '--tag', 'solo', 'ptag'), '');
    assert.deepEqual((await osJson(cloud, 'demo', 'port', 'show', 'ptag')).tags, ['solo']);
    assert.equal(await os(cloud, 'demo', 'port', 'delete', 'ptag'), '');
  });

  test('openstack network set --tag, network list --tags / --not-tags-any, network unset --all-tag', async () => {
    assert.equal(await os(cloud, 'demo', 'network', 'set', '--tag', 'x', '--tag', 'y', 'net1'), '');
    assert.deepEqual((await osJson(cloud, 'demo', 'network', 'show', 'net1')).tags, ['x', 'y']);
    const names = async (...args: string[]) => (JSON.parse(await os(cloud, 'demo', 'network', 'list', '-f', 'json', ...args)) as { Name: string }[]).map((x) => x.Name);
    assert.deepEqual(await names('--tags', 'x'), ['net1']);
    assert.deepEqual(await names('--tags', 'x,nope'), []);
    assert.ok(!(await names('--not-any-tags', 'y')).includes('net1'));
    const table = parseTable(await os(cloud, 'demo', 'network', 'list', '--tags', 'x', '--long'));
    assert.equal(table.rows.length, 1);
    assert.equal(await os(cloud, 'demo', 'network', 'unset', '--all-tag', 'net1'), '');
    assert.deepEqual((await osJson(cloud, 'demo', 'network', 'show', 'net1')).tags, []);
  });

  test('openstack port show nonexistent: error text', async () => {
    const r = await cli(cloud, 'demo', OPENSTACK, ['port', 'show', 'nonexistent']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'No Port found for nonexistent\n');
  });

  test('openstack port set --host compute1 as admin binds to ovs (18b keys)', async () => {
    assert.equal(await os(cloud, 'admin', 'port', 'set', '--host', 'compute1', p1), '');
    const p = await osJson(cloud, 'admin', 'port', 'show', p1);
    assert.deepEqual(Object.keys(p), ZED.openstackPortShow);
    assert.equal(p.binding_host_id, 'compute1');
    assert.equal(p.binding_vif_type, 'ovs');
    assert.deepEqual(Object.keys(p.binding_vif_details), ZED.ovsVifDetailsKeys);
    assert.equal(p.binding_vif_details.bridge_name, 'br-int');
    const t = fieldTable(await os(cloud, 'admin', 'port', 'show', p1, '-c', 'binding_vif_type', '-c', 'binding_host_id'));
    assert.deepEqual(t, { binding_host_id: 'compute1', binding_vif_type: 'ovs' });
    // The demo owner sees no binding attributes (11/18 demo view: null).
    const d = await osJson(cloud, 'demo', 'port', 'show', p1);
    assert.equal(d.binding_vif_type, null);
    assert.equal(d.binding_host_id, null);
  });

  test('openstack port unset --host unbinds (binding:host_id null)', async () => {
    assert.equal(await os(cloud, 'admin', 'port', 'unset', '--host', p1), '');
    const p = await osJson(cloud, 'admin', 'port', 'show', p1);
    assert.equal(p.binding_vif_type, 'unbound');
  });
});
