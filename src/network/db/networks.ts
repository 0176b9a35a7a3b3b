/**
 * The networks table, and the floating IPs a network's delete clears first. Every
 * function takes the connection or transaction to run in; the caller owns atomicity.
 */
import type { Kysely } from 'kysely';
import { each, statements } from '../../db/statement.js';
import type { NetworkRow, NeutronDB } from './schema.js';

type Db = Kysely<NeutronDB>;

/** One network by id, or undefined. */
export function selectNetwork(db: Db, id: string): Promise<NetworkRow | undefined> {
  return db.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** One network by id; throws Kysely's NoResultError when there is none (callers hold a row referencing it). */
export function selectNetworkOrThrow(db: Db, id: string): Promise<NetworkRow> {
  return db.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The owner of a network, or undefined when there is no such network. */
export function selectNetworkProject(db: Db, id: string): Promise<{ project_id: string } | undefined> {
  return db.selectFrom('networks').select('project_id').where('id', '=', id).executeTakeFirst();
}

/** Whether a network is shared, or undefined when there is no such network. */
export function selectNetworkShared(db: Db, id: string): Promise<{ shared: number } | undefined> {
  return db.selectFrom('networks').select(['shared']).where('id', '=', id).executeTakeFirst();
}

/** A network's revision_number, or undefined when there is no such network. */
export function selectNetworkRevision(db: Db, id: string): Promise<{ revision_number: number } | undefined> {
  return db.selectFrom('networks').select('revision_number').where('id', '=', id).executeTakeFirst();
}

/** The ids of a project's own networks. */
export async function selectNetworkIdsOfProject(db: Db, projectId: string): Promise<string[]> {
  return (await db.selectFrom('networks').select('id').where('project_id', '=', projectId).execute()).map((n) => n.id);
}

/** The ids of the shared networks. */
export async function selectSharedNetworkIds(db: Db): Promise<string[]> {
  return (await db.selectFrom('networks').select('id').where('shared', '=', 1).execute()).map((n) => n.id);
}

/** The MTU of each of these networks (those that exist). */
export async function selectNetworkMtus(db: Db, ids: readonly string[]): Promise<Map<string, number>> {
  return new Map((await db.selectFrom('networks').select(['id', 'mtu']).where('id', 'in', ids).execute()).map((n) => [n.id, n.mtu]));
}

/** What the networks list may filter on in SQL. */
export interface NetworkFilters {
  id?: string[];
  name?: string[];
}

/** Networks narrowed by `filters`, in creation order (visibility is the caller's business). */
export function selectNetworks(db: Db, filters: NetworkFilters): Promise<NetworkRow[]> {
  return networksFiltered.rows(db, filters);
}

/** selectNetworks' statement, compiled once per shape (which filters, how many values each). */
const networksFiltered = statements(
  (f: NetworkFilters) => `${f.id?.length ?? '-'},${f.name?.length ?? '-'}`,
  (db: Db, p, shapeFrom) => {
    let q = db.selectFrom('networks').selectAll();
    if (shapeFrom.id) q = q.where('id', 'in', each(p.id, shapeFrom.id.length));
    if (shapeFrom.name) q = q.where('name', 'in', each(p.name, shapeFrom.name.length));
    return q.orderBy('created_at').orderBy('id');
  },
);

/** One network or all, ordered by created_at only (network-ip-availability's order). */
export function selectNetworksByCreation(db: Db, id?: string): Promise<NetworkRow[]> {
  let q = db.selectFrom('networks').selectAll();
  if (id) q = q.where('id', '=', id);
  return q.orderBy('created_at').execute();
}

/** Inserts a network row. */
export async function insertNetwork(db: Db, row: NetworkRow): Promise<void> {
  await db.insertInto('networks').values(row).execute();
}

/** Updates a network's columns. */
export async function updateNetwork(db: Db, id: string, set: Partial<NetworkRow>): Promise<void> {
  await db.updateTable('networks').set(set).where('id', '=', id).execute();
}

/** Deletes a network row (its ports, subnets and segments are the caller's to delete first). */
export async function deleteNetwork(db: Db, id: string): Promise<void> {
  await db.deleteFrom('networks').where('id', '=', id).execute();
}

/** The floating IPs allocated on an external network and not associated with a port. */
export function selectUnassociatedFloatingIps(db: Db, networkId: string): Promise<{ id: string; floating_port_id: string }[]> {
  return db.selectFrom('floatingips').select(['id', 'floating_port_id']).where('floating_network_id', '=', networkId).where('fixed_port_id', 'is', null).execute();
}

/** Deletes floating IP rows by id (their ports are the caller's to delete). */
export async function deleteFloatingIpRows(db: Db, ids: readonly string[]): Promise<void> {
  await db.deleteFrom('floatingips').where('id', 'in', ids).execute();
}
