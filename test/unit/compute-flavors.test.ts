/** FlavorStore and getFlavorForBoot over an in-memory nova database. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import { migrate, openDatabase, type Db } from '../../src/db/database.js';
import { novaMigrations } from '../../src/compute/db/migrations.js';
import type { NovaDB } from '../../src/compute/db/schema.js';
import { FlavorExists, FlavorIdExists, FlavorNotFound, MarkerNotFound } from '../../src/compute/errors.js';
import { DEFAULT_FLAVORS, FlavorStore, bootstrapFlavors, getFlavorForBoot, idFromHref } from '../../src/compute/objects/flavors.js';

let db: Db<NovaDB>;
let store: FlavorStore;
const admin = { projectId: 'p-admin', isAdmin: true };
const demo = { projectId: 'p-demo', isAdmin: false };

before(async () => {
  db = openDatabase<NovaDB>('sqlite://:memory:');
  await migrate(db.kysely as never, novaMigrations, 'nova');
  const clock = new FakeClock();
  await bootstrapFlavors(db.kysely, clock);
  store = new FlavorStore(db.kysely, { clock, random: seededRandom(1) });
});
after(() => db.close());

test('bootstrap: devstack\'s flavors and the seed\'s "100", once', async () => {
  const all = await store.list(admin, { isPublic: null });
  assert.deepEqual(all.map((f) => f.flavorid), ['1', '100', '2', '3', '4', '42', '5', '84']);
  const seed = await store.get('100');
  assert.deepEqual([seed.name, seed.vcpus, seed.memory_mb, seed.root_gb], ['m1.seed100', 1, 64, 1]);
  const tiny = await store.get('1');
  assert.deepEqual([tiny.memory_mb, tiny.root_gb, tiny.vcpus, tiny.extra_specs], [512, 1, 1, { 'hw_rng:allowed': 'True' }]);
  await store.destroy('5');
  await bootstrapFlavors(db.kysely, new FakeClock());
  await assert.rejects(store.get('5'), FlavorNotFound);
  await store.create(DEFAULT_FLAVORS.find((f) => f.flavorid === '5')!);
});

test('create: generated ids, stripped names, nova\'s duplicate errors', async () => {
  const f = await store.create({ name: '  spaced  ', memory_mb: 1, vcpus: 1, root_gb: 0 });
  assert.equal(f.name, 'spaced');
  assert.match(f.flavorid, /^[0-9a-f-]{36}$/);
  await assert.rejects(store.create({ name: 'spaced', memory_mb: 1, vcpus: 1, root_gb: 0 }), { constructor: FlavorExists, message: 'Flavor with name spaced already exists.' });
  await assert.rejects(store.create({ name: 'new', flavorid: '1', memory_mb: 1, vcpus: 1, root_gb: 0 }), { constructor: FlavorIdExists, message: 'Flavor with ID 1 already exists.' });
});

test('private flavors are seen by admins and the projects given access', async () => {
  const p = await store.create({ name: 'priv', flavorid: 'priv', memory_mb: 1, vcpus: 1, root_gb: 0, is_public: false });
  await assert.rejects(store.get('priv', demo), FlavorNotFound);
  assert.equal((await store.get('priv', admin)).flavorid, 'priv');
  await store.addAccess(p, 'p-demo');
  assert.equal((await store.get('priv', demo)).flavorid, 'priv');
  assert.ok((await store.list(demo, { isPublic: true })).some((f) => f.flavorid === 'priv'));
  assert.deepEqual((await store.list(admin, { isPublic: false })).map((f) => f.flavorid), ['priv']);
  assert.deepEqual(await store.removeAccess(p, 'p-demo'), []);
});

test('list: sort key then id, both in the sort direction; the marker is a flavorid', async () => {
  const byRamDesc = await store.list(admin, { sortKey: 'memory_mb', sortDir: 'desc', limit: 3 });
  assert.deepEqual(byRamDesc.map((f) => f.name), ['m1.xlarge', 'm1.large', 'm1.medium']);
  const next = await store.list(admin, { sortKey: 'memory_mb', sortDir: 'desc', limit: 3, marker: byRamDesc[2]!.flavorid });
  assert.deepEqual(next.map((f) => f.name), ['m1.small', 'm1.tiny', 'm1.micro']);
  // Ties on the sort key continue by id.
  const ones = await store.list(admin, { sortKey: 'vcpus', minMemoryMb: 64 });
  const afterFirst = await store.list(admin, { sortKey: 'vcpus', minMemoryMb: 64, marker: ones[0]!.flavorid });
  assert.deepEqual(afterFirst.map((f) => f.flavorid), ones.slice(1).map((f) => f.flavorid));
  await assert.rejects(store.list(demo, { marker: 'priv' }), MarkerNotFound);
  assert.deepEqual((await store.list(admin, { minRootGb: 80 })).map((f) => f.name), ['m1.large', 'm1.xlarge']);
});

test('extra specs merge, delete, and say which key is missing', async () => {
  await store.setExtraSpecs('2', { a: '1' });
  await store.setExtraSpecs('2', { b: '2', a: '3' });
  assert.deepEqual((await store.get('2')).extra_specs, { 'hw_rng:allowed': 'True', a: '3', b: '2' });
  await store.deleteExtraSpec('2', 'a');
  await assert.rejects(store.deleteExtraSpec('2', 'a'), { message: 'Flavor 2 has no extra specs with key a.' });
});

test('getFlavorForBoot: ids or links, visibility, disabled flavors named by internal id', async () => {
  const f = await getFlavorForBoot(db.kysely, 'http://nova.test:8774/v2.1/flavors/100', demo);
  assert.deepEqual(f, { id: f.id, flavorid: '100', name: 'm1.seed100', memory_mb: 64, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0, rxtx_factor: 1, vcpu_weight: null, is_public: true, description: null, extra_specs: {} });
  assert.equal((await getFlavorForBoot(db.kysely, 1, demo)).name, 'm1.tiny');
  await assert.rejects(getFlavorForBoot(db.kysely, 'priv', demo), { constructor: FlavorNotFound, message: 'Flavor priv could not be found.' });
  const row = await db.kysely.updateTable('flavors').set({ disabled: 1 }).where('flavorid', '=', '84').returning('id').executeTakeFirstOrThrow();
  await assert.rejects(getFlavorForBoot(db.kysely, '84', admin), { message: `Flavor ${row.id} could not be found.` });
  assert.equal(idFromHref('http://h/flavors/42?x=1'), '42');
  assert.equal(idFromHref('m1.tiny'), 'm1.tiny');
});
