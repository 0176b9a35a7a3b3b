/**
 * Acceptance: subnet pools through openstackclient — create, list, show, set (name,
 * prefixes, bounds, tags), subnets allocated from a pool with and without a prefix
 * length, delete — and neutron's refusals as the CLI prints them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, clientsMissing, fieldTable, listTable, OPENSTACK, os, osJson, UUID } from './helpers.js';

describe('acceptance: subnet pools (openstack)', { skip: clientsMissing }, () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud?.stop();
  });

  test('openstack subnet pool create, list, show, set, subnet create --subnet-pool, delete', async () => {
    const created = fieldTable(await os(cloud, 'demo', 'subnet', 'pool', 'create', '--pool-prefix', '10.8.0.0/16', '--pool-prefix', '10.9.0.0/16', '--default-prefix-length', '24', 'p1'));
    assert.match(created.id!, UUID);
    assert.equal(created.name, 'p1');
    assert.equal(created.prefixes, '10.8.0.0/15');
    assert.equal(created.default_prefixlen, '24');
    assert.equal(created.min_prefixlen, '8');
    assert.equal(created.max_prefixlen, '32');
    assert.equal(created.ip_version, '4');
    assert.equal(created.is_default, 'False');
    assert.equal(created.shared, 'False');
    assert.equal(created.address_scope_id, 'None');

    const rows = listTable(await os(cloud, 'demo', 'subnet', 'pool', 'list'));
    assert.deepEqual(rows, [{ ID: created.id, Name: 'p1', Prefixes: '10.8.0.0/15' }]);

    assert.equal(await os(cloud, 'demo', 'subnet', 'pool', 'set', '--name', 'p2', '--pool-prefix', '10.10.0.0/16', '--max-prefix-length', '28', '--tag', 'blue', 'p1'), '');
    const shown = await osJson(cloud, 'demo', 'subnet', 'pool', 'show', 'p2');
    assert.deepEqual(shown.prefixes, ['10.8.0.0/15', '10.10.0.0/16']);
    assert.equal(shown.max_prefixlen, 28); // openstacksdk's SubnetPool types it int
    assert.deepEqual(shown.tags, ['blue']);

    await os(cloud, 'demo', 'network', 'create', 'net1');
    const any = await osJson(cloud, 'demo', 'subnet', 'create', '--network', 'net1', '--subnet-pool', 'p2', 'sub-any');
    // The allocator takes the smallest free prefix first: the /16, not the /15.
    assert.equal(any.cidr, '10.10.0.0/24');
    assert.equal(any.subnetpool_id, created.id);
    assert.equal(any.gateway_ip, '10.10.0.1');
    const sized = await osJson(cloud, 'demo', 'subnet', 'create', '--network', 'net1', '--subnet-pool', 'p2', '--prefix-length', '26', 'sub-26');
    assert.equal(sized.cidr, '10.10.1.0/26');
    const given = await osJson(cloud, 'demo', 'subnet', 'create', '--network', 'net1', '--subnet-pool', 'p2', '--subnet-range', '10.10.5.0/24', 'sub-given');
    assert.equal(given.cidr, '10.10.5.0/24');

    const tooSmall = await cli(cloud, 'demo', OPENSTACK, ['subnet', 'create', '--network', 'net1', '--subnet-pool', 'p2', '--prefix-length', '29', 'sub-29']);
    assert.equal(tooSmall.code, 1);
    assert.match(tooSmall.stderr, /BadRequestException: 400: .*Unable to allocate subnet with prefix length 29, maximum allowed prefix is 28\./);

    const inUse = await cli(cloud, 'demo', OPENSTACK, ['subnet', 'pool', 'delete', 'p2']);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /Unable to delete subnet pool: Subnet pool has existing allocations\./);
    for (const s of ['sub-any', 'sub-26', 'sub-given']) assert.equal(await os(cloud, 'demo', 'subnet', 'delete', s), '');
    assert.equal(await os(cloud, 'demo', 'subnet', 'pool', 'delete', 'p2'), '');
    const gone = await cli(cloud, 'demo', OPENSTACK, ['subnet', 'pool', 'show', 'p2']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No SubnetPool found for p2/);
  });

  test('shared and default pools are the admin’s; --use-default-subnet-pool', async () => {
    const refused = await cli(cloud, 'demo', OPENSTACK, ['subnet', 'pool', 'create', '--pool-prefix', '10.20.0.0/16', '--share', 'sh']);
    assert.equal(refused.code, 1);
    // openstacksdk raises a bare HttpException for this 403.
    assert.match(refused.stderr, /^HttpException: 403: .*\(rule:create_subnetpool and rule:create_subnetpool:shared\) is disallowed by policy/);
    const def = await osJson(cloud, 'admin', 'subnet', 'pool', 'create', '--pool-prefix', '10.30.0.0/16', '--default-prefix-length', '25', '--share', '--default', 'def');
    assert.equal(def.is_default, true);
    assert.equal(def.shared, true);
    await os(cloud, 'demo', 'network', 'create', 'net2');
    const s = await osJson(cloud, 'demo', 'subnet', 'create', '--network', 'net2', '--use-default-subnet-pool', 'sub-def');
    assert.equal(s.cidr, '10.30.0.0/25');
    assert.equal(s.subnetpool_id, def.id);
  });
});
