/**
 * Acceptance: the compute API's admin resources through the real clients — flavors
 * (02-flavor-create.txt), services, hypervisors (with their uptime), availability zones,
 * quotas and limits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, fieldTable, listTable, NOVA, novaMissing, os, osJson, UUID } from './helpers.js';

/** The fields `openstack flavor create` printed against Zed (02-flavor-create.txt). */
const FLAVOR_FIELDS = ['OS-FLV-DISABLED:disabled', 'OS-FLV-EXT-DATA:ephemeral', 'description', 'disk', 'id', 'name', 'os-flavor-access:is_public', 'properties', 'ram', 'rxtx_factor', 'swap', 'vcpus'];

describe('acceptance: compute admin resources (openstack, nova)', { skip: novaMissing }, () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud?.stop();
  });

  test('02 openstack flavor create --ram 64 --disk 1 --vcpus 1 --public m1.anchor', async () => {
    const f = fieldTable(await os(cloud, 'admin', 'flavor', 'create', '--ram', '64', '--disk', '1', '--vcpus', '1', '--public', 'm1.anchor'));
    assert.deepEqual(Object.keys(f), FLAVOR_FIELDS);
    assert.deepEqual({ ...f, id: 'ID' }, {
      'OS-FLV-DISABLED:disabled': 'False',
      'OS-FLV-EXT-DATA:ephemeral': '0',
      description: 'None',
      disk: '1',
      id: 'ID',
      name: 'm1.anchor',
      'os-flavor-access:is_public': 'True',
      properties: '',
      ram: '64',
      rxtx_factor: '1.0',
      swap: '',
      vcpus: '1',
    });
    assert.match(f.id!, UUID);
    const denied = await cli(cloud, 'demo', '/usr/bin/openstack', ['flavor', 'create', '--ram', '64', '--disk', '1', '--vcpus', '1', 'x']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed\./);
  });

  test('flavors: the bootstrap set, private access, extra specs checked at 2.86 by nova flavor-key', async () => {
    const names = listTable(await os(cloud, 'demo', 'flavor', 'list')).map((r) => r.Name);
    for (const n of ['m1.tiny', 'm1.small', 'm1.medium', 'm1.large', 'm1.xlarge', 'm1.nano', 'm1.micro', 'm1.seed100']) assert.ok(names.includes(n), n);
    await os(cloud, 'admin', 'flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus', '1', '--private', '--project', 'demo', 'm1.private');
    assert.ok(listTable(await os(cloud, 'demo', 'flavor', 'list', '--all')).some((r) => r.Name === 'm1.private'));
    const bad = await cli(cloud, 'admin', NOVA, ['flavor-key', 'm1.private', 'set', 'hw:cpu_policy=bogus']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Validation failed; 'bogus' is not one of: dedicated, shared, mixed\. \(HTTP 400\)/);
    await os(cloud, 'admin', 'flavor', 'set', '--property', 'hw:cpu_policy=dedicated', 'm1.private');
    assert.deepEqual((await osJson(cloud, 'admin', 'flavor', 'show', 'm1.private')).properties, { 'hw:cpu_policy': 'dedicated' });
  });

  test('services, hypervisors and availability zones', async () => {
    const svcs = listTable(await os(cloud, 'admin', 'compute', 'service', 'list'));
    assert.deepEqual(Object.keys(svcs[0]!), ['ID', 'Binary', 'Host', 'Zone', 'Status', 'State', 'Updated At']);
    assert.deepEqual(svcs.map((s) => `${s.Binary}@${s.Host}:${s.Zone}:${s.State}`).sort(), ['nova-compute@compute1:nova:up', 'nova-compute@compute2:nova:up', 'nova-conductor@controller:internal:up', 'nova-scheduler@controller:internal:up']);
    await os(cloud, 'admin', 'compute', 'service', 'set', '--disable', '--disable-reason', 'maintenance', 'compute2', 'nova-compute');
    const hv = listTable(await os(cloud, 'admin', 'hypervisor', 'list'));
    assert.deepEqual(hv.map((h) => h['Hypervisor Hostname']).sort(), ['compute1', 'compute2']);
    const shown = fieldTable(await os(cloud, 'admin', 'hypervisor', 'show', 'compute1'));
    assert.equal(shown.aggregates, '[]');
    assert.equal(shown.state, 'up');
    // OSC parses the host's uptime line (it reads /os-hypervisors/{id}/uptime) into four fields.
    assert.match(shown.host_time!, /^\d\d:\d\d:\d\d$/);
    assert.match(shown.uptime!, /^\d+ min$|^ ?\d+:\d\d$/);
    assert.deepEqual([shown.users, shown.load_average], ['0', '0.00, 0.00, 0.00']);
    const zones = listTable(await os(cloud, 'demo', 'availability', 'zone', 'list', '--compute'));
    assert.deepEqual(zones, [{ 'Zone Name': 'nova', 'Zone Status': 'available' }]);
    await os(cloud, 'admin', 'compute', 'service', 'set', '--enable', 'compute2', 'nova-compute');
  });

  test('quota show, quota set and limits show', async () => {
    const q = fieldTable(await os(cloud, 'demo', 'quota', 'show'));
    assert.equal(q.instances, '10');
    assert.equal(q.cores, '20');
    assert.equal(q.ram, '51200');
    await os(cloud, 'admin', 'quota', 'set', '--instances', '5', 'demo');
    const limits = listTable(await os(cloud, 'demo', 'limits', 'show', '--absolute'));
    assert.equal(limits.find((l) => l.Name === 'maxTotalInstances')?.Value, '5');
    assert.equal(limits.find((l) => l.Name === 'totalInstancesUsed')?.Value, '0');
  });
});
