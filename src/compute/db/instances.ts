/**
 * The instances statements (nova/db/main/api.py's instance_*), with the tables nova keeps
 * beside an instance: its info cache and its faults. Every function takes the caller's
 * handle, so it runs inside the caller's transaction when given one; row ↔ Instance
 * mapping and the save guard's errors are InstanceStore's (objects/instance.ts).
 */
import type { Compilable, Insertable, Kysely, Selectable, WhereInterface } from 'kysely';
import { type RowArgs, each, rowArgs, rowPlaceholders, rowShape, statement, statements } from '../../db/statement.js';
import { TaskState, VmState } from '../objects/states.js';
import type { InstanceFaultsTable, InstanceInfoCachesTable, InstancesTable, NovaDB } from './schema.js';

type Db = Kysely<NovaDB>;

/** An instances row. */
export type InstanceRow = Selectable<InstancesTable>;
/** An instance_faults row. */
export type InstanceFaultRow = Selectable<InstanceFaultsTable>;

/**
 * Inserts an instance; returns the row as stored (its id and defaults) where the dialect
 * has INSERT … RETURNING (PostgreSQL, SQLite), undefined on MariaDB (read it back).
 */
export async function insertInstance(db: Db, row: Insertable<InstancesTable>): Promise<InstanceRow | undefined> {
  const r = await instanceInsert.result(db, rowArgs(row));
  return r.rows[0];
}

/** insertInstance's statement, per set of columns: RETURNING * where the dialect has it. */
const instanceInsert = statements(
  (a: RowArgs) => rowShape(a),
  (db: Db, p, a): Compilable<InstanceRow> => {
    const q = db.insertInto('instances').values(rowPlaceholders(p, a) as Insertable<InstancesTable>);
    return db.getExecutor().adapter.supportsReturning ? q.returningAll() : (q as unknown as Compilable<InstanceRow>);
  },
);

/** findInstance's statement, compiled once (the most frequent of nova's reads). */
const instanceByUuid = statement((db: Db, p: { uuid: string }) => db.selectFrom('instances').selectAll().where('uuid', '=', p.uuid));

/**
 * The instance with this uuid (deleted ones too with readDeleted), or undefined. The uuid
 * is unique across deleted rows too, so the statement filters on it alone and `deleted` is
 * checked here: with `deleted = ?` in the WHERE, PostgreSQL without statistics (a fresh
 * database, or autovacuum off) costs the (host, deleted) index the same as the uuid one
 * and may walk all of it for every lookup.
 */
export async function findInstance(db: Db, uuid: string, readDeleted: boolean): Promise<InstanceRow | undefined> {
  const row = await instanceByUuid.first(db, { uuid });
  return row && (readDeleted || row.deleted === 0) ? row : undefined;
}

/**
 * The instance with its info cache's network_info, in one statement (nova's
 * instance_get_by_uuid with the info_cache joined): what GET /servers/{id} shows.
 */
export async function findInstanceWithNetworkInfo(db: Db, uuid: string): Promise<{ row: InstanceRow; networkInfo: string | null } | undefined> {
  const r = await db
    .selectFrom('instances')
    .leftJoin('instance_info_caches', 'instance_info_caches.instance_uuid', 'instances.uuid')
    .selectAll('instances')
    .select('instance_info_caches.network_info as info_cache_network_info')
    .where('instances.uuid', '=', uuid)
    .executeTakeFirst();
  if (!r || r.deleted !== 0) return undefined;
  const { info_cache_network_info: networkInfo, ...row } = r;
  return { row: row as InstanceRow, networkInfo };
}

/** The live instances on a host, in id order. */
export function selectInstancesByHost(db: Db, host: string): Promise<InstanceRow[]> {
  return db.selectFrom('instances').selectAll().where('host', '=', host).where('deleted', '=', 0).orderBy('id', 'asc').execute();
}

/** The live instances with this display name, in id order (a server named on the command line). */
export function selectInstancesByDisplayName(db: Db, name: string): Promise<InstanceRow[]> {
  return db.selectFrom('instances').selectAll().where('display_name', '=', name).where('deleted', '=', 0).orderBy('id', 'asc').execute();
}

/** Live instances with no host that are building or being deleted, in id order. */
export function selectUnsettledInstancesWithoutHost(db: Db): Promise<InstanceRow[]> {
  return db
    .selectFrom('instances')
    .selectAll()
    .where('host', 'is', null)
    .where('deleted', '=', 0)
    .where((eb) => eb.or([eb('vm_state', '=', VmState.BUILDING), eb('task_state', '=', TaskState.DELETING)]))
    .orderBy('id', 'asc')
    .execute();
}

