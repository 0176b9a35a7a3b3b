/**
 * The subnet pool store: pools, their prefixes and the CIDRs allocated from them. Every
 * function takes the caller's database handle, so a plugin call runs it inside its own
 * transaction.
 */
import type { Kysely } from 'kysely';
import type { NeutronDB, SubnetPoolRow } from './schema.js';

type Db = Kysely<NeutronDB>;

/** One pool by id, or undefined. */
export function getSubnetPool(db: Db, id: string): Promise<SubnetPoolRow | undefined> {
  return db.selectFrom('subnetpools').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Every pool in creation order (visibility is the caller's business). */
export function listSubnetPools(db: Db): Promise<SubnetPoolRow[]> {
  return db.selectFrom('subnetpools').selectAll().orderBy('created_at').orderBy('id').execute();
}

/** The stored prefixes of each pool: id → CIDR texts. */
export async function prefixesOf(db: Db, ids: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('subnetpoolprefixes').selectAll().where('subnetpool_id', 'in', ids.slice(i, i + 500)).execute();
    for (const r of rows) out.get(r.subnetpool_id)?.push(r.cidr);
  }
  return out;
}

/** Inserts a pool with its prefixes. */
export async function insertSubnetPool(db: Db, row: SubnetPoolRow, prefixes: readonly string[]): Promise<void> {
  await db.insertInto('subnetpools').values(row).execute();
  await replacePrefixes(db, row.id, prefixes);
}

/** Updates a pool's columns. */
export async function updateSubnetPool(db: Db, id: string, set: Partial<SubnetPoolRow>): Promise<void> {
  await db.updateTable('subnetpools').set(set).where('id', '=', id).execute();
}

/** Replaces a pool's prefix list (SubnetPool._attach_prefixes). */
export async function replacePrefixes(db: Db, id: string, prefixes: readonly string[]): Promise<void> {
  await db.deleteFrom('subnetpoolprefixes').where('subnetpool_id', '=', id).execute();
  if (prefixes.length) await db.insertInto('subnetpoolprefixes').values(prefixes.map((cidr) => ({ cidr, subnetpool_id: id }))).execute();
}

/** Deletes a pool and its prefixes. */
export async function deleteSubnetPool(db: Db, id: string): Promise<void> {
  await db.deleteFrom('subnetpoolprefixes').where('subnetpool_id', '=', id).execute();
  await db.deleteFrom('subnetpools').where('id', '=', id).execute();
}

/** The CIDRs of the subnets allocated from a pool, optionally only a project's. */
export async function allocatedCidrs(db: Db, poolId: string, projectId?: string): Promise<string[]> {
  let q = db.selectFrom('subnets').select('cidr').where('subnetpool_id', '=', poolId);
  if (projectId !== undefined) q = q.where('project_id', '=', projectId);
  return (await q.execute()).map((r) => r.cidr);
}

/**
 * SubnetAllocator._lock_subnetpool: rewrites the pool's hash only if it still holds
 * `current`; false when another allocation got there first.
 */
export async function lockSubnetPool(db: Db, id: string, current: string, next: string): Promise<boolean> {
  const res = await db.updateTable('subnetpools').set({ hash: next }).where('id', '=', id).where('hash', '=', current).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
