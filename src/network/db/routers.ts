/**
 * The router tables (routers, routerports, routerroutes) and the rows of ports,
 * addresses, subnets and floating IPs the L3 plugin reads or writes with them. Every
 * function takes the connection or transaction to run in; the caller owns atomicity.
 * Port types (network:router_gateway, ...) are passed in by the plugin, which owns them.
 */
import type { Kysely } from 'kysely';
import type { NeutronDB, PortRow, RouterRow, RouterRouteRow, SubnetRow } from './schema.js';

type Db = Kysely<NeutronDB>;

/** An extra route of a router. */
export interface RouteEntry {
  destination: string;
  nexthop: string;
}

/** One router by id, or undefined. */
export function getRouter(db: Db, id: string): Promise<RouterRow | undefined> {
  return db.selectFrom('routers').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Routers in creation order, narrowed to the ids and project given. */
export function listRouters(db: Db, where: { ids?: readonly string[]; projectId?: string }): Promise<RouterRow[]> {
  let q = db.selectFrom('routers').selectAll();
  if (where.ids) q = q.where('id', 'in', where.ids);
  if (where.projectId !== undefined) q = q.where('project_id', '=', where.projectId);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** Inserts a router row. */
export async function insertRouter(db: Db, row: RouterRow): Promise<void> {
  await db.insertInto('routers').values(row).execute();
}

/** Updates a router's columns. */
export async function updateRouter(db: Db, id: string, set: Partial<RouterRow>): Promise<void> {
  await db.updateTable('routers').set(set).where('id', '=', id).execute();
}

/** Deletes a router row (its ports, routes and tags are the caller's). */
export async function deleteRouter(db: Db, id: string): Promise<void> {
  await db.deleteFrom('routers').where('id', '=', id).execute();
}

/** The extra routes of many routers. */
export function selectRoutesOfRouters(db: Db, routerIds: readonly string[]): Promise<RouterRouteRow[]> {
  return db.selectFrom('routerroutes').selectAll().where('router_id', 'in', routerIds).execute();
}

/** The extra routes of one router. */
export async function selectRoutes(db: Db, routerId: string): Promise<RouteEntry[]> {
  return (await db.selectFrom('routerroutes').select(['destination', 'nexthop']).where('router_id', '=', routerId).execute()).map((r) => ({ destination: r.destination, nexthop: r.nexthop }));
}

/** Adds one extra route. */
export async function insertRoute(db: Db, routerId: string, route: RouteEntry): Promise<void> {
  await db.insertInto('routerroutes').values({ router_id: routerId, destination: route.destination, nexthop: route.nexthop }).execute();
}

/** Removes one extra route. */
export async function deleteRoute(db: Db, routerId: string, route: RouteEntry): Promise<void> {
  await db.deleteFrom('routerroutes').where('router_id', '=', routerId).where('destination', '=', route.destination).where('nexthop', '=', route.nexthop).execute();
}

/** Removes every extra route of a router. */
export async function deleteRoutesOf(db: Db, routerId: string): Promise<void> {
  await db.deleteFrom('routerroutes').where('router_id', '=', routerId).execute();
}

/** The ids of a router's ports, only those of `portType` when given. */
export async function selectRouterPortIds(db: Db, routerId: string, portType?: string): Promise<string[]> {
  let q = db.selectFrom('routerports').select('port_id').where('router_id', '=', routerId);
  if (portType !== undefined) q = q.where('port_type', '=', portType);
  return (await q.execute()).map((p) => p.port_id);
}

/** Whether the port is the router's port of `portType`. */
export async function isRouterPort(db: Db, routerId: string, portId: string, portType: string): Promise<boolean> {
  return !!(await db.selectFrom('routerports').select('port_id').where('router_id', '=', routerId).where('port_id', '=', portId).where('port_type', '=', portType).executeTakeFirst());
}

/** Records a port as the router's, of `portType`. */
export async function insertRouterPort(db: Db, routerId: string, portId: string, portType: string): Promise<void> {
  await db.insertInto('routerports').values({ router_id: routerId, port_id: portId, port_type: portType }).execute();
}

/** The router's ports of `portType` on a network. */
export function selectRouterPortsOnNetwork(db: Db, routerId: string, portType: string, networkId: string): Promise<PortRow[]> {
  return db
    .selectFrom('routerports')
    .innerJoin('ports', 'ports.id', 'routerports.port_id')
    .selectAll('ports')
    .where('routerports.router_id', '=', routerId)
    .where('routerports.port_type', '=', portType)
    .where('ports.network_id', '=', networkId)
    .execute();
}

/** The addresses (with their subnet's CIDR and network) of a router's ports, one port left out when named. */
export function selectRouterPortIps(db: Db, routerId: string, exceptPort: string | null = null) {
  let q = db
    .selectFrom('routerports')
    .innerJoin('ipallocations', 'ipallocations.port_id', 'routerports.port_id')
    .innerJoin('subnets', 'subnets.id', 'ipallocations.subnet_id')
    .select(['routerports.port_id', 'routerports.port_type', 'ipallocations.subnet_id', 'ipallocations.ip_address', 'subnets.cidr', 'subnets.network_id'])
    .where('routerports.router_id', '=', routerId);
  if (exceptPort) q = q.where('routerports.port_id', '!=', exceptPort);
  return q.execute();
}

/** One port by id, or undefined. */
export function getPort(db: Db, id: string): Promise<PortRow | undefined> {
  return db.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirst();
}

/** One port by id, for a port known to exist; throws otherwise. */
export function requirePort(db: Db, id: string): Promise<PortRow> {
  return db.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The networks of the given (gateway) ports. */
export function selectPortNetworks(db: Db, ids: readonly string[]): Promise<{ id: string; network_id: string }[]> {
  return db.selectFrom('ports').select(['id', 'network_id']).where('id', 'in', ids).execute();
}

/** Hands a port to a router as its interface (device_id/owner, updated_at, revision). */
export async function updatePortDevice(db: Db, id: string, set: Pick<PortRow, 'device_id' | 'device_owner' | 'updated_at' | 'revision_number'>): Promise<void> {
  await db.updateTable('ports').set(set).where('id', '=', id).execute();
}

/** Deletes one port row (its tags are the caller's; addresses and bindings cascade). */
export async function deletePort(db: Db, id: string): Promise<void> {
  await db.deleteFrom('ports').where('id', '=', id).execute();
}

/** Deletes port rows (their tags are the caller's; addresses and bindings cascade). */
export async function deletePorts(db: Db, ids: readonly string[]): Promise<void> {
  await db.deleteFrom('ports').where('id', 'in', ids).execute();
}

/** The fixed IPs of one port. */
export function selectPortIps(db: Db, portId: string): Promise<{ subnet_id: string; ip_address: string }[]> {
  return db.selectFrom('ipallocations').select(['subnet_id', 'ip_address']).where('port_id', '=', portId).execute();
}

/** The fixed IPs of many ports. */
export function selectPortsIps(db: Db, portIds: readonly string[]): Promise<{ port_id: string; subnet_id: string; ip_address: string }[]> {
  return db.selectFrom('ipallocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', portIds).execute();
}

/** The ids of the ports with an address on a subnet. */
export async function selectSubnetPortIds(db: Db, subnetId: string): Promise<string[]> {
  return (await db.selectFrom('ipallocations').select('port_id').where('subnet_id', '=', subnetId).execute()).map((r) => r.port_id);
}

/** The subnets of a network. */
export function selectNetworkSubnets(db: Db, networkId: string): Promise<SubnetRow[]> {
  return db.selectFrom('subnets').selectAll().where('network_id', '=', networkId).execute();
}

/** The ids of a network's subnets. */
export async function selectNetworkSubnetIds(db: Db, networkId: string): Promise<string[]> {
  return (await db.selectFrom('subnets').select('id').where('network_id', '=', networkId).execute()).map((s) => s.id);
}

/** Subnets by id. */
export function selectSubnets(db: Db, ids: readonly string[]): Promise<SubnetRow[]> {
  return db.selectFrom('subnets').selectAll().where('id', 'in', ids).execute();
}

/** The CIDRs of subnets by id, ordered by id. */
export function selectSubnetCidrs(db: Db, ids: readonly string[]): Promise<{ id: string; cidr: string }[]> {
  return db.selectFrom('subnets').select(['id', 'cidr']).where('id', 'in', ids).orderBy('id').execute();
}

/** Whether any floating IP routes through the router. */
export async function routerHasFloatingIps(db: Db, routerId: string): Promise<boolean> {
  return !!(await db.selectFrom('floatingips').select('id').where('router_id', '=', routerId).executeTakeFirst());
}

/** The fixed side of the floating IPs that route through the router. */
export function selectRouterFloatingIps(db: Db, routerId: string): Promise<{ fixed_ip_address: string | null; fixed_port_id: string | null }[]> {
  return db.selectFrom('floatingips').select(['fixed_ip_address', 'fixed_port_id']).where('router_id', '=', routerId).execute();
}

/**
 * get_router_for_floatingip's query: the routers with an interface (one of
 * `interfaceTypes`) holding an address on the internal subnet and a gateway port
 * (`gatewayOwner`) on the external network, with that interface address.
 */
export function selectFloatingIpRouters(
  db: Db,
  q: { internalNetworkId: string; internalSubnetId: string; externalNetworkId: string; interfaceTypes: readonly string[]; gatewayOwner: string },
): Promise<{ router_id: string; ip_address: string }[]> {
  return db
    .selectFrom('routerports')
    .innerJoin('ports', 'ports.id', 'routerports.port_id')
    .innerJoin('ipallocations', 'ipallocations.port_id', 'ports.id')
    .innerJoin('ports as gw_port', 'gw_port.device_id', 'routerports.router_id')
    .select(['routerports.router_id', 'ipallocations.ip_address'])
    .where('ports.network_id', '=', q.internalNetworkId)
    .where('routerports.port_type', 'in', q.interfaceTypes)
    .where('ipallocations.subnet_id', '=', q.internalSubnetId)
    .where('gw_port.network_id', '=', q.externalNetworkId)
    .where('gw_port.device_owner', '=', q.gatewayOwner)
    .distinct()
    .execute();
}