/** The live instances on a host as the hypervisor views list them (id, uuid, task_state), in id order. */
export function selectInstanceStatesOnHost(db: Db, host: string): Promise<Pick<InstanceRow, 'id' | 'uuid' | 'task_state'>[]> {
  return db.selectFrom('instances').select(['id', 'uuid', 'task_state']).where('host', '=', host).where('deleted', '=', 0).orderBy('id').execute();
}

/** The live instances on a host by name and uuid, in id order. */
export function selectInstanceNamesOnHost(db: Db, host: string): Promise<Pick<InstanceRow, 'uuid' | 'display_name'>[]> {
  return db.selectFrom('instances').select(['uuid', 'display_name']).where('host', '=', host).where('deleted', '=', 0).orderBy('id').execute();
}

/**
 * nova's update_on_match: one conditional UPDATE of a live instance, applied only when
 * its task_state is one of `expectedTaskState` (null matching NULL) if given. Returns the
 * number of rows updated: 0 when the instance is gone or in another task state.
 */
export async function updateInstanceOnMatch(db: Db, uuid: string, set: Record<string, unknown>, expectedTaskState?: (string | null)[]): Promise<number> {
  const q = onMatch(db.updateTable('instances').set(set).where('uuid', '=', uuid).where('deleted', '=', 0), expectedTaskState);
  const { numUpdatedRows } = await q.executeTakeFirst();
  return Number(numUpdatedRows);
}

/** `q` restricted to rows whose task_state is one of `expected` (null matching NULL), when given. */
function onMatch<Q extends WhereInterface<NovaDB, 'instances'>>(q: Q, expected?: (string | null)[]): Q {
  if (!expected) return q;
  const states = expected.filter((s): s is string => s !== null);
  return q.where((eb) => {
    const ors = [];
    if (states.length) ors.push(eb('task_state', 'in', states));
    if (states.length < expected.length) ors.push(eb('task_state', 'is', null));
    return eb.or(ors);
  }) as Q;
}

/**
 * updateInstanceOnMatch returning the updated row, in one statement where the dialect
 * has UPDATE … RETURNING (PostgreSQL, SQLite): undefined when no row matched. MariaDB
 * has no UPDATE … RETURNING: there the row is read after the UPDATE, by uuid, as before.
 */
export async function updateInstanceOnMatchReturning(db: Db, uuid: string, set: Record<string, unknown>, expectedTaskState?: (string | null)[]): Promise<InstanceRow | undefined> {
  if (!db.getExecutor().adapter.supportsReturning) {
    const updated = await updateInstanceOnMatch(db, uuid, set, expectedTaskState);
    return updated === 0 ? undefined : findInstance(db, uuid, false);
  }
  const states = expectedTaskState?.filter((s): s is string => s !== null) ?? [];
  const withNull = !!expectedTaskState && states.length < expectedTaskState.length;
  // Undefined values are left out, as Kysely's set() leaves them out.
  const args: OnMatchArgs = { uuid, states, columns: [], expected: expectedTaskState ? { states: states.length, withNull } : undefined };
  for (const [k, v] of Object.entries(set)) {
    if (v === undefined) continue;
    args.columns.push(k);
    args[`set_${k}`] = v;
  }
  return updateReturning.first(db, args);
}

/** updateReturning's arguments: the placeholders uuid, states and set_<column> (one per column set), and the shape. */
type OnMatchArgs = {
  uuid: string;
  states: string[];
  /** The columns set, in order (shape). */
  columns: string[];
  /** How many non-null expected task states and whether null is one (shape); none: no guard. */
  expected: { states: number; withNull: boolean } | undefined;
} & { [column: `set_${string}`]: unknown };

/**
 * updateInstanceOnMatchReturning's statement, compiled once per shape: the columns set
 * and the expected task states (how many, whether null is one).
 */
const updateReturning = statements(
  (a: OnMatchArgs) => `${a.columns.join(',')}|${a.expected ? `${a.expected.states}${a.expected.withNull ? '+null' : ''}` : '-'}`,
  (db: Db, p, a) => {
    const set = Object.fromEntries(a.columns.map((k) => [k, p[`set_${k}`]]));
    const expected = a.expected && [...each(p.states, a.expected.states), ...(a.expected.withNull ? [null] : [])];
    return onMatch(db.updateTable('instances').set(set).where('uuid', '=', p.uuid).where('deleted', '=', 0), expected).returningAll();
  },
);

