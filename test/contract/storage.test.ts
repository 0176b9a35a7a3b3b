/**
 * The storage contract: the same cases over SQLite, PostgreSQL and MariaDB, each on
 * fresh databases migrated by the services' own migrations and dropped afterwards.
 * Reads, writes, uniqueness (recognised per dialect), locking (compare-and-swap updates,
 * racing inserts with exactly one winner, deadlocks retried as oslo.db's
 * wrap_db_retry), pagination, collation and the value types every store relies on.
 * A server that does not answer fails this file under CI=true (.ci/run starts both) and
 * skips its dialect locally with the command that starts it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { FakeClock, seededRandom, systemRandom } from '../../src/common/clock.js';
import { type Db, ensureDatabase, isDeadlock, isUniqueViolation, migrate, openDatabase } from '../../src/db/database.js';
import { DBDataError } from '../../src/db/errors.js';
import { type RowArgs, each, rowArgs, rowPlaceholders, rowShape, statement, statements } from '../../src/db/statement.js';
import { identityMigrations } from '../../src/identity/db/migrations.js';
import type { IdentityDB } from '../../src/identity/service.js';
import { IdentityStore } from '../../src/identity/db/store.js';
import { selectPortChildren } from '../../src/network/db/ports.js';
import { IMAGE_MIGRATIONS } from '../../src/image/db/migrations.js';
import type { ImageDB } from '../../src/image/db/tables.js';
import { type ImageFilters, findImages, getImage, insertImage, insertMember } from '../../src/image/db/image-repo.js';
import type { Image } from '../../src/image/model.js';
import { novaMigrations } from '../../src/compute/db/migrations.js';
import type { NovaDB } from '../../src/compute/db/schema.js';
import { InstanceActions } from '../../src/compute/objects/actions.js';
import { FlavorStore } from '../../src/compute/objects/flavors.js';
import { InstanceStore, type NewInstance, UnexpectedTaskStateError } from '../../src/compute/objects/instance.js';
import { KeyPairStore } from '../../src/compute/db/keypairs.js';
import { MigrationStore } from '../../src/compute/objects/migration.js';
import { ServiceStore } from '../../src/compute/objects/services.js';
import { neutronMigrations } from '../../src/network/db/migrations.js';
import type { NeutronDB } from '../../src/network/db/schema.js';
import { reportState } from '../../src/network/agents/db/agents-db.js';
import { allocateFreeVni, allocateVlan, syncVxlanAllocations } from '../../src/network/ml2/db/allocations.js';
import { IpamBackend } from '../../src/network/plugin/ipam-backend.js';
import type { SubnetWithPools } from '../../src/network/plugin/subnets.js';
import { IpAddressAlreadyAllocated, parseCidr } from '../../src/network/ipam/index.js';
import { DIALECTS, type TestDatabases, freshDatabases, unavailable } from '../helpers/databases.js';

const CI = process.env.CI === 'true';

interface Dbs {
  keystone: Db<IdentityDB>;
  glance: Db<ImageDB>;
  nova: Db<NovaDB>;
  neutron: Db<NeutronDB>;
}

for (const dialect of DIALECTS) {
  describe(`storage contract: ${dialect}`, () => {
    let why: string | null = null;
    let fresh: TestDatabases;
    let dbs: Dbs;
    let clock: FakeClock;

    before(async () => {
      why = await unavailable(dialect);
      if (why) {
        if (CI) throw new Error(`CI=true: ${why}`);
        console.log(`# storage contract: ${dialect} SKIPPED: ${why}`);
        return;
      }
      fresh = freshDatabases(dialect);
      clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
      const open = async <T>(s: 'keystone' | 'glance' | 'nova' | 'neutron'): Promise<Db<T>> => {
        await ensureDatabase(fresh.url(s));
        return openDatabase<T>(fresh.url(s), { poolSize: 8, random: systemRandom });
      };
      dbs = { keystone: await open('keystone'), glance: await open('glance'), nova: await open('nova'), neutron: await open('neutron') };
      await migrate(dbs.keystone.kysely as never, identityMigrations, 'identity');
      await migrate(dbs.glance.kysely as never, IMAGE_MIGRATIONS, 'image');
      await migrate(dbs.nova.kysely as never, novaMigrations, 'nova');
      await migrate(dbs.neutron.kysely as never, neutronMigrations, 'neutron');
    });
    after(async () => {
      if (!dbs) return;
      for (const d of Object.values(dbs)) await d.close();
      await fresh.drop();
    });

    /** A case that needs the dialect's server; skipped (locally) when it is down. */
    const t = (name: string, fn: () => Promise<void>, opts: { serverOnly?: boolean } = {}) =>
      it(name, async (ctx) => {
        if (why) return ctx.skip(why);
        if (opts.serverOnly && dialect === 'sqlite') return ctx.skip('one connection: SQLite transactions never interleave');
        await fn();
      });

    t('the URL picks the dialect; migrating again is a no-op', async () => {
      assert.equal(dbs.nova.dialect, dialect);
      await migrate(dbs.nova.kysely as never, novaMigrations, 'nova');
      const tables = (await dbs.nova.kysely.introspection.getTables()).map((x) => x.name);
      for (const name of ['instances', 'services', 'migrations', 'flavors', 'key_pairs', 'nova_migrations']) assert.ok(tables.includes(name), `${name} in ${tables.join(',')}`);
      const neutron = (await dbs.neutron.kysely.introspection.getTables()).map((x) => x.name);
      // nova and neutron both have a `quotas` table: only separate databases hold both.
      assert.ok(neutron.includes('quotas') && tables.includes('quotas'));
    });

    t('a duplicate key is a unique violation in this dialect, and not a deadlock', async () => {
      const row = { id: 'dup-user-1', name: 'dup', domain_id: 'default', password_hash: null, enabled: 1, default_project_id: null, description: null, email: null, created_at: '2026-01-01T00:00:00.000000Z' };
      await dbs.keystone.kysely.insertInto('identity_users').values(row as never).execute();
      const err = await dbs.keystone.kysely
        .insertInto('identity_users')
        .values(row as never)
        .execute()
        .then(
          () => null,
          (e: unknown) => e,
        );
      assert.ok(err, 'the second insert must fail');
      assert.equal(isUniqueViolation(err), true, String(err));
      assert.equal(isDeadlock(err), false);
    });

    t('a value the database cannot hold is DBDataError (400) where SQLite would store it', async () => {
      const db = dbs.nova.kysely;
      const insert = (name: string) =>
        db
          .insertInto('key_pairs')
          .values({ name, user_id: 'u-data', fingerprint: 'f', public_key: 'k', type: 'ssh', created_at: '2026-01-01T00:00:00.000000Z' } as never)
          .execute()
          .then(
            () => null,
            (e: unknown) => e,
          );
      const tooLong = await insert('x'.repeat(300));
      if (dialect === 'sqlite') assert.equal(tooLong, null, 'SQLite does not enforce varchar lengths');
      else {
        assert.ok(tooLong instanceof DBDataError, String(tooLong));
        assert.equal(tooLong.status, 400);
        assert.equal(tooLong.message, 'Invalid input for operation: a value is too long for its database column.');
      }
      const nul = await db
        .selectFrom('key_pairs')
        .select('id')
        .where('name', '=', 'a\u0000b')
        .execute()
        .then(
          (rows) => rows.length,
          (e: unknown) => e,
        );
      // PostgreSQL text cannot hold NUL, so it refuses the comparison; the others find nothing.
      if (dialect === 'postgres') assert.ok(nul instanceof DBDataError, String(nul));
      else assert.equal(nul, 0);
    });

    t('NULL sorts first ascending and last descending, as on SQLite', async () => {
      const db = dbs.nova.kysely;
      for (const [name, fp] of [
        ['n1', 'b'],
        ['n2', null],
        ['n3', 'a'],
      ] as const) {
        await db.insertInto('key_pairs').values({ name, user_id: 'u-null', fingerprint: fp, public_key: 'k', type: 'ssh', created_at: '2026-01-01T00:00:00.000000Z' } as never).execute();
      }
      const order = async (dir: 'asc' | 'desc') => (await db.selectFrom('key_pairs').select('fingerprint').where('user_id', '=', 'u-null').orderBy('fingerprint', dir).execute()).map((r) => r.fingerprint);
      assert.deepEqual(await order('asc'), [null, 'a', 'b']);
      assert.deepEqual(await order('desc'), ['b', 'a', null]);
    });

    t('keystone: users are unique by (name, domain); names compare case-sensitively', async () => {
      const store = new IdentityStore(dbs.keystone.kysely);
      const user = (id: string, name: string) => ({ id, name, domain_id: 'default', password_hash: 'x', enabled: 1, default_project_id: null, description: null, email: null, created_at: '2026-01-01T00:00:00.000000Z' });
      await store.createUser(user('u-alice', 'alice') as never);
      await assert.rejects(store.createUser(user('u-alice2', 'alice') as never), { name: 'KeystoneConflict', message: /Duplicate entry found with name alice at domain ID default/ });
      await store.createUser(user('u-Alice', 'Alice') as never);
      assert.equal((await store.getUserByName('Alice', 'default'))?.id, 'u-Alice');
      assert.equal((await store.getUserByName('alice', 'default'))?.id, 'u-alice');
      assert.equal(await store.getUserByName('ALICE', 'default'), undefined);
    });

    t('glance: images round-trip (big sizes, properties, tags); visibility, membership, tag and time filters', async () => {
      const db = dbs.glance.kysely;
      const base = Date.parse('2026-01-01T00:00:00Z');
      const image = (id: string, over: Partial<Image>): Image => ({
        id,
        name: null,
        status: 'active',
        visibility: 'private',
        protected: false,
        osHidden: false,
        owner: 'p-owner',
        diskFormat: 'qcow2',
        containerFormat: 'bare',
        size: null,
        virtualSize: null,
        checksum: null,
        osHashAlgo: null,
        osHashValue: null,
        minDisk: 0,
        minRam: 0,
        createdAt: base,
        updatedAt: base,
        properties: {},
        tags: [],
        ...over,
      });
      const ids = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000c'];
      await db.transaction().execute(async (trx) => {
        await insertImage(trx, image(ids[0]!, { name: 'cirros ☁ 😀', visibility: 'public', size: 2 ** 40, properties: { hw_disk_bus: 'virtio' }, tags: ['Gold', 'gold'] }));
        await insertImage(trx, image(ids[1]!, { name: 'shared', visibility: 'shared', createdAt: base + 60_000, updatedAt: base + 60_000 }));
        await insertImage(trx, image(ids[2]!, { name: 'private' }));
        await insertMember(trx, { imageId: ids[1]!, memberId: 'p-member', status: 'accepted', createdAt: base, updatedAt: base });
      });
      const got = (await getImage(db, ids[0]!))!;
      assert.equal(got.name, 'cirros ☁ 😀');
      assert.equal(got.size, 2 ** 40);
      assert.equal(got.protected, false);
      assert.deepEqual(got.properties, { hw_disk_bus: 'virtio' });
      assert.deepEqual([...got.tags].sort(), ['Gold', 'gold']);
      assert.equal(got.createdAt, base);
      const none = { osHidden: false, columns: {}, numbers: {}, ranges: {}, times: [], tags: [], properties: {} };
      const names = async (viewer: string, f: Partial<ImageFilters> = {}) =>
        (await findImages(db, { projectId: viewer, isAdmin: false, memberStatus: 'accepted' }, { ...none, ...f }))
          .map((i) => i.name)
          .sort();
      assert.deepEqual(await names('p-member'), ['cirros ☁ 😀', 'shared']);
      assert.deepEqual(await names('p-stranger'), ['cirros ☁ 😀']);
      assert.deepEqual(await names('p-owner'), ['cirros ☁ 😀', 'private', 'shared']);
      assert.deepEqual(await names('p-owner', { tags: ['Gold'] }), ['cirros ☁ 😀']);
      assert.deepEqual(await names('p-owner', { tags: ['GOLD'] }), []);
      assert.deepEqual(await names('p-owner', { ranges: { size: { min: 2 ** 39 } } }), ['cirros ☁ 😀']);
      assert.deepEqual(await names('p-owner', { times: [{ column: 'created_at', op: 'gt', at: base }] }), ['shared']);
    });

    t('nova services: racing registrations of one (host, binary) make one row; booleans and counters round-trip', async () => {
      const store = new ServiceStore(dbs.nova.kysely, { clock, random: seededRandom(1), serviceDownTimeS: 60 });
      const rows = await Promise.all(Array.from({ length: 6 }, () => store.register('race-host', 'nova-compute', 'compute')));
      assert.equal(new Set(rows.map((r) => r.id)).size, 1);
      assert.equal((await store.list({ host: 'race-host' })).length, 1);
      const hb = await store.heartbeat(rows[0]!.id);
      assert.equal(hb.report_count, 1);
      const upd = await store.update(rows[0]!.id, { disabled: true, disabledReason: 'maintenance' } as never);
      assert.equal(Boolean(upd.disabled), true);
      assert.equal(upd.disabled_reason, 'maintenance');
    });

    t('nova flavors: ids come back from the insert; a duplicate name is FlavorExists; extra specs are JSON', async () => {
      const store = new FlavorStore(dbs.nova.kysely, { clock, random: seededRandom(2) });
      const a = await store.create({ name: 'm1.contract', memory_mb: 512, vcpus: 1, root_gb: 1, flavorid: 'c1', extra_specs: { 'hw:cpu_policy': 'dedicated' } } as never);
      const b = await store.create({ name: 'm1.contract2', memory_mb: 512, vcpus: 1, root_gb: 1, flavorid: 'c2' } as never);
      assert.equal(typeof (a as { id: number }).id, 'number');
      assert.ok((b as { id: number }).id > (a as { id: number }).id);
      assert.deepEqual((a as { extra_specs: unknown }).extra_specs, { 'hw:cpu_policy': 'dedicated' });
      await assert.rejects(store.create({ name: 'm1.contract', memory_mb: 1, vcpus: 1, root_gb: 1 } as never), { name: 'FlavorExists' });
    });

    t('nova key pairs: unique per user, case-sensitive names, paginated by marker', async () => {
      const store = new KeyPairStore(dbs.nova.kysely);
      const kp = (name: string) => ({ userId: 'u1', name, type: 'ssh' as const, publicKey: 'ssh-rsa AAAA', fingerprint: 'aa:bb' });
      for (const n of ['k3', 'k1', 'k2', 'K1']) await store.create(kp(n), '2026-01-01T00:00:00.000000Z');
      await assert.rejects(store.create(kp('k1'), '2026-01-01T00:00:00.000000Z'), { message: /k1/ });
      assert.equal(await store.countByUser('u1'), 4);
      const all = (await store.listByUser('u1')).map((k) => k.name);
      const first = (await store.listByUser('u1', { limit: 2 })).map((k) => k.name);
      const rest = (await store.listByUser('u1', { marker: first[1]! })).map((k) => k.name);
      assert.deepEqual([...first, ...rest], all);
      // Byte order on every dialect (utf8mb4_bin, LC_COLLATE C): 'K1' < 'k1', so the
      // `name > marker` page boundary agrees with ORDER BY.
      assert.deepEqual(all, ['K1', 'k1', 'k2', 'k3']);
    });

    t('nova instances: create and read back; a task-state compare-and-swap has exactly one winner', async () => {
      const store = new InstanceStore(dbs.nova.kysely, () => clock.now());
      const inst = await store.create(newInstance('aaaaaaaa-0000-0000-0000-000000000001'));
      assert.equal(inst.displayName, 'vm ☁');
      assert.deepEqual(inst.metadata, { k: 'v' });
      assert.equal(inst.taskState, 'scheduling');
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) => store.save(inst.uuid, { taskState: `spawning-${i}` } as never, { expectedTaskState: ['scheduling'] })),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results.map((r) => r.status)));
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof UnexpectedTaskStateError, String(r.reason));
    });

    t('nova instances: found by uuid alone, with or without the info cache joined; a deleted one only with readDeleted', async () => {
      const store = new InstanceStore(dbs.nova.kysely, () => clock.now());
      const uuid = 'aaaaaaaa-0000-0000-0000-0000000000f1';
      await store.create(newInstance(uuid));
      const bare = await store.findWithNetworkInfo(uuid);
      assert.equal(bare?.instance.uuid, uuid);
      assert.deepEqual(bare?.nwInfo, []);
      const nwInfo = [{ id: 'port-1', address: 'fa:16:3e:00:00:01' }] as never;
      await store.saveNetworkInfo(uuid, nwInfo);
      assert.deepEqual((await store.findWithNetworkInfo(uuid))?.nwInfo, nwInfo);
      assert.deepEqual(await store.networkInfo(uuid), nwInfo);
      await store.destroy(uuid);
      assert.equal(await store.findWithNetworkInfo(uuid), null);
      assert.equal(await store.find(uuid), null);
      assert.equal((await store.find(uuid, { readDeleted: true }))?.uuid, uuid);
    });

    t('nova instances: save returns the row as written (UPDATE … RETURNING, or read after on MariaDB); a miss says why', async () => {
      const store = new InstanceStore(dbs.nova.kysely, () => clock.now());
      const uuid = 'aaaaaaaa-0000-0000-0000-0000000000e1';
      await store.create(newInstance(uuid));
      clock.advance(1000);
      const saved = await store.save(uuid, { taskState: null, vmState: 'building', metadata: { a: 'b' } } as never, { expectedTaskState: ['scheduling'] });
      assert.equal(saved.taskState, null);
      assert.deepEqual(saved.metadata, { a: 'b' });
      assert.equal(saved.displayName, 'vm ☁');
      assert.deepEqual(saved, await store.find(uuid));
      // The same shape again with other values (the compiled statement is reused); null among the expected states.
      const again = await store.save(uuid, { taskState: 'networking', vmState: 'building', metadata: { c: 'd' } } as never, { expectedTaskState: ['spawning', null] });
      assert.equal(again.taskState, 'networking');
      assert.deepEqual(again.metadata, { c: 'd' });
      await assert.rejects(store.save(uuid, { taskState: 'spawning' } as never, { expectedTaskState: [null] }), UnexpectedTaskStateError);
      await store.save(uuid, { taskState: 'deleting' } as never);
      await assert.rejects(store.save(uuid, { taskState: 'spawning' } as never, { expectedTaskState: ['networking'] }), { name: 'UnexpectedDeletingTaskStateError' });
      await store.destroy(uuid);
      await assert.rejects(store.save(uuid, { taskState: null } as never), { name: 'InstanceNotFound' });
    });

    t('statements compiled once: reused with new parameters, in and out of a transaction, one per IN-list length', async () => {
      const db = dbs.nova.kysely;
      const byUuid = statement((k: Kysely<NovaDB>, p: { uuid: string }) => k.selectFrom('instances').select(['uuid', 'display_name']).where('uuid', '=', p.uuid).where('deleted', '=', 0));
      const store = new InstanceStore(db, () => clock.now());
      for (const u of ['aaaaaaaa-0000-0000-0000-0000000000d1', 'aaaaaaaa-0000-0000-0000-0000000000d2']) await store.create(newInstance(u));
      assert.equal((await byUuid.first(db, { uuid: 'aaaaaaaa-0000-0000-0000-0000000000d1' }))?.uuid, 'aaaaaaaa-0000-0000-0000-0000000000d1');
      assert.equal((await byUuid.first(db, { uuid: 'aaaaaaaa-0000-0000-0000-0000000000d2' }))?.uuid, 'aaaaaaaa-0000-0000-0000-0000000000d2');
      assert.equal(await byUuid.first(db, { uuid: 'no-such' }), undefined);
      await db.transaction().execute(async (trx) => assert.equal((await byUuid.first(trx, { uuid: 'aaaaaaaa-0000-0000-0000-0000000000d2' }))?.uuid, 'aaaaaaaa-0000-0000-0000-0000000000d2'));
      const among = statements(
        (a: { uuids: string[] }) => String(a.uuids.length),
        (k: Kysely<NovaDB>, p, a) => k.selectFrom('instances').select('uuid').where('uuid', 'in', each(p.uuids, a.uuids.length)).orderBy('uuid'),
      );
      assert.deepEqual((await among.rows(db, { uuids: ['aaaaaaaa-0000-0000-0000-0000000000d2', 'aaaaaaaa-0000-0000-0000-0000000000d1'] })).map((r) => r.uuid), ['aaaaaaaa-0000-0000-0000-0000000000d1', 'aaaaaaaa-0000-0000-0000-0000000000d2']);
      assert.deepEqual((await among.rows(db, { uuids: ['aaaaaaaa-0000-0000-0000-0000000000d2'] })).map((r) => r.uuid), ['aaaaaaaa-0000-0000-0000-0000000000d2']);
      assert.deepEqual((await among.rows(db, { uuids: ['x', 'aaaaaaaa-0000-0000-0000-0000000000d1'] })).map((r) => r.uuid), ['aaaaaaaa-0000-0000-0000-0000000000d1']);
      // A written row's undefined columns are left out, as Kysely's set() leaves them out (not set to NULL).
      const rename = statements(
        (a: RowArgs & { uuid: string }) => rowShape(a),
        (k: Kysely<NovaDB>, p, a) => k.updateTable('instances').set(rowPlaceholders(p, a)).where('uuid', '=', p.uuid),
      );
      assert.equal(await rename.affected(db, { ...rowArgs({ display_name: 'renamed', hostname: undefined }), uuid: 'aaaaaaaa-0000-0000-0000-0000000000d1' }), 1);
      const renamed = await store.find('aaaaaaaa-0000-0000-0000-0000000000d1');
      assert.equal(renamed?.displayName, 'renamed');
      assert.equal(renamed?.hostname, 'vm');
      // A placeholder that did not become a bound parameter (inlined into the text) is refused.
      const inlined = statement((k: Kysely<NovaDB>, p: { uuid: string }) => k.selectFrom('instances').select('uuid').where('uuid', '=', sql.lit(p.uuid)));
      await assert.rejects(inlined.first(db, { uuid: 'x' }), /not bound as parameters/);
    });

    t('nova instance actions: event ids come back from the insert on every dialect', async () => {
      const actions = new InstanceActions(dbs.nova.kysely, () => clock.now());
      await actions.start({ instanceUuid: 'aaaaaaaa-0000-0000-0000-000000000001', action: 'create', requestId: 'req-1', userId: 'u', projectId: 'p' });
      const e1 = await actions.eventStart('aaaaaaaa-0000-0000-0000-000000000001', 'req-1', 'compute__do_build', 'h1');
      const e2 = await actions.eventStart('aaaaaaaa-0000-0000-0000-000000000001', 'req-1', 'compute_spawn', 'h1');
      assert.equal(typeof e1, 'number');
      assert.ok(e2! > e1!);
    });

    t('nova migrations: filters and marker pagination, newest first', async () => {
      const store = new MigrationStore(dbs.nova.kysely, () => clock.now());
      const uuids: string[] = [];
      for (let i = 0; i < 5; i++) {
        clock.advance(1000);
        const uuid = `bbbbbbbb-0000-0000-0000-00000000000${i}`;
        uuids.push(uuid);
        await store.create({ uuid, instanceUuid: 'aaaaaaaa-0000-0000-0000-000000000001', sourceCompute: i % 2 ? 'h1' : 'h2', sourceNode: 'n', oldInstanceTypeId: 1, newInstanceTypeId: 2, status: 'pre-migrating', migrationType: 'resize', userId: 'u', projectId: 'p' } as never);
      }
      const all = await store.list({});
      assert.deepEqual(
        all.map((m) => m.uuid),
        [...uuids].reverse(),
      );
      const page2 = await store.list({}, { marker: uuids[3]!, limit: 2 });
      assert.deepEqual(
        page2.map((m) => m.uuid),
        [uuids[2], uuids[1]],
      );
      assert.equal((await store.list({ sourceCompute: 'h1' })).length, 2);
      const saved = await store.save(uuids[0]!, { status: 'finished' });
      assert.equal(saved.status, 'finished');
      assert.equal(saved.hidden, false);
    });

    t('neutron: two ports asking for the same fixed IP at once, exactly one wins', async () => {
      const db = dbs.neutron.kysely;
      const { subnet, ports } = await networkWithPorts(db, 'net-race', '10.9.0.0/24', 12);
      const ipam = new IpamBackend(systemRandom);
      const take = (portId: string, ip: string) => db.transaction().execute((trx) => ipam.allocateSpecific(trx, portId, 'net-race', subnet, ip));
      for (let round = 0; round < 3; round++) {
        const ip = `10.9.0.${10 + round}`;
        const results = await Promise.allSettled([take(ports[2 * round]!, ip), take(ports[2 * round + 1]!, ip)]);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}: ${JSON.stringify(results)}`);
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        assert.ok(lost.reason instanceof IpAddressAlreadyAllocated, String(lost.reason));
      }
      // Any-address allocations racing in their own transactions get distinct addresses;
      // a lost insert inside a transaction (PostgreSQL aborts it without a savepoint)
      // moves on to another address.
      // The same seed makes them all try the same address first.
      const got = await Promise.all(ports.slice(6, 10).map((p) => db.transaction().execute((trx) => new IpamBackend(seededRandom(7)).allocateAny(trx, p, 'net-race', subnet))));
      const ips = got.map((a) => a!.ip_address);
      assert.equal(new Set(ips).size, ips.length);
      const rows = await db.selectFrom('ipallocations').select('ip_address').where('subnet_id', '=', subnet.id).execute();
      assert.equal(rows.length, 3 + ips.length);
    });

    t('neutron: a port list loads the children of its ports, of every kind, in one statement', async () => {
      const db = dbs.neutron.kysely;
      const { subnet, ports } = await networkWithPorts(db, 'net-kids', '10.8.0.0/24', 3);
      const [p1, p2, p3] = ports as [string, string, string];
      const any = db as unknown as Kysely<any>;
      const now = '2026-01-01T00:00:00.000000Z';
      // The group's other columns come from later migrations: fill what the table has.
      const cols = (await db.introspection.getTables()).find((x) => x.name === 'securitygroups')!.columns;
      const row: Record<string, unknown> = {};
      for (const c of cols) if (!c.isNullable && !c.hasDefaultValue) row[c.name] = /int/i.test(c.dataType) ? 0 : /_at$/.test(c.name) ? now : '';
      await any.insertInto('securitygroups').values({ ...row, id: 'sg-kids', project_id: 'p', name: 'default' }).execute();
      await db.insertInto('ipallocations').values([{ port_id: p1, ip_address: '10.8.0.5', subnet_id: subnet.id, network_id: 'net-kids' }, { port_id: p2, ip_address: '10.8.0.6', subnet_id: subnet.id, network_id: 'net-kids' }]).execute();
      await db.insertInto('securitygroupportbindings').values({ port_id: p1, security_group_id: 'sg-kids' }).execute();
      await db.insertInto('ml2_port_bindings').values({ port_id: p1, host: 'compute1', vnic_type: 'normal', profile: '{"a": 1}', vif_type: 'ovs', vif_details: '{"port_filter": true}', status: 'ACTIVE' }).execute();
      await db.insertInto('allowedaddresspairs').values({ port_id: p1, mac_address: 'fa:16:3e:00:00:99', ip_address: '10.8.0.0/28' }).execute();
      await db.insertInto('extradhcpopts').values({ id: 'opt-kids', port_id: p1, opt_name: 'mtu', opt_value: '1400', ip_version: 6 }).execute();
      await any.insertInto('tags').values([{ resource_type: 'ports', resource_id: p1, tag: 'blue' }, { resource_type: 'networks', resource_id: p1, tag: 'not-a-port-tag' }]).execute();
      const one = await selectPortChildren(db, [p1, p3]);
      assert.deepEqual(one, {
        ips: [{ port_id: p1, ip_address: '10.8.0.5', subnet_id: subnet.id, network_id: 'net-kids' }],
        sgs: [{ port_id: p1, security_group_id: 'sg-kids' }],
        binds: [{ port_id: p1, host: 'compute1', vnic_type: 'normal', profile: '{"a": 1}', vif_type: 'ovs', vif_details: '{"port_filter": true}', status: 'ACTIVE' }],
        pairs: [{ port_id: p1, mac_address: 'fa:16:3e:00:00:99', ip_address: '10.8.0.0/28' }],
        opts: [{ id: 'opt-kids', port_id: p1, opt_name: 'mtu', opt_value: '1400', ip_version: 6 }],
        tags: [{ port_id: p1, tag: 'blue' }],
      });
      const all = await selectPortChildren(db, 'all');
      assert.deepEqual(all.ips.filter((r) => ports.includes(r.port_id)).map((r) => r.ip_address).sort(), ['10.8.0.5', '10.8.0.6']);
      assert.deepEqual(await selectPortChildren(db, [p3]), { ips: [], sgs: [], binds: [], pairs: [], opts: [], tags: [] });
    });

    t('neutron ML2: racing segment allocations never share a VNI or VLAN', async () => {
      const db = dbs.neutron.kysely;
      await syncVxlanAllocations(db, [[100, 119]]);
      const vnis = await Promise.all(Array.from({ length: 10 }, (_, i) => allocateFreeVni(db, seededRandom(i))));
      assert.equal(new Set(vnis).size, 10);
      assert.ok(vnis.every((v) => v !== null && v >= 100 && v <= 119));
      const vlan = await Promise.all([allocateVlan(db, 'physnet9', 42), allocateVlan(db, 'physnet9', 42)]);
      assert.deepEqual([...vlan].sort(), [false, true]);
    });

    t('neutron agents: racing first reports of one agent make one row', async () => {
      const db = dbs.neutron.kysely;
      const report = { agent_type: 'Open vSwitch agent', binary: 'neutron-openvswitch-agent', host: 'race-host', topic: 'N/A', configurations: { bridge_mappings: {} }, start_flag: true };
      const results = await Promise.all(Array.from({ length: 4 }, () => db.transaction().execute((trx) => reportState(trx, report as never, clock.now()))));
      assert.equal(new Set(results.map((r) => r.id)).size, 1);
      const rows = await db.selectFrom('agents').select('id').where('host', '=', 'race-host').execute();
      assert.equal(rows.length, 1);
    });

    t(
      'a transaction whose connection is killed runs again on a new connection, once',
      async () => {
        const db = dbs.nova.kysely;
        let attempts = 0;
        await db.transaction().execute(async (trx) => {
          attempts++;
          await trx.insertInto('key_pairs').values({ name: 'killed', user_id: 'u-kill', fingerprint: 'f', public_key: 'k', type: 'ssh', created_at: '2026-01-01T00:00:00.000000Z' } as never).execute();
          if (attempts > 1) return;
          // The server restarting under it, as far as this connection can tell.
          if (dialect === 'postgres') {
            const { rows } = await sql<{ id: number }>`SELECT pg_backend_pid() AS id`.execute(trx);
            await sql`SELECT pg_terminate_backend(${rows[0]!.id})`.execute(db);
          } else {
            const { rows } = await sql<{ id: number }>`SELECT CONNECTION_ID() AS id`.execute(trx);
            await sql`KILL CONNECTION ${sql.raw(String(Number(rows[0]!.id)))}`.execute(db);
          }
          await trx.selectFrom('key_pairs').select('id').execute();
        });
        assert.equal(attempts, 2);
        const rows = await db.selectFrom('key_pairs').select('id').where('user_id', '=', 'u-kill').execute();
        assert.equal(rows.length, 1);
      },
      { serverOnly: true },
    );

    t(
      'a deadlock between two transactions is retried: both commit',
      async () => {
        const db = dbs.nova.kysely;
        const svc = new ServiceStore(db, { clock, random: seededRandom(3), serviceDownTimeS: 60 });
        const a = await svc.register('dl-a', 'nova-compute', 'compute');
        const b = await svc.register('dl-b', 'nova-compute', 'compute');
        let attempts = 0;
        let arrived = 0;
        let release!: () => void;
        const bothHoldOne = new Promise<void>((r) => (release = r));
        const cross = (first: number, second: number) =>
          db.transaction().execute(async (trx) => {
            attempts++;
            await trx.updateTable('services').set({ report_count: sql`report_count + 1` }).where('id', '=', first).execute();
            if (++arrived === 2) release();
            await bothHoldOne;
            await trx.updateTable('services').set({ report_count: sql`report_count + 1` }).where('id', '=', second).execute();
          });
        await Promise.all([cross(a.id, b.id), cross(b.id, a.id)]);
        assert.ok(attempts >= 3, `one transaction was retried (${attempts} attempts)`);
        assert.equal((await svc.get(a.id)).report_count, 2);
        assert.equal((await svc.get(b.id)).report_count, 2);
      },
      { serverOnly: true },
    );
  });
}

function newInstance(uuid: string): NewInstance {
  return {
    uuid,
    projectId: 'p',
    userId: 'u',
    displayName: 'vm ☁',
    displayDescription: null,
    hostname: 'vm',
    availabilityZone: null,
    imageRef: 'img',
    flavor: { id: 1, flavorid: '1', name: 'm1.tiny', memory_mb: 512, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0, rxtx_factor: 1, vcpu_weight: null, disabled: false, is_public: true, extra_specs: {}, description: null },
    keyName: null,
    userData: null,
    metadata: { k: 'v' },
    systemMetadata: {},
    requestedNetworks: [],
    securityGroups: ['default'],
    tags: [],
    configDrive: '',
    accessIpV4: null,
    accessIpV6: null,
    reservationId: 'r-1',
    launchIndex: 0,
  } as unknown as NewInstance;
}

/** A network, one IPv4 subnet and `n` ports, written as the plugin's rows. */
async function networkWithPorts(db: Kysely<NeutronDB>, netId: string, cidr: string, n: number): Promise<{ subnet: SubnetWithPools; ports: string[] }> {
  const any = db as unknown as Kysely<any>;
  const now = '2026-01-01T00:00:00.000000Z';
  const fill = async (table: string, values: Record<string, unknown>) => {
    const cols = (await db.introspection.getTables()).find((x) => x.name === table)!.columns;
    const row: Record<string, unknown> = {};
    for (const c of cols) if (!c.isNullable && !c.hasDefaultValue) row[c.name] = /int/i.test(c.dataType) ? 0 : '';
    for (const c of cols) if (/_at$/.test(c.name)) row[c.name] = now;
    await any.insertInto(table).values({ ...row, ...values }).execute();
  };
  await fill('networks', { id: netId, project_id: 'p', name: netId, status: 'ACTIVE', admin_state_up: 1, mtu: 1450 });
  const subnetId = `${netId}-subnet`.padEnd(36, '0').slice(0, 36);
  await fill('subnets', { id: subnetId, project_id: 'p', network_id: netId, name: 's', ip_version: 4, cidr, gateway_ip: null, enable_dhcp: 0 });
  const ports: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${netId}-port-${String(i).padStart(4, '0')}`;
    await fill('ports', { id, project_id: 'p', network_id: netId, name: '', mac_address: `fa:16:3e:00:00:${i.toString(16).padStart(2, '0')}`, status: 'DOWN', device_id: '', device_owner: '', admin_state_up: 1 });
    ports.push(id);
  }
  const c = parseCidr(cidr)!;
  const subnet = (await any.selectFrom('subnets').selectAll().where('id', '=', subnetId).executeTakeFirstOrThrow()) as SubnetWithPools;
  return { subnet: { ...subnet, pools: [{ version: 4, first: c.first + 2n, last: c.last - 1n }] }, ports };
}

