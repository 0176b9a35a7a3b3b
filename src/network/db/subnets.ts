/**
 * The subnets table and its children (allocation pools, DNS name servers, host routes).
 * Every function takes the connection or transaction to run in; the caller owns
 * atomicity.
 */
import type { Kysely } from 'kysely';
import { each, statements } from '../../db/statement.js';
import type { AllocationPoolRow, DnsNameserverRow, NeutronDB, SubnetRouteRow, SubnetRow } from './schema.js';

type Db = Kysely<NeutronDB>;

/** One subnet by id, or undefined. */
export function selectSubnet(db: Db, id: string): Promise<SubnetRow | undefined> {
  return db.selectFrom('subnets').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A network's subnets in creation order; `byId` breaks created_at ties by id. */
export function selectSubnetsOfNetwork(db: Db, networkId: string, byId = true): Promise<SubnetRow[]> {
  const q = db.selectFrom('subnets').selectAll().where('network_id', '=', networkId).orderBy('created_at');
  return (byId ? q.orderBy('id') : q).execute();
}

/** The (id, network_id) of these networks' subnets, in creation order. */
export function selectSubnetIdsOfNetworks(db: Db, networkIds: readonly string[]): Promise<{ id: string; network_id: string }[]> {
  return subnetIdsOf.rows(db, { ids: networkIds });
}

/** selectSubnetIdsOfNetworks' statement, compiled once per number of networks. */
const subnetIdsOf = statements(
  (a: { ids: readonly string[] }) => String(a.ids.length),
  (db: Db, p, a) => db.selectFrom('subnets').select(['id', 'network_id']).where('network_id', 'in', each(p.ids, a.ids.length)).orderBy('created_at').orderBy('id'),
);

/** The ids of a network's subnets. */
export async function selectSubnetIdsOfNetwork(db: Db, networkId: string): Promise<string[]> {
  return (await db.selectFrom('subnets').select('id').where('network_id', '=', networkId).execute()).map((s) => s.id);
}

/** The CIDR texts of a network's subnets. */
export async function selectSubnetCidrsOfNetwork(db: Db, networkId: string): Promise<string[]> {
  return (await db.selectFrom('subnets').select('cidr').where('network_id', '=', networkId).execute()).map((s) => s.cidr);
}

/** The subnet pool of each subnet of one IP version on a network. */
export function selectSubnetPoolIdsOnNetwork(db: Db, networkId: string, ipVersion: number): Promise<{ subnetpool_id: string | null }[]> {
  return db.selectFrom('subnets').select(['subnetpool_id']).where('network_id', '=', networkId).where('ip_version', '=', ipVersion).execute();
}

/** What the subnets list may filter on in SQL. */
export interface SubnetFilters {
  id?: string[];
  network_id?: string[];
  name?: string[];
}

/** Subnets narrowed by `filters`, in creation order (visibility is the caller's business). */
export function selectSubnets(db: Db, filters: SubnetFilters): Promise<SubnetRow[]> {
  let q = db.selectFrom('subnets').selectAll();
  for (const k of ['id', 'network_id', 'name'] as const) {
    const v = filters[k];
    if (v) q = q.where(k, 'in', v);
  }
  return q.orderBy('created_at').orderBy('id').execute();
}

/** The allocation pools of these subnets (unordered). */
export function selectAllocationPools(db: Db, subnetIds: readonly string[]): Promise<AllocationPoolRow[]> {
  return poolsOf.rows(db, { ids: subnetIds });
}

/** selectAllocationPools' statement, compiled once per number of subnets. */
const poolsOf = statements(
  (a: { ids: readonly string[] }) => String(a.ids.length),
  (db: Db, p, a) => db.selectFrom('ipallocationpools').selectAll().where('subnet_id', 'in', each(p.ids, a.ids.length)),
);

/** The DNS name servers of these subnets, in their order. */
export function selectDnsNameservers(db: Db, subnetIds: readonly string[]): Promise<DnsNameserverRow[]> {
  return nameserversOf.rows(db, { ids: subnetIds });
}

/** selectDnsNameservers' statement, compiled once per number of subnets. */
const nameserversOf = statements(
  (a: { ids: readonly string[] }) => String(a.ids.length),
  (db: Db, p, a) => db.selectFrom('dnsnameservers').selectAll().where('subnet_id', 'in', each(p.ids, a.ids.length)).orderBy('order'),
);

/** The host routes of these subnets. */
export function selectSubnetRoutes(db: Db, subnetIds: readonly string[]): Promise<SubnetRouteRow[]> {
  return db.selectFrom('subnetroutes').selectAll().where('subnet_id', 'in', subnetIds).execute();
}

/** Inserts a subnet row (its children are written separately). */
export async function insertSubnet(db: Db, row: SubnetRow): Promise<void> {
  await db.insertInto('subnets').values(row).execute();
}

/** Updates a subnet's columns. */
export async function updateSubnet(db: Db, id: string, set: Partial<SubnetRow>): Promise<void> {
  await db.updateTable('subnets').set(set).where('id', '=', id).execute();
}

/** Replaces a subnet's allocation pools. */
export async function replaceAllocationPools(db: Db, subnetId: string, pools: readonly AllocationPoolRow[]): Promise<void> {
  await db.deleteFrom('ipallocationpools').where('subnet_id', '=', subnetId).execute();
  if (pools.length) await db.insertInto('ipallocationpools').values(pools).execute();
}

/** Replaces a subnet's DNS name servers. */
export async function replaceDnsNameservers(db: Db, subnetId: string, servers: readonly DnsNameserverRow[]): Promise<void> {
  await db.deleteFrom('dnsnameservers').where('subnet_id', '=', subnetId).execute();
  if (servers.length) await db.insertInto('dnsnameservers').values(servers).execute();
}

/** Replaces a subnet's host routes. */
export async function replaceSubnetRoutes(db: Db, subnetId: string, routes: readonly SubnetRouteRow[]): Promise<void> {
  await db.deleteFrom('subnetroutes').where('subnet_id', '=', subnetId).execute();
  if (routes.length) await db.insertInto('subnetroutes').values(routes).execute();
}

/** Deletes one subnet row. */
export async function deleteSubnet(db: Db, id: string): Promise<void> {
  await db.deleteFrom('subnets').where('id', '=', id).execute();
}

/** Deletes every subnet row of a network. */
export async function deleteSubnetsOfNetwork(db: Db, networkId: string): Promise<void> {
  await db.deleteFrom('subnets').where('network_id', '=', networkId).execute();
}