/** The id of the live instance with this uuid, or undefined. */
export function findLiveInstanceId(db: Db, uuid: string): Promise<{ id: number } | undefined> {
  return liveInstanceId.first(db, { uuid });
}

const liveInstanceId = statement((db: Db, p: { uuid: string }) => db.selectFrom('instances').select(['id']).where('uuid', '=', p.uuid).where('deleted', '=', 0));

/** Soft-deletes an instance: deleted = its id, vm_state deleted, deleted/terminated/updated at `now`. */
export async function softDeleteInstance(db: Db, uuid: string, id: number, now: string): Promise<void> {
  await db
    .updateTable('instances')
    .set({ deleted: id, deleted_at: now, vm_state: 'deleted', task_state: null, terminated_at: now, updated_at: now })
    .where('uuid', '=', uuid)
    .execute();
}

/** Removes an instance from every server group it is a member of. */
export async function deleteGroupMembershipsOfInstance(db: Db, uuid: string): Promise<void> {
  await db.deleteFrom('instance_group_member').where('instance_uuid', '=', uuid).execute();
}

/** Inserts an instance's info cache. */
export async function insertInfoCache(db: Db, row: Insertable<InstanceInfoCachesTable>): Promise<void> {
  await db.insertInto('instance_info_caches').values(row).execute();
}

/** Deletes an instance's info cache. */
export async function deleteInfoCache(db: Db, uuid: string): Promise<void> {
  await db.deleteFrom('instance_info_caches').where('instance_uuid', '=', uuid).execute();
}

/** An instance's network_info (JSON text), or undefined when it has no cache. */
export async function selectNetworkInfo(db: Db, uuid: string): Promise<string | undefined> {
  const row = await networkInfoOf.first(db, { uuid });
  return row?.network_info;
}

const networkInfoOf = statement((db: Db, p: { uuid: string }) => db.selectFrom('instance_info_caches').select('network_info').where('instance_uuid', '=', p.uuid));

/** The info caches of several instances (those that have one). */
export async function selectNetworkInfos(db: Db, uuids: readonly string[]): Promise<Pick<Selectable<InstanceInfoCachesTable>, 'instance_uuid' | 'network_info'>[]> {
  const out: Pick<Selectable<InstanceInfoCachesTable>, 'instance_uuid' | 'network_info'>[] = [];
  // In slices, within every dialect's limit on bound parameters.
  for (let i = 0; i < uuids.length; i += 500) {
    out.push(...(await db.selectFrom('instance_info_caches').select(['instance_uuid', 'network_info']).where('instance_uuid', 'in', uuids.slice(i, i + 500)).execute()));
  }
  return out;
}

/** Replaces an instance's network_info (JSON text). */
export async function updateInfoCacheNetworkInfo(db: Db, uuid: string, networkInfo: string, now: string): Promise<void> {
  await networkInfoUpdate.affected(db, { uuid, networkInfo, now });
}

const networkInfoUpdate = statement((db: Db, p: { uuid: string; networkInfo: string; now: string }) =>
  db.updateTable('instance_info_caches').set({ network_info: p.networkInfo, updated_at: p.now }).where('instance_uuid', '=', p.uuid),
);

/** Inserts an instance fault. */
export async function insertInstanceFault(db: Db, row: Insertable<InstanceFaultsTable>): Promise<void> {
  await db.insertInto('instance_faults').values(row).execute();
}

/** The faults of several instances, each instance's in id order. */
export async function selectFaultsOfInstances(db: Db, uuids: readonly string[]): Promise<InstanceFaultRow[]> {
  const out: InstanceFaultRow[] = [];
  for (let i = 0; i < uuids.length; i += 500) {
    out.push(...(await db.selectFrom('instance_faults').selectAll().where('instance_uuid', 'in', uuids.slice(i, i + 500)).orderBy('id', 'asc').execute()));
  }
  return out;
}

/** Live instances with a task in progress (a build, a delete, a migration...), for snapshots that need a quiescent cloud. */
export function selectBusyInstances(db: Db): Promise<Pick<InstanceRow, 'uuid' | 'vm_state' | 'task_state'>[]> {
  return db
    .selectFrom('instances')
    .select(['uuid', 'vm_state', 'task_state'])
    .where('deleted', '=', 0)
    .where((eb) => eb.or([eb('task_state', 'is not', null), eb('vm_state', '=', VmState.BUILDING)]))
    .orderBy('id', 'asc')
    .execute();
}
