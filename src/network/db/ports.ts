/**
 * The ports table and the children a port's create/update writes with it (security
 * group bindings, allowed address pairs, extra DHCP options), plus the few rows of other
 * tables a port's lifecycle consults (the router or floating IP it belongs to). Every
 * function takes the connection or transaction to run in; the caller owns atomicity.
 */
import type { Kysely } from 'kysely';
import type { AllowedAddressPairRow, ExtraDhcpOptRow, IpAllocationRow, NeutronDB, PortBindingRow, PortRow, SecurityGroupPortBindingRow } from './schema.js';

type Db = Kysely<NeutronDB>;

/** One port by id, or undefined. */
export function selectPort(db: Db, id: string): Promise<PortRow | undefined> {
  return db.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirst();
}

/** One port by id; throws Kysely's NoResultError when there is none. */
export function selectPortOrThrow(db: Db, id: string): Promise<PortRow> {
  return db.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The ports among `ids` that exist (one query: the caller chunks long lists). */
export function selectPortsByIds(db: Db, ids: readonly string[]): Promise<PortRow[]> {
  return db.selectFrom('ports').selectAll().where('id', 'in', ids).execute();
}

/** A port's device (what nova's notifier needs), or undefined. */
export function selectPortDevice(db: Db, id: string): Promise<Pick<PortRow, 'id' | 'device_id' | 'device_owner'> | undefined> {
  return db.selectFrom('ports').select(['id', 'device_id', 'device_owner']).where('id', '=', id).executeTakeFirst();
}

/** What the ports list may filter on in SQL. */
export interface PortFilters {
  id?: string[];
  network_id?: string[];
  device_id?: string[];
  device_owner?: string[];
  name?: string[];
  mac_address?: string[];
  status?: string[];
  project_id?: string[];
}

/** Ports narrowed by `filters`, in creation order (visibility is the caller's business). */
export function selectPorts(db: Db, filters: PortFilters): Promise<PortRow[]> {
  let q = db.selectFrom('ports').selectAll();
  for (const k of ['id', 'network_id', 'device_id', 'device_owner', 'name', 'mac_address', 'status'] as const) {
    const v = filters[k];
    if (v) q = q.where(k, 'in', v);
  }
  if (filters.project_id) q = q.where('project_id', 'in', filters.project_id);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** Whether a MAC address is taken on a network. */
export async function macInUse(db: Db, networkId: string, mac: string): Promise<boolean> {
  return !!(await db.selectFrom('ports').select('id').where('network_id', '=', networkId).where('mac_address', '=', mac).executeTakeFirst());
}

/** A port on the network with this device_owner, if any. */
export function selectPortOfOwnerOnNetwork(db: Db, networkId: string, deviceOwner: string): Promise<{ id: string } | undefined> {
  return db.selectFrom('ports').select('id').where('network_id', '=', networkId).where('device_owner', '=', deviceOwner).executeTakeFirst();
}

/** Every port (id, device_owner) of a network. */
export function selectPortOwnersOnNetwork(db: Db, networkId: string): Promise<{ id: string; device_owner: string }[]> {
  return db.selectFrom('ports').select(['id', 'device_owner']).where('network_id', '=', networkId).execute();
}

/** The ports (id, mac_address) of a network whose device_owner is none of `owners`. */
export function selectPortMacsOnNetworkExcept(db: Db, networkId: string, owners: readonly string[]): Promise<{ id: string; mac_address: string }[]> {
  return db.selectFrom('ports').select(['id', 'mac_address']).where('network_id', '=', networkId).where('device_owner', 'not in', owners).execute();
}

/** The children of ports, for their wire form: every row of each table when `ids` is 'all'. */
export interface PortChildren {
  ips: IpAllocationRow[];
  sgs: SecurityGroupPortBindingRow[];
  binds: PortBindingRow[];
  pairs: AllowedAddressPairRow[];
  opts: ExtraDhcpOptRow[];
}

/** Loads the children of these ports (one query per table: the caller chunks long lists), or of all ports. */
export async function selectPortChildren(db: Db, ids: readonly string[] | 'all'): Promise<PortChildren> {
  const sel = <K extends 'ipallocations' | 'securitygroupportbindings' | 'ml2_port_bindings' | 'allowedaddresspairs' | 'extradhcpopts'>(t: K) =>
    ids === 'all' ? db.selectFrom(t as 'ipallocations').selectAll() : db.selectFrom(t as 'ipallocations').selectAll().where('port_id', 'in', ids);
  const ips = await sel('ipallocations').execute();
  const sgs = (await sel('securitygroupportbindings').execute()) as unknown as SecurityGroupPortBindingRow[];
  const binds = (await sel('ml2_port_bindings').execute()) as unknown as PortBindingRow[];
  const pairs = (await sel('allowedaddresspairs').execute()) as unknown as AllowedAddressPairRow[];
  const opts = (await sel('extradhcpopts').execute()) as unknown as ExtraDhcpOptRow[];
  return { ips, sgs, binds, pairs, opts };
}

/** Inserts a port row; a unique violation means its MAC is taken on the network. */
export async function insertPort(db: Db, row: PortRow): Promise<void> {
  await db.insertInto('ports').values(row).execute();
}

/** Updates a port's columns. */
export async function updatePort(db: Db, id: string, set: Partial<PortRow>): Promise<void> {
  await db.updateTable('ports').set(set).where('id', '=', id).execute();
}

/** Sets these ports' status, bumping each one's revision_number (one statement: the caller chunks). */
export async function updatePortsStatus(db: Db, ids: readonly string[], status: string, updatedAt: string): Promise<void> {
  await db
    .updateTable('ports')
    .set((eb) => ({ status, updated_at: updatedAt, revision_number: eb('revision_number', '+', 1) }))
    .where('id', 'in', ids)
    .execute();
}

/** Deletes one port row (its children go by foreign key). */
export async function deletePort(db: Db, id: string): Promise<void> {
  await db.deleteFrom('ports').where('id', '=', id).execute();
}

/** Deletes port rows by id. */
export async function deletePortsById(db: Db, ids: readonly string[]): Promise<void> {
  await db.deleteFrom('ports').where('id', 'in', ids).execute();
}

/** Deletes every port row of a network. */
export async function deletePortsOfNetwork(db: Db, networkId: string): Promise<void> {
  await db.deleteFrom('ports').where('network_id', '=', networkId).execute();
}

/** Whether a port is bound to any security group. */
export async function portHasSecurityGroups(db: Db, portId: string): Promise<boolean> {
  return !!(await db.selectFrom('securitygroupportbindings').select('port_id').where('port_id', '=', portId).executeTakeFirst());
}

/** Drops a port's security group bindings. */
export async function deletePortSecurityGroups(db: Db, portId: string): Promise<void> {
  await db.deleteFrom('securitygroupportbindings').where('port_id', '=', portId).execute();
}

/** Binds a port to these security groups (none: nothing is written). */
export async function insertPortSecurityGroups(db: Db, portId: string, groupIds: readonly string[]): Promise<void> {
  if (groupIds.length) await db.insertInto('securitygroupportbindings').values(groupIds.map((sg) => ({ port_id: portId, security_group_id: sg }))).execute();
}

/** Replaces a port's allowed address pairs. */
export async function replaceAllowedAddressPairs(db: Db, portId: string, pairs: readonly AllowedAddressPairRow[]): Promise<void> {
  await db.deleteFrom('allowedaddresspairs').where('port_id', '=', portId).execute();
  if (pairs.length) await db.insertInto('allowedaddresspairs').values(pairs).execute();
}

/** Replaces a port's extra DHCP options. */
export async function replaceExtraDhcpOpts(db: Db, portId: string, opts: readonly ExtraDhcpOptRow[]): Promise<void> {
  await db.deleteFrom('extradhcpopts').where('port_id', '=', portId).execute();
  if (opts.length) await db.insertInto('extradhcpopts').values(opts).execute();
}

/** The owner of the router a port's device_id names, or undefined when there is no such router. */
export function selectDeviceRouterProject(db: Db, routerId: string): Promise<{ project_id: string } | undefined> {
  return db.selectFrom('routers').select('project_id').where('id', '=', routerId).executeTakeFirst();
}

/** Whether the router or floating IP a service port belongs to still exists. */
export async function l3DeviceExists(db: Db, table: 'routers' | 'floatingips', id: string): Promise<boolean> {
  return !!(await db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst());
}

/** Disassociates the floating IPs bound to a port being deleted (they go DOWN, routerless). */
export async function disassociateFloatingIpsOfPort(db: Db, portId: string): Promise<void> {
  await db.updateTable('floatingips').set({ fixed_port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' }).where('fixed_port_id', '=', portId).execute();
}
