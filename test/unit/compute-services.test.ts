/** ServiceStore (services and compute nodes) and the quota engine, with a fake clock. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import { loadConfig } from '../../src/common/config.js';
import { migrate, openDatabase, type Db } from '../../src/db/database.js';
import { novaMigrations } from '../../src/compute/db/migrations.js';
import type { NovaDB } from '../../src/compute/db/schema.js';
import { ComputeHostNotFound, HostBinaryNotFound, ServiceNotFound } from '../../src/compute/errors.js';
import { QuotaEngine } from '../../src/compute/objects/quotas.js';
import { ServiceStore } from '../../src/compute/objects/services.js';

let db: Db<NovaDB>;
let clock: FakeClock;
let store: ServiceStore;

before(async () => {
  db = openDatabase<NovaDB>('sqlite://:memory:');
  await migrate(db.kysely as never, novaMigrations, 'nova');
  clock = new FakeClock();
  store = new ServiceStore(db.kysely, { clock, random: seededRandom(3), serviceDownTimeS: 60 });
});
after(() => db.close());

const NODE = { hypervisor_type: 'QEMU', hypervisor_version: 7002000, host_ip: '10.0.0.1', vcpus: 8, memory_mb: 8192, local_gb: 100, cpu_info: '{}' };

test('register creates once and revives the same row; an operator\'s disable survives a restart', async () => {
  const a = await store.register('c1', 'nova-compute', 'compute');
  assert.equal(a.report_count, 0);
  assert.equal(a.last_seen_up, null);
  await store.update(a.id, { disabled: true, disabledReason: 'maintenance' });
  const b = await store.register('c1', 'nova-compute', 'compute');
  assert.equal(b.id, a.id);
  assert.equal(b.uuid, a.uuid);
  assert.equal(b.disabled, 1);
  assert.equal(b.disabled_reason, 'maintenance');
  await store.update(a.uuid, { disabled: false, disabledReason: null });
});

test('up until service_down_time passes without a heartbeat; forced_down is always down', async () => {
  const s = await store.register('c2', 'nova-compute', 'compute');
  assert.equal(store.isUp(s), true, 'a new service counts from its creation');
  await clock.advance(60_000);
  assert.equal(store.isUp(await store.get(s.id)), true);
  await clock.advance(1);
  assert.equal(store.isUp(await store.get(s.id)), false);
  const beat = await store.heartbeat(s.id);
  assert.equal(beat.report_count, 1);
  assert.equal(beat.last_seen_up, beat.updated_at);
  assert.equal(store.isUp(beat), true);
  const forced = await store.update(s.id, { forcedDown: true });
  assert.equal(store.isUp(forced), false);
  await store.update(s.id, { forcedDown: false });
  await assert.rejects(store.heartbeat(9999), { constructor: ServiceNotFound, message: 'Service 9999 could not be found.' });
});

test('lookups say what is missing in nova\'s words', async () => {
  await assert.rejects(store.getByHostAndBinary('c1', 'nova-conductor'), { constructor: HostBinaryNotFound, message: 'Could not find binary nova-conductor on host c1.' });
  await assert.rejects(store.getComputeByHost('nohost'), { constructor: ComputeHostNotFound, message: 'Compute host nohost could not be found.' });
  assert.deepEqual((await store.list({ binary: 'nova-compute' })).map((s) => s.host), ['c1', 'c2']);
});

test('compute nodes: upsert keeps the usage, updateUsage needs a node, deleting the service takes the node', async () => {
  const n = await store.upsertComputeNode('c1', NODE);
  assert.equal(n.hypervisor_hostname, 'c1');
  await store.updateUsage('c1', { vcpus_used: 2, memory_mb_used: 1024, local_gb_used: 10, running_vms: 2 });
  const again = await store.upsertComputeNode('c1', { ...NODE, vcpus: 16 });
  assert.equal(again.uuid, n.uuid);
  assert.deepEqual([again.vcpus, again.vcpus_used, again.running_vms], [16, 2, 2]);
  await assert.rejects(store.updateUsage('nohost', { vcpus_used: 0, memory_mb_used: 0, local_gb_used: 0, running_vms: 0 }), ComputeHostNotFound);
  await store.upsertComputeNode('c2', NODE);
  assert.deepEqual((await store.searchComputeNodes('C2')).map((x) => x.host), ['c2']);
  assert.deepEqual((await store.listComputeNodes({ marker: n })).map((x) => x.host), ['c2']);
  const c2 = await store.getByHostAndBinary('c2', 'nova-compute');
  await store.delete(c2.uuid);
  assert.equal(await store.findComputeNode('c2'), null);
  assert.deepEqual((await store.listComputeNodes()).map((x) => x.host), ['c1']);
});

test('quotas: configured defaults, a project\'s own limits, usage from live instances only', async () => {
  const q = new QuotaEngine(db.kysely, loadConfig({ overrides: { compute: { quota_instances: 3 } } }));
  assert.equal((await q.defaults()).instances, 3);
  assert.equal((await q.defaults()).security_groups, -1);
  const flavor = JSON.stringify({ vcpus: 2, memory_mb: 512 });
  const base = { project_id: 'p', auto_disk_config: 0, display_name: 'v', display_description: null, hostname: 'v', host: null, node: null, launched_on: null, availability_zone: null, vm_state: 'active', task_state: null, power_state: 1, image_ref: 'i', flavor, key_name: null, user_data: null, metadata: '{}', system_metadata: '{}', requested_networks: '[]', security_groups: '[]', tags: '[]', config_drive: '', access_ip_v4: null, access_ip_v6: null, reservation_id: 'r', launch_index: 0, vcpus: 2, memory_mb: 512, root_gb: 1, ephemeral_gb: 0, root_device_name: null, locked: 0, locked_by: null, locked_reason: null, progress: 0, launched_at: null, terminated_at: null, created_at: 'x', updated_at: null, deleted_at: null };
  await db.kysely.insertInto('instances').values([
    { ...base, uuid: 'a', user_id: 'u1', deleted: 0 },
    { ...base, uuid: 'b', user_id: 'u2', deleted: 0 },
    { ...base, uuid: 'c', user_id: 'u1', deleted: 3 },
  ]).execute();
  const used = await q.projectQuotas('p', { usages: true });
  assert.deepEqual([used.instances, used.cores, used.ram, used.key_pairs], [{ limit: 3, in_use: 2 }, { limit: 20, in_use: 4 }, { limit: 51200, in_use: 1024 }, { limit: 100, in_use: 0 }]);
  assert.equal((await q.projectQuotas('p', { usages: true, userId: 'u1' })).instances.in_use, 1);
  await q.setLimit('p', 'instances', 7);
  await q.setLimit('p', 'instances', 8);
  assert.equal((await q.projectQuotas('p')).instances.limit, 8);
  await q.destroyAllByProject('p');
  assert.equal((await q.projectQuotas('p')).instances.limit, 3);
});
