/**
 * The services and compute_nodes statements (nova/db/main/api.py's service_* and
 * compute_node_*). Every function takes the caller's handle, so a caller may run it in
 * its own transaction; the NotFound errors, heartbeats and is_up are ServiceStore's
 * (objects/services.ts).
 */
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { ComputeNodesTable, NovaDB, ServicesTable } from './schema.js';

type Db = Kysely<NovaDB>;

/** A services row. Booleans are 0/1, times ISO text (isoMicros). */
export type ServiceRow = Selectable<ServicesTable>;
/** A compute_nodes row. */
export type ComputeNodeRow = Selectable<ComputeNodesTable>;

/** The service of (host, binary), or undefined. */
export function findServiceByHostAndBinary(db: Db, host: string, binary: string): Promise<ServiceRow | undefined> {
  return db.selectFrom('services').selectAll().where('host', '=', host).where('binary', '=', binary).executeTakeFirst();
}

/** A service by integer id or uuid, or undefined. */
export function findService(db: Db, id: number | string): Promise<ServiceRow | undefined> {
  const q = db.selectFrom('services').selectAll();
  return (typeof id === 'number' ? q.where('id', '=', id) : q.where('uuid', '=', id)).executeTakeFirst();
}

/** Every service in creation order, optionally of one host and/or binary. */
export function selectServices(db: Db, filter: { host?: string; binary?: string } = {}): Promise<ServiceRow[]> {
  let q = db.selectFrom('services').selectAll();
  if (filter.host !== undefined) q = q.where('host', '=', filter.host);
  if (filter.binary !== undefined) q = q.where('binary', '=', filter.binary);
  return q.orderBy('id').execute();
}

/** The topics of the enabled services (what their availability zones derive from). */
export function selectEnabledServiceTopics(db: Db): Promise<Pick<ServiceRow, 'topic'>[]> {
  return db.selectFrom('services').select('topic').where('disabled', '=', 0).execute();
}

/** Inserts a service; a (host, binary) already registered fails with the dialect's unique violation. */
export async function insertService(db: Db, row: Insertable<ServicesTable>): Promise<void> {
  await db.insertInto('services').values(row).execute();
}

/** Updates a service's columns by id. */
export async function updateService(db: Db, id: number, set: Updateable<ServicesTable>): Promise<void> {
  await db.updateTable('services').set(set).where('id', '=', id).execute();
}

/** One report_state: report_count + 1, last_seen_up and updated_at `now`; the number of rows updated (0 when the row is gone). */
export async function recordServiceReport(db: Db, id: number, now: string): Promise<number> {
  const r = await db
    .updateTable('services')
    .set((eb) => ({ report_count: eb('report_count', '+', 1), last_seen_up: now, updated_at: now }))
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Deletes a service row by id. */
export async function deleteService(db: Db, id: number): Promise<void> {
  await db.deleteFrom('services').where('id', '=', id).execute();
}

/** Deletes every compute node of a host. */
export async function deleteComputeNodesOfHost(db: Db, host: string): Promise<void> {
  await db.deleteFrom('compute_nodes').where('host', '=', host).execute();
}

/** The compute nodes of a host and/or with a hypervisor_hostname (null: any), in id order. */
export function selectComputeNodesByHostOrNode(db: Db, host: string | null, node: string | null): Promise<ComputeNodeRow[]> {
  let q = db.selectFrom('compute_nodes').selectAll();
  if (host !== null) q = q.where('host', '=', host);
  if (node !== null) q = q.where('hypervisor_hostname', '=', node);
  return q.orderBy('id').execute();
}

/** The id of the compute node with this hypervisor_hostname, or undefined. */
export function findComputeNodeIdByHypervisorHostname(db: Db, hypervisorHostname: string): Promise<{ id: number } | undefined> {
  return db.selectFrom('compute_nodes').select('id').where('hypervisor_hostname', '=', hypervisorHostname).executeTakeFirst();
}

/** The compute node with this hypervisor_hostname; throws (Kysely's NoResultError) when there is none. */
export function getComputeNodeByHypervisorHostname(db: Db, hypervisorHostname: string): Promise<ComputeNodeRow> {
  return db.selectFrom('compute_nodes').selectAll().where('hypervisor_hostname', '=', hypervisorHostname).executeTakeFirstOrThrow();
}

/** Inserts a compute node. */
export async function insertComputeNode(db: Db, row: Insertable<ComputeNodesTable>): Promise<void> {
  await db.insertInto('compute_nodes').values(row).execute();
}

/** Updates a compute node's columns by id. */
export async function updateComputeNode(db: Db, id: number, set: Updateable<ComputeNodesTable>): Promise<void> {
  await db.updateTable('compute_nodes').set(set).where('id', '=', id).execute();
}

/** Updates every compute node of a host; the number of rows updated. */
export async function updateComputeNodesOfHost(db: Db, host: string, set: Updateable<ComputeNodesTable>): Promise<number> {
  const r = await db.updateTable('compute_nodes').set(set).where('host', '=', host).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Compute nodes in id order, after the node `marker`, at most `limit`. */
export function selectComputeNodesPage(db: Db, o: { limit?: number; marker?: { id: number } } = {}): Promise<ComputeNodeRow[]> {
  let q = db.selectFrom('compute_nodes').selectAll();
  if (o.marker) q = q.where('id', '>', o.marker.id);
  q = q.orderBy('id');
  if (o.limit !== undefined) q = q.limit(o.limit);
  return q.execute();
}

/** A compute node by integer id or uuid, or undefined. */
export function findComputeNode(db: Db, id: number | string): Promise<ComputeNodeRow | undefined> {
  const q = db.selectFrom('compute_nodes').selectAll();
  return (typeof id === 'number' ? q.where('id', '=', id) : q.where('uuid', '=', id)).executeTakeFirst();
}

/** Every compute node in id order. */
export function selectComputeNodes(db: Db): Promise<ComputeNodeRow[]> {
  return db.selectFrom('compute_nodes').selectAll().orderBy('id').execute();
}
