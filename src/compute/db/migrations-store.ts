/**
 * The migrations table's statements (nova/db/main/api.py's migration_*): one record per
 * resize, cold or live migration and evacuation. Every function takes the caller's
 * handle; the status lists (which statuses are done or in progress) and the Migration
 * object are MigrationStore's (objects/migration.ts). Not to be confused with
 * migrations.ts, the schema's migrations.
 */
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { MigrationsTable, NovaDB } from './schema.js';

type Db = Kysely<NovaDB>;

/** A migrations row. */
export type MigrationRow = Selectable<MigrationsTable>;

/** migration_get_all_by_filters' filters, as MigrationStore.list takes them. */
export interface MigrationRowFilters {
  status?: string;
  /** Source or destination compute. */
  host?: string;
  sourceCompute?: string;
  instanceUuid?: string;
  migrationType?: string;
  userId?: string;
  projectId?: string;
  /** updated_at (created_at while never updated) at or after. */
  changesSince?: string;
  /** updated_at (created_at while never updated) at or before. */
  changesBefore?: string;
}

/** Inserts a migration. */
export async function insertMigration(db: Db, row: Insertable<MigrationsTable>): Promise<void> {
  await db.insertInto('migrations').values(row).execute();
}

/** A migration by uuid, deleted or not, or undefined. */
export function findMigrationByUuid(db: Db, uuid: string): Promise<MigrationRow | undefined> {
  return db.selectFrom('migrations').selectAll().where('uuid', '=', uuid).executeTakeFirst();
}

/** Updates a migration's columns by uuid. */
export async function updateMigration(db: Db, uuid: string, set: Updateable<MigrationsTable>): Promise<void> {
  await db.updateTable('migrations').set(set).where('uuid', '=', uuid).execute();
}

/** The newest live migration of an instance in a status, or undefined. */
export function findNewestMigrationByInstanceAndStatus(db: Db, instanceUuid: string, status: string): Promise<MigrationRow | undefined> {
  return db.selectFrom('migrations').selectAll().where('instance_uuid', '=', instanceUuid).where('status', '=', status).where('deleted', '=', 0).orderBy('id', 'desc').executeTakeFirst();
}

/** An instance's live migrations of one type whose status is one of `statuses`, in id order. */
export function selectMigrationsByInstanceTypeAndStatus(db: Db, instanceUuid: string, migrationType: string, statuses: readonly string[]): Promise<MigrationRow[]> {
  return db
    .selectFrom('migrations')
    .selectAll()
    .where('instance_uuid', '=', instanceUuid)
    .where('migration_type', '=', migrationType)
    .where('status', 'in', [...statuses])
    .where('deleted', '=', 0)
    .orderBy('id', 'asc')
    .execute();
}

/** The live migrations of any of these instances whose status is not one of `excluded`. */
export async function selectMigrationsOfInstancesNotInStatus(db: Db, instanceUuids: readonly string[], excluded: readonly string[]): Promise<MigrationRow[]> {
  const out: MigrationRow[] = [];
  // In slices, within every dialect's limit on bound parameters.
  for (let i = 0; i < instanceUuids.length; i += 500) {
    out.push(
      ...(await db
        .selectFrom('migrations')
        .selectAll()
        .where('instance_uuid', 'in', instanceUuids.slice(i, i + 500))
        .where('status', 'not in', [...excluded])
        .where('deleted', '=', 0)
        .execute()),
    );
  }
  return out;
}

/** A live migration by id if it is the instance's, or undefined. */
export function findMigrationByIdAndInstance(db: Db, id: number, instanceUuid: string): Promise<MigrationRow | undefined> {
  return db.selectFrom('migrations').selectAll().where('id', '=', id).where('instance_uuid', '=', instanceUuid).where('deleted', '=', 0).executeTakeFirst();
}

/** The live migrations from or to a host whose status is not one of `excluded`. */
export function selectMigrationsOfHostNotInStatus(db: Db, host: string, excluded: readonly string[]): Promise<MigrationRow[]> {
  return db
    .selectFrom('migrations')
    .selectAll()
    .where((eb) => eb.or([eb('source_compute', '=', host), eb('dest_compute', '=', host)]))
    .where('status', 'not in', [...excluded])
    .where('deleted', '=', 0)
    .execute();
}

/**
 * The live migrations matching the filters: newest first (created_at, id descending),
 * or by id with `unsorted`.
 */
export function selectMigrations(db: Db, f: MigrationRowFilters, unsorted: boolean): Promise<MigrationRow[]> {
  let q = db.selectFrom('migrations').selectAll().where('deleted', '=', 0);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.host !== undefined) q = q.where((eb) => eb.or([eb('source_compute', '=', f.host!), eb('dest_compute', '=', f.host!)]));
  if (f.sourceCompute !== undefined) q = q.where('source_compute', '=', f.sourceCompute);
  if (f.instanceUuid !== undefined) q = q.where('instance_uuid', '=', f.instanceUuid);
  if (f.migrationType !== undefined) q = q.where('migration_type', '=', f.migrationType);
  if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
  if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId);
  // changes-since/-before compare updated_at (created_at while never updated), as nova.
  if (f.changesSince !== undefined) q = q.where((eb) => eb.fn.coalesce('updated_at', 'created_at'), '>=', f.changesSince);
  if (f.changesBefore !== undefined) q = q.where((eb) => eb.fn.coalesce('updated_at', 'created_at'), '<=', f.changesBefore);
  // Before 2.59 nova asks for no order: the table's, by id.
  q = unsorted ? q.orderBy('id', 'asc') : q.orderBy('created_at', 'desc').orderBy('id', 'desc');
  return q.execute();
}
