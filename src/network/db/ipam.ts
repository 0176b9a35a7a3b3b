/**
 * The ipallocations table: one row per fixed IP of a port, (subnet_id, ip_address) its
 * primary key so an address has one owner. Every function takes the connection or
 * transaction to run in; the caller owns atomicity (and any savepoint around an insert
 * whose unique violation it survives).
 */
import type { Kysely } from 'kysely';
import type { IpAllocationRow, NeutronDB } from './schema.js';

type Db = Kysely<NeutronDB>;

/** Inserts one allocation; a unique violation means the address is taken. */
export async function insertIpAllocation(db: Db, row: IpAllocationRow): Promise<void> {
  await db.insertInto('ipallocations').values(row).execute();
}

/** Which of these address texts of a subnet are allocated. */
export async function selectAllocatedAmong(db: Db, subnetId: string, ips: readonly string[]): Promise<string[]> {
  return (await db.selectFrom('ipallocations').select('ip_address').where('subnet_id', '=', subnetId).where('ip_address', 'in', ips).execute()).map((r) => r.ip_address);
}

/** Every allocated address text of a subnet. */
export async function selectAllocatedIps(db: Db, subnetId: string): Promise<string[]> {
  return (await db.selectFrom('ipallocations').select('ip_address').where('subnet_id', '=', subnetId).execute()).map((r) => r.ip_address);
}

/** The port holding an address of a subnet, if any. */
export function selectIpHolder(db: Db, subnetId: string, ip: string): Promise<{ port_id: string } | undefined> {
  return db.selectFrom('ipallocations').select('port_id').where('subnet_id', '=', subnetId).where('ip_address', '=', ip).executeTakeFirst();
}

/** A port's allocations. */
export function selectIpAllocationsOfPort(db: Db, portId: string): Promise<IpAllocationRow[]> {
  return db.selectFrom('ipallocations').selectAll().where('port_id', '=', portId).execute();
}

/** Whether a port holds any address. */
export async function portHoldsAddresses(db: Db, portId: string): Promise<boolean> {
  return !!(await db.selectFrom('ipallocations').select('port_id').where('port_id', '=', portId).executeTakeFirst());
}

/** The ports (id, device_owner) holding addresses of a subnet, one entry per address. */
export function selectSubnetHolders(db: Db, subnetId: string): Promise<{ id: string; device_owner: string }[]> {
  return db
    .selectFrom('ipallocations')
    .innerJoin('ports', 'ports.id', 'ipallocations.port_id')
    .select(['ports.id', 'ports.device_owner'])
    .where('ipallocations.subnet_id', '=', subnetId)
    .execute();
}

/** How many addresses each subnet of a network has allocated (subnets with none are absent). */
export async function countAllocationsBySubnet(db: Db, networkId: string): Promise<Map<string, number>> {
  const used = await db
    .selectFrom('ipallocations')
    .select(['subnet_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('network_id', '=', networkId)
    .groupBy('subnet_id')
    .execute();
  return new Map(used.map((u) => [u.subnet_id, Number(u.n)]));
}

/** Frees one address. */
export async function deleteIpAllocation(db: Db, subnetId: string, ip: string): Promise<void> {
  await db.deleteFrom('ipallocations').where('subnet_id', '=', subnetId).where('ip_address', '=', ip).execute();
}

/** Frees every address of these subnets. */
export async function deleteIpAllocationsOfSubnets(db: Db, subnetIds: readonly string[]): Promise<void> {
  await db.deleteFrom('ipallocations').where('subnet_id', 'in', subnetIds).execute();
}

/** Frees every address of one subnet. */
export async function deleteIpAllocationsOfSubnet(db: Db, subnetId: string): Promise<void> {
  await db.deleteFrom('ipallocations').where('subnet_id', '=', subnetId).execute();
}
