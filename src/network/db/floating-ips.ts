/**
 * The floatingips table and the rows a floating IP reads or writes elsewhere: its
 * network:floatingip port (with its unbound binding), the target port's addresses and
 * subnet. Every function takes the connection or transaction to run in; the caller
 * owns atomicity.
 */
import type { Kysely } from 'kysely';
import type { FloatingIpRow, NetworkRow, NeutronDB, PortBindingRow, PortRow, SubnetRow } from './schema.js';

type Db = Kysely<NeutronDB>;

/** One floating IP by id, or undefined. */
export function getFloatingIp(db: Db, id: string): Promise<FloatingIpRow | undefined> {
  return db.selectFrom('floatingips').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Floating IPs in creation order, narrowed to the fixed ports and project given. */
export function listFloatingIps(db: Db, where: { fixedPortIds?: readonly string[]; projectId?: string }): Promise<FloatingIpRow[]> {
  let q = db.selectFrom('floatingips').selectAll();
  if (where.fixedPortIds) q = q.where('fixed_port_id', 'in', where.fixedPortIds);
  if (where.projectId !== undefined) q = q.where('project_id', '=', where.projectId);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** Inserts a floating IP row. */
export async function insertFloatingIp(db: Db, row: FloatingIpRow): Promise<void> {
  await db.insertInto('floatingips').values(row).execute();
}

/** Updates a floating IP's columns. */
export async function updateFloatingIp(db: Db, id: string, set: Partial<FloatingIpRow>): Promise<void> {
  await db.updateTable('floatingips').set(set).where('id', '=', id).execute();
}

/** Deletes a floating IP, then the port that held its address (tags are the caller's). */
export async function deleteFloatingIpAndPort(db: Db, id: string, floatingPortId: string): Promise<void> {
  await db.deleteFrom('floatingips').where('id', '=', id).execute();
  await db.deleteFrom('ports').where('id', '=', floatingPortId).execute();
}

/** The port that will hold a floating IP's address, with its binding. */
export async function insertFloatingIpPort(db: Db, port: PortRow, binding: PortBindingRow): Promise<void> {
  await db.insertInto('ports').values(port).execute();
  await db.insertInto('ml2_port_bindings').values(binding).execute();
}

/** The network a floating IP is asked on, or undefined. */
export function getFloatingNetwork(db: Db, id: string): Promise<NetworkRow | undefined> {
  return db.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The port an association targets, or undefined. */
export function getTargetPort(db: Db, id: string): Promise<PortRow | undefined> {
  return db.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The fixed IPs of the port an association targets. */
export function selectTargetPortIps(db: Db, portId: string): Promise<{ ip_address: string; subnet_id: string }[]> {
  return db.selectFrom('ipallocations').select(['ip_address', 'subnet_id']).where('port_id', '=', portId).execute();
}

/** The subnet of a target address; throws when it is gone (it is referenced by the address). */
export function getTargetSubnet(db: Db, id: string): Promise<SubnetRow> {
  return db.selectFrom('subnets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}
