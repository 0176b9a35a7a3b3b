/**
 * Acceptance: routers through openstackclient — create, gateway on an external network,
 * a subnet interface, show, remove, delete — and neutron's refusals as the CLI prints them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, clientsMissing, fieldTable, listTable, NEUTRON, neutron, OPENSTACK, os, osJson, UUID } from './helpers.js';

describe('acceptance: routers (openstack, neutron)', { skip: clientsMissing }, () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud?.stop();
  });

  test('openstack router create, set --external-gateway, add subnet, show, remove subnet, delete', async () => {
    const ext = await osJson(cloud, 'admin', 'network', 'create', '--external', 'ext');
    const extSub = await osJson(cloud, 'admin', 'subnet', 'create', '--network', 'ext', '--subnet-range', '172.24.4.0/24', '--no-dhcp', 'ext-sub');
    await os(cloud, 'demo', 'network', 'create', 'net1');
    const sub1 = await osJson(cloud, 'demo', 'subnet', 'create', '--network', 'net1', '--subnet-range', '10.0.0.0/24', 'sub1');

    const created = fieldTable(await os(cloud, 'demo', 'router', 'create', 'r1'));
    assert.equal(created.name, 'r1');
    assert.equal(created.status, 'ACTIVE');
    assert.equal(created.admin_state_up, 'UP');
    assert.equal(created.external_gateway_info, 'null');
    assert.equal(created.routes, '');
    assert.equal(created.revision_number, '1');
    assert.match(created.id!, UUID);

    assert.equal(await os(cloud, 'demo', 'router', 'set', '--external-gateway', 'ext', 'r1'), '');
    assert.equal(await os(cloud, 'demo', 'router', 'add', 'subnet', 'r1', 'sub1'), '');

    const shown = await osJson(cloud, 'demo', 'router', 'show', 'r1');
    assert.equal(shown.external_gateway_info.network_id, ext.id);
    assert.equal(shown.external_gateway_info.enable_snat, true);
    assert.equal(shown.external_gateway_info.external_fixed_ips[0].subnet_id, extSub.id);
    // openstacksdk lists the router's ports for interfaces_info.
    assert.equal(shown.interfaces_info.length, 1);
    assert.equal(shown.interfaces_info[0].ip_address, '10.0.0.1');
    assert.equal(shown.interfaces_info[0].subnet_id, sub1.id);
    assert.equal(shown.revision_number, 3);
    // The gateway port is neutron's own (project ''): the project does not see it.
    assert.deepEqual(shown.external_gateway_info.external_fixed_ips.map((ip: any) => ip.subnet_id), [extSub.id]);

    const ports = listTable(await os(cloud, 'demo', 'port', 'list', '--router', 'r1'));
    assert.equal(ports.length, 1);
    assert.equal(ports[0]!['Fixed IP Addresses'], `ip_address='10.0.0.1', subnet_id='${sub1.id}'`);
    assert.equal(ports[0]!.Status, 'DOWN'); // no L3 agent to bring it up

    const rows = listTable(await os(cloud, 'demo', 'router', 'list'));
    assert.deepEqual(rows, [{ ID: created.id, Name: 'r1', Status: 'ACTIVE', State: 'UP', Project: created.project_id }]);

    // Deleting a router that still has an interface: neutron's RouterInUse as the CLI prints it.
    const busy = await cli(cloud, 'demo', OPENSTACK, ['router', 'delete', 'r1']);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, new RegExp(`ConflictException: 409: .*Router ${created.id} has ports still attached: ${ports[0]!.ID}`));

    // Extra routes (extraroute): the nexthop must be on a subnet the router is attached to.
    assert.equal(await os(cloud, 'demo', 'router', 'set', '--route', 'destination=192.168.0.0/24,gateway=10.0.0.10', 'r1'), '');
    assert.deepEqual((await osJson(cloud, 'demo', 'router', 'show', 'r1')).routes, [{ destination: '192.168.0.0/24', nexthop: '10.0.0.10' }]);
    const badRoute = await cli(cloud, 'demo', OPENSTACK, ['router', 'set', '--route', 'destination=192.168.1.0/24,gateway=10.99.0.1', 'r1']);
    assert.equal(badRoute.code, 1);
    // The CLI sends the new route with the ones the router has.
    assert.ok(
      badRoute.stderr.endsWith(
        "Invalid format for routes: [{'destination': '192.168.1.0/24', 'nexthop': '10.99.0.1'}, {'destination': '192.168.0.0/24', 'nexthop': '10.0.0.10'}], the nexthop is not connected with router\n",
      ),
      badRoute.stderr,
    );
    assert.match(badRoute.stderr, /^BadRequestException: 400: /);
    const inUse = await cli(cloud, 'demo', OPENSTACK, ['router', 'remove', 'subnet', 'r1', 'sub1']);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, new RegExp(`Router interface for subnet ${sub1.id} on router ${created.id} cannot be deleted, as it is required by one or more routes\\.`));
    assert.equal(await os(cloud, 'demo', 'router', 'unset', '--route', 'destination=192.168.0.0/24,gateway=10.0.0.10', 'r1'), '');
    assert.deepEqual((await osJson(cloud, 'demo', 'router', 'show', 'r1')).routes, []);

    assert.equal(await os(cloud, 'demo', 'router', 'remove', 'subnet', 'r1', 'sub1'), '');
    assert.equal((await os(cloud, 'demo', 'port', 'list', '--router', 'r1', '-f', 'value')).trim(), '');
    assert.equal(await os(cloud, 'demo', 'router', 'unset', '--external-gateway', 'r1'), '');
    assert.equal(await os(cloud, 'demo', 'router', 'delete', 'r1'), '');
    const gone = await cli(cloud, 'demo', OPENSTACK, ['router', 'show', 'r1']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No Router found for r1/);
  });

  test('neutron router-create, router-gateway-set, router-interface-add/delete, router-port-list, router-delete', async () => {
    await os(cloud, 'admin', 'network', 'create', '--external', 'ext2');
    await os(cloud, 'admin', 'subnet', 'create', '--network', 'ext2', '--subnet-range', '172.25.0.0/24', '--no-dhcp', 'ext2-sub');
    await os(cloud, 'demo', 'network', 'create', 'net2');
    const sub2 = await osJson(cloud, 'demo', 'subnet', 'create', '--network', 'net2', '--subnet-range', '10.2.0.0/24', 'sub2');
    const r = fieldTable(await neutron(cloud, 'demo', 'router-create', 'r2'));
    assert.deepEqual(Object.keys(r), [
      'admin_state_up', 'created_at', 'description', 'external_gateway_info', 'id', 'name', 'project_id', 'revision_number', 'routes', 'status', 'tags', 'tenant_id', 'updated_at',
    ]);
    assert.equal(r.admin_state_up, 'True');
    assert.equal(r.external_gateway_info, '');
    assert.equal(r.status, 'ACTIVE');
    assert.equal(await neutron(cloud, 'demo', 'router-gateway-set', 'r2', 'ext2'), 'Set gateway for router r2\n');
    const added = await neutron(cloud, 'demo', 'router-interface-add', 'r2', 'sub2');
    const portId = /^Added interface ([0-9a-f-]{36}) to router r2\.\n$/.exec(added)?.[1];
    assert.ok(portId, added);
    const ports = listTable(await neutron(cloud, 'demo', 'router-port-list', 'r2'));
    assert.deepEqual(ports.map((p) => [p.id, p.fixed_ips]), [[portId, `{"subnet_id": "${sub2.id}", "ip_address": "10.2.0.1"}`]]);
    assert.equal(await neutron(cloud, 'demo', 'router-interface-delete', 'r2', 'sub2'), 'Removed interface from router r2.\n');
    const again = await cli(cloud, 'demo', NEUTRON, ['router-interface-delete', 'r2', 'sub2']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`\\nRouter ${r.id} has no interface on subnet ${sub2.id}\\n`));
    assert.equal(await neutron(cloud, 'demo', 'router-gateway-clear', 'r2'), 'Removed gateway from router r2\n');
    assert.equal(await neutron(cloud, 'demo', 'router-delete', 'r2'), 'Deleted router(s): r2\n');
  });
});
