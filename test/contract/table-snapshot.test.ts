/**
 * The storage contract of snapshots (src/db/table-snapshot.ts, issue 12 point 4) on
 * SQLite, PostgreSQL and MariaDB: a save/load round trip through nova's migrated
 * database brings back every row with its types (integers, reals, big integers, text,
 * NULL), deletes the rows made later, re-inserts children after their parents (a child
 * table whose name sorts first), leaves nova's services as they are and numbers the
 * next serial id past the restored ones. Servers that do not answer skip locally and
 * fail under CI=true, as test/contract/storage.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { systemRandom } from '../../src/common/clock.js';
import { type Db, ensureDatabase, migrate, openDatabase, withAutoId } from '../../src/db/database.js';
import { deleteTableSnapshot, listTableSnapshots, loadTables, putSnapshotBlobs, saveTables, snapshotBlobs } from '../../src/db/table-snapshot.js';
import { novaMigrations } from '../../src/compute/db/migrations.js';
import { DIALECTS, type TestDatabases, freshDatabases, unavailable } from '../helpers/databases.js';

const CI = process.env.CI === 'true';

for (const dialect of DIALECTS) {
  describe(`table snapshots: ${dialect}`, () => {
    let why: string | null = null;
    let fresh: TestDatabases;
    let db: Db<unknown>;
    let k: Kysely<any>;

    before(async () => {
      why = await unavailable(dialect);
      if (why) {
        if (CI) throw new Error(`CI=true: ${why}`);
        console.log(`# table snapshots: ${dialect} SKIPPED: ${why}`);
        return;
      }
      fresh = freshDatabases(dialect);
      await ensureDatabase(fresh.url('nova'));
      db = openDatabase(fresh.url('nova'), { poolSize: 4, random: systemRandom });
      k = db.kysely as Kysely<any>;
      await migrate(k as never, novaMigrations, 'nova');
      // A parent whose child's name sorts first: name order would insert the child too early.
      await withAutoId(k, k.schema.createTable('snap_b_parent'))
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('big', 'bigint')
        .addColumn('ratio', 'real', (c) => c.notNull())
        .addColumn('flag', 'integer', (c) => c.notNull())
        .addColumn('note', 'text')
        .execute();
      await withAutoId(k, k.schema.createTable('snap_a_child'))
        .addColumn('parent_id', 'integer', (c) => c.notNull().references('snap_b_parent.id'))
        .addColumn('payload', 'text', (c) => c.notNull())
        .execute();
    });
    after(async () => {
      if (!db) return;
      await db.close();
      await fresh.drop();
    });

    const t = (name: string, fn: () => Promise<void>) =>
      it(name, async (ctx) => {
        if (why) return ctx.skip(why);
        await fn();
      });

    const parents = async () => (await k.selectFrom('snap_b_parent').selectAll().orderBy('id').execute()).map((r: Record<string, unknown>) => ({ ...r, id: Number(r['id']), big: r['big'] === null ? null : Number(r['big']) }) as Record<string, unknown> & { id: number });
    const children = async () => (await k.selectFrom('snap_a_child').select(['parent_id', 'payload']).orderBy('id').execute()).map((r) => ({ ...r, parent_id: Number(r.parent_id) }));
    const service = (host: string) => ({ uuid: `svc-${host}`, host, binary: 'nova-compute', topic: 'compute', report_count: 0, disabled: 0, forced_down: 0, version: 0, created_at: '2026-01-01T00:00:00Z' });

    t('save, change everything, load: the rows and their types come back; services stay; ids continue', async () => {
      await k.insertInto('services').values(service('before')).execute();
      await k.insertInto('snap_b_parent').values([
        { name: 'p1', big: 9_007_199_254_740, ratio: 1.5, flag: 1, note: null },
        { name: 'p2', big: null, ratio: 0.25, flag: 0, note: 'ünïcode "quoted" \\ text' },
      ]).execute();
      const [p1, p2] = await parents();
      await k.insertInto('snap_a_child').values([{ parent_id: p1!.id, payload: '{"a":[1,2]}' }, { parent_id: p2!.id, payload: 'x'.repeat(60_000) }]).execute();
      const before = { parents: await parents(), children: await children() };

      await saveTables(k, 'one', '2026-01-01T00:00:00.000Z', ['services']);
      assert.deepEqual((await listTableSnapshots(k)).map((s) => [s.name, s.created_at, s.tables.includes('snap_a_child'), s.tables.includes('services'), s.tables.includes('nova_migrations')]), [['one', '2026-01-01T00:00:00.000Z', true, false, false]]);

      await k.deleteFrom('snap_a_child').where('parent_id', '=', p1!.id).execute();
      await k.deleteFrom('snap_b_parent').where('id', '=', p1!.id).execute();
      await k.updateTable('snap_b_parent').set({ note: 'changed', flag: 7 }).execute();
      const p3 = await k.insertInto('snap_b_parent').values({ name: 'p3', big: 1, ratio: 2, flag: 1, note: null }).execute();
      assert.ok(p3);
      await k.insertInto('services').values(service('after')).execute();

      assert.equal(await loadTables(k, 'one'), true);
      assert.deepEqual({ parents: await parents(), children: await children() }, before);
      // Services describe the running processes: a load keeps the one started since.
      assert.deepEqual((await k.selectFrom('services').select('host').orderBy('host').execute()).map((r) => r.host), ['after', 'before']);
      // The next serial id follows the restored rows (PostgreSQL's sequence re-aimed).
      await k.insertInto('snap_b_parent').values({ name: 'p4', big: null, ratio: 1, flag: 0, note: null }).execute();
      assert.equal((await parents()).at(-1)!['name'], 'p4');
    });

    t("a compute node the snapshot did not know stays through a load, its usage reset; a known one is put back", async () => {
      const node = (host: string, used: number) => ({ uuid: `cn-${host}`, host, hypervisor_hostname: host, hypervisor_type: 'QEMU', hypervisor_version: 1, host_ip: '10.0.0.1', vcpus: 8, memory_mb: 4096, local_gb: 40, vcpus_used: used, memory_mb_used: used * 512, local_gb_used: used, running_vms: used, cpu_info: '{}', created_at: '2026-01-01T00:00:00Z' });
      await k.insertInto('compute_nodes').values(node('early', 1)).execute();
      await saveTables(k, 'nodes', '2026-01-01T00:00:00.000Z', ['services']);
      // A blob beside the tables (a host's devices) is kept, and a load does not take it for a table.
      await putSnapshotBlobs(k, 'nodes', new Map([['.host.h1', 'A'.repeat(100_000)], ['.cloud', '{}']]), '2026-01-01T00:00:00.000Z');
      assert.deepEqual([...(await snapshotBlobs(k, 'nodes', '.host.')).entries()].map(([key, v]) => [key, v.length]), [['.host.h1', 100_000]]);
      await k.updateTable('compute_nodes').set({ vcpus_used: 5 }).where('host', '=', 'early').execute();
      await k.insertInto('compute_nodes').values(node('late', 3)).execute();
      const keep = [{ table: 'compute_nodes', key: 'host', reset: { vcpus_used: 0, memory_mb_used: 0, local_gb_used: 0, running_vms: 0 } }];
      assert.equal(await loadTables(k, 'nodes', keep), true);
      const rows = (await k.selectFrom('compute_nodes').select(['host', 'vcpus_used', 'running_vms']).orderBy('host').execute()).map((r) => ({ ...r, vcpus_used: Number(r.vcpus_used), running_vms: Number(r.running_vms) }));
      assert.deepEqual(rows, [{ host: 'early', vcpus_used: 1, running_vms: 1 }, { host: 'late', vcpus_used: 0, running_vms: 0 }]);
      await k.insertInto('compute_nodes').values(node('later', 0)).execute();
      assert.equal(await deleteTableSnapshot(k, 'nodes'), true);
    });

    t('an unknown snapshot loads nothing; delete removes one', async () => {
      assert.equal(await loadTables(k, 'nope'), false);
      assert.equal(await deleteTableSnapshot(k, 'one'), true);
      assert.equal(await deleteTableSnapshot(k, 'one'), false);
      assert.deepEqual(await listTableSnapshots(k), []);
    });
  });
}
