/**
 * The ports table and the children a port's create/update writes with it (security
 * group bindings, allowed address pairs, extra DHCP options), plus the few rows of other
 * tables a port's lifecycle consults (the router or floating IP it belongs to). Every
 * function takes the connection or transaction to run in; the caller owns atomicity.
 */
import { type Kysely, sql } from 'kysely';
import { each, statements } from '../../db/statement.js';
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
  return portsFiltered.rows(db, filters);
}

const PORT_FILTERS = ['id', 'network_id', 'device_id', 'device_owner', 'name', 'mac_address', 'status', 'project_id'] as const;

/** selectPorts' statement, compiled once per shape: which filters are given and how many values each has. */
const portsFiltered = statements(
  (f: PortFilters) => PORT_FILTERS.map((k) => f[k]?.length ?? '-').join(','),
  (db: Db, p, shapeFrom) => {
    let q = db.selectFrom('ports').selectAll();
    for (const k of PORT_FILTERS) {
      const v = shapeFrom[k];
      if (v) q = q.where(k, 'in', each(p[k], v.length));
    }
    return q.orderBy('created_at').orderBy('id');
  },
);

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
  /** The ports' tags (the tags table's rows of resource_type 'ports'). */
  tags: { port_id: string; tag: string }[];
}

/** One row of the children union: which table, the port, up to six text columns and one integer. */
interface ChildRow {
  t: 'ip' | 'sg' | 'bind' | 'pair' | 'opt' | 'tag';
  port_id: string;
  c1: string | null;
  c2: string | null;
  c3: string | null;
  c4: string | null;
  c5: string | null;
  c6: string | null;
  n1: number | null;
}

/**
 * The children union of selectPortChildren, compiled once per number of ports (its
 * shape): the statement is large and listing ports frequent, so building and compiling
 * it each time cost more than running it.
 */
const portChildren = statements(
  (p: { ids: readonly string[] | 'all' }) => (p.ids === 'all' ? 'all' : String(p.ids.length)),
  (db: Db, p, shapeFrom) => {
    const text = sql<string | null>`NULL`;
    const int = sql<number | null>`NULL`;
    const some = shapeFrom.ids !== 'all';
    const ids = some ? each(p.ids, shapeFrom.ids.length) : [];
    const ip = db
      .selectFrom('ipallocations')
      .select([sql.lit('ip').as('t'), 'port_id', 'ip_address as c1', 'subnet_id as c2', 'network_id as c3', text.as('c4'), text.as('c5'), text.as('c6'), int.as('n1')])
      .$if(some, (q) => q.where('port_id', 'in', ids));
    const sg = db
      .selectFrom('securitygroupportbindings')
      .select([sql.lit('sg').as('t'), 'port_id', 'security_group_id as c1', text.as('c2'), text.as('c3'), text.as('c4'), text.as('c5'), text.as('c6'), int.as('n1')])
      .$if(some, (q) => q.where('port_id', 'in', ids));
    const bind = db
      .selectFrom('ml2_port_bindings')
      .select([sql.lit('bind').as('t'), 'port_id', 'host as c1', 'vnic_type as c2', 'profile as c3', 'vif_type as c4', 'vif_details as c5', 'status as c6', int.as('n1')])
      .$if(some, (q) => q.where('port_id', 'in', ids));
    const pair = db
      .selectFrom('allowedaddresspairs')
      .select([sql.lit('pair').as('t'), 'port_id', 'mac_address as c1', 'ip_address as c2', text.as('c3'), text.as('c4'), text.as('c5'), text.as('c6'), int.as('n1')])
      .$if(some, (q) => q.where('port_id', 'in', ids));
    const opt = db
      .selectFrom('extradhcpopts')
      .select([sql.lit('opt').as('t'), 'port_id', 'id as c1', 'opt_name as c2', 'opt_value as c3', text.as('c4'), text.as('c5'), text.as('c6'), 'ip_version as n1'])
      .$if(some, (q) => q.where('port_id', 'in', ids));
    const tag = db
      .selectFrom('tags')
      .select([sql.lit('tag').as('t'), 'resource_id as port_id', 'tag as c1', text.as('c2'), text.as('c3'), text.as('c4'), text.as('c5'), text.as('c6'), int.as('n1')])
      .where('resource_type', '=', 'ports')
      .$if(some, (q) => q.where('resource_id', 'in', ids));
    // extradhcpopts first: PostgreSQL types a UNION's columns pair by pair from the left,
    // so a bare NULL first would make n1 text before ip_version (an integer) comes.
    return opt
      .$castTo<ChildRow>()
      .unionAll(ip.$castTo<ChildRow>())
      .unionAll(sg.$castTo<ChildRow>())
      .unionAll(bind.$castTo<ChildRow>())
      .unionAll(pair.$castTo<ChildRow>())
      .unionAll(tag.$castTo<ChildRow>());
  },
);

/**
 * Loads the children of these ports, or of all ports, in one statement: a UNION ALL of
 * the five tables and the ports' tags padded to common columns (the caller chunks long lists). Listing ports
 * is neutron's most frequent read (nova lists a server's ports several times a boot);
 * one statement instead of six saves each list five round trips and five plans.
 */
export async function selectPortChildren(db: Db, ids: readonly string[] | 'all'): Promise<PortChildren> {
  const rows = await portChildren.rows(db, { ids });
  const out: PortChildren = { ips: [], sgs: [], binds: [], pairs: [], opts: [], tags: [] };
  for (const r of rows) {
    if (r.t === 'ip') out.ips.push({ port_id: r.port_id, ip_address: r.c1!, subnet_id: r.c2!, network_id: r.c3! });
    else if (r.t === 'sg') out.sgs.push({ port_id: r.port_id, security_group_id: r.c1! });
    else if (r.t === 'bind') out.binds.push({ port_id: r.port_id, host: r.c1!, vnic_type: r.c2!, profile: r.c3!, vif_type: r.c4!, vif_details: r.c5!, status: r.c6! });
    else if (r.t === 'pair') out.pairs.push({ port_id: r.port_id, mac_address: r.c1!, ip_address: r.c2! });
    else if (r.t === 'tag') out.tags.push({ port_id: r.port_id, tag: r.c1! });
    else out.opts.push({ id: r.c1!, port_id: r.port_id, opt_name: r.c2!, opt_value: r.c3!, ip_version: Number(r.n1) });
  }
  return out;
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
