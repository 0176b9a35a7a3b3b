/**
 * os-quota-class-sets and per-user os-quota-sets over HTTP on the embedded cloud.
 * Expected texts are nova 26's (quota_classes.py, quota_sets.py, DbQuotaDriver).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';

let cloud: TestCloud;
let nova: string;
let demoProject: string;
before(async () => {
  cloud = await startTestCloud();
  nova = `${cloud.urls.compute}/v2.1`;
  const r = await cloud.api('demo', 'GET', `${cloud.urls.identity}/v3/auth/tokens`, undefined, { 'x-subject-token': await cloud.token('demo') });
  demoProject = r.body.token.project.id;
});
after(() => cloud.stop());

const mv = (v: string) => ({ 'openstack-api-version': `compute ${v}` });
const forbidden = (rule: string) => ({ forbidden: { code: 403, message: `Policy doesn't allow ${rule} to be performed.` } });

test('os-quota-class-sets: keys per microversion, admin only', async () => {
  const v21 = await cloud.api('admin', 'GET', `${nova}/os-quota-class-sets/default`);
  assert.equal(v21.status, 200);
  assert.deepEqual(v21.body, {
    quota_class_set: {
      id: 'default', cores: 20, fixed_ips: -1, floating_ips: -1, injected_file_content_bytes: 10240, injected_file_path_bytes: 255, injected_files: 5,
      instances: 10, key_pairs: 100, metadata_items: 128, ram: 51200, security_group_rules: -1, security_groups: -1,
    },
  });
  assert.deepEqual(Object.keys((await cloud.api('admin', 'GET', `${nova}/os-quota-class-sets/default`, undefined, mv('2.50'))).body.quota_class_set), [
    'id', 'cores', 'injected_file_content_bytes', 'injected_file_path_bytes', 'injected_files', 'instances', 'key_pairs', 'metadata_items', 'ram', 'server_group_members', 'server_groups',
  ]);
  assert.deepEqual(Object.keys((await cloud.api('admin', 'GET', `${nova}/os-quota-class-sets/anything`, undefined, mv('2.57'))).body.quota_class_set), [
    'id', 'cores', 'instances', 'key_pairs', 'metadata_items', 'ram', 'server_group_members', 'server_groups',
  ]);
  const demo = await cloud.api('demo', 'GET', `${nova}/os-quota-class-sets/default`);
  assert.equal(demo.status, 403);
  assert.deepEqual(demo.body, forbidden('os_compute_api:os-quota-class-sets:show'));
  const demoPut = await cloud.api('demo', 'PUT', `${nova}/os-quota-class-sets/default`, { quota_class_set: { cores: 1 } });
  assert.deepEqual(demoPut.body, forbidden('os_compute_api:os-quota-class-sets:update'));
});

test('os-quota-class-sets update: the default class changes every project\'s defaults', async () => {
  const up = await cloud.api('admin', 'PUT', `${nova}/os-quota-class-sets/default`, { quota_class_set: { cores: '120', fixed_ips: 99, server_groups: 11 } });
  assert.equal(up.status, 200);
  assert.equal(up.body.quota_class_set.id, undefined);
  assert.equal(up.body.quota_class_set.cores, 120);
  assert.equal(up.body.quota_class_set.fixed_ips, 99);
  assert.equal(up.body.quota_class_set.server_groups, undefined);
  assert.equal((await cloud.api('admin', 'GET', `${nova}/os-quota-class-sets/default`, undefined, mv('2.50'))).body.quota_class_set.server_groups, 11);
  assert.equal((await cloud.api('demo', 'GET', `${nova}/os-quota-sets/${demoProject}/defaults`)).body.quota_set.cores, 120);
  assert.equal((await cloud.api('demo', 'GET', `${nova}/os-quota-sets/${demoProject}`)).body.quota_set.cores, 120);
  // Another class keeps its own values; the configured ones otherwise.
  assert.equal((await cloud.api('admin', 'GET', `${nova}/os-quota-class-sets/gold`)).body.quota_class_set.cores, 20);

  const v257 = await cloud.api('admin', 'PUT', `${nova}/os-quota-class-sets/default`, { quota_class_set: { injected_files: 1 } }, mv('2.57'));
  assert.equal(v257.status, 400);
  assert.deepEqual(v257.body, {
    badRequest: { code: 400, message: "Invalid input for field/attribute quota_class_set. Value: {'injected_files': 1}. Additional properties are not allowed ('injected_files' was unexpected)" },
  });
  const long = await cloud.api('admin', 'PUT', `${nova}/os-quota-class-sets/${'x'.repeat(256)}`, { quota_class_set: { cores: 1 } });
  assert.deepEqual(long.body, { badRequest: { code: 400, message: 'quota_class_name has 256 characters, more than 255.' } });
  await cloud.api('admin', 'PUT', `${nova}/os-quota-class-sets/default`, { quota_class_set: { cores: 20, fixed_ips: -1, server_groups: 10 } });
});

test('os-quota-sets ?user_id=: a user\'s own limits within the project\'s', async () => {
  const base = `${nova}/os-quota-sets/${demoProject}`;
  assert.equal((await cloud.api('admin', 'PUT', base, { quota_set: { ram: '5120' } })).body.quota_set.ram, 5120);
  const up = await cloud.api('admin', 'PUT', `${base}?user_id=u-1`, { quota_set: { ram: '2048' } }, mv('2.57'));
  assert.equal(up.status, 200);
  assert.deepEqual(up.body, { quota_set: { cores: 20, instances: 10, key_pairs: 100, metadata_items: 128, ram: 2048, server_group_members: 10, server_groups: 10 } });
  assert.equal((await cloud.api('admin', 'GET', `${base}?user_id=u-1`)).body.quota_set.ram, 2048);
  assert.equal((await cloud.api('admin', 'GET', base)).body.quota_set.ram, 5120);
  assert.deepEqual((await cloud.api('admin', 'GET', `${base}/detail?user_id=u-1`)).body.quota_set.ram, { limit: 2048, in_use: 0, reserved: 0 });
  // A user gets at most what the project has not given its users, plus the user's own.
  const over = await cloud.api('admin', 'PUT', `${base}?user_id=u-2`, { quota_set: { ram: 4000 } });
  assert.equal(over.status, 400);
  assert.deepEqual(over.body, { badRequest: { code: 400, message: 'Quota limit 4000 for ram must be less than or equal to 3072.' } });
  assert.equal((await cloud.api('admin', 'PUT', `${base}?user_id=u-1`, { quota_set: { ram: 5120 } })).status, 200);
  // The project cannot drop below what its users were given.
  const low = await cloud.api('admin', 'PUT', base, { quota_set: { ram: 1024 } });
  assert.deepEqual(low.body, { badRequest: { code: 400, message: 'Quota limit 1024 for ram must be greater than or equal to already used and reserved 5120.' } });
  // Deleting a user's quotas leaves the project's.
  assert.equal((await cloud.api('admin', 'DELETE', `${base}?user_id=u-1`)).status, 202);
  assert.equal((await cloud.api('admin', 'GET', `${base}?user_id=u-1`)).body.quota_set.ram, 5120);
  assert.equal((await cloud.api('admin', 'GET', base)).body.quota_set.ram, 5120);
  // Deleting the project's forgets its users' too.
  await cloud.api('admin', 'PUT', `${base}?user_id=u-1`, { quota_set: { cores: 3 } });
  assert.equal((await cloud.api('admin', 'DELETE', base)).status, 202);
  assert.equal((await cloud.api('admin', 'GET', `${base}?user_id=u-1`)).body.quota_set.cores, 20);
  assert.equal((await cloud.api('admin', 'GET', base)).body.quota_set.ram, 51200);
});

test("a boot is checked against the user's own limits too (check_num_instances_quota)", async () => {
  const base = `${nova}/os-quota-sets/${demoProject}`;
  const t = await cloud.api('demo', 'GET', `${cloud.urls.identity}/v3/auth/tokens`, undefined, { 'x-subject-token': await cloud.token('demo') });
  const demoUser = t.body.token.user.id as string;
  const net = await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'qnet' } });
  await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: net.body.network.id, cidr: '10.9.0.0/24', ip_version: 4 } });
  const imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  const server = (extra: Record<string, unknown>) => ({ server: { name: 'vm', flavorRef: '100', imageRef: imageId, networks: [{ uuid: net.body.network.id }], ...extra } });
  try {
    assert.equal((await cloud.api('admin', 'PUT', `${base}?user_id=${demoUser}`, { quota_set: { instances: 2 } })).status, 200);
    const r = await cloud.api('demo', 'POST', `${nova}/servers`, server({ min_count: 3 }));
    assert.equal(r.status, 403);
    assert.deepEqual(r.body, { forbidden: { code: 403, message: 'Quota exceeded for instances: Requested 3, but already used 0 of 2 instances' } });
    // Another user's limits do not apply to demo.
    await cloud.api('admin', 'DELETE', `${base}?user_id=${demoUser}`);
    await cloud.api('admin', 'PUT', `${base}?user_id=someone-else`, { quota_set: { instances: 1 } });
    await cloud.api('admin', 'PUT', base, { quota_set: { instances: 2 } });
    const p = await cloud.api('demo', 'POST', `${nova}/servers`, server({ min_count: 3 }));
    assert.deepEqual(p.body, { forbidden: { code: 403, message: 'Quota exceeded for instances: Requested 3, but already used 0 of 2 instances' } });
  } finally {
    await cloud.api('admin', 'DELETE', base);
  }
});
