/**
 * What the L3 RPC endpoint and scheduler read and write (l3_agentschedulers_db,
 * l3_db's get_sync_data queries): router ↔ L3 agent bindings, the rows a router's sync
 * dict is built from, and floating IP statuses. Every function takes the connection or
 * transaction to run in; the caller owns atomicity.
 */
import type { Kysely } from 'kysely';
import type { FloatingIpRow, NeutronDB, PortRow, RouterRow, SubnetRow } from './schema.js';

type Db = Kysely<NeutronDB>;

/** The ids of the routers bound to an agent. */
export async function selectAgentRouterIds(db: Db, agentId: string): Promise<string[]> {
  return (await db.selectFrom('routerl3agentbindings').select('router_id').where('l3_agent_id', '=', agentId).orderBy('router_id').execute()).map((r) => r.router_id);
}

/** The hosts of the agents hosting each of `routerIds` (router id → hosts). */
export async function selectRouterAgentHosts(db: Db, routerIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!routerIds.length) return out;
  const rows = await db
    .selectFrom('routerl3agentbindings')
    .innerJoin('agents', 'agents.id', 'routerl3agentbindings.l3_agent_id')
    .select(['routerl3agentbindings.router_id as router_id', 'agents.host as host'])
    .where('routerl3agentbindings.router_id', 'in', routerIds)
    .execute();
  for (const r of rows) (out.get(r.router_id) ?? out.set(r.router_id, []).get(r.router_id)!).push(r.host);
  return out;
}

/** Routers no agent hosts, in creation order. */
export function selectUnscheduledRouters(db: Db): Promise<RouterRow[]> {
  return db
    .selectFrom('routers')
    .selectAll()
    .where('id', 'not in', db.selectFrom('routerl3agentbindings').select('router_id'))
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Binds routers to an agent (binding_index 1: legacy routers have one agent). */
export async function insertRouterBindings(db: Db, agentId: string, routerIds: readonly string[]): Promise<void> {
  if (!routerIds.length) return;
  await db.insertInto('routerl3agentbindings').values(routerIds.map((router_id) => ({ router_id, l3_agent_id: agentId, binding_index: 1 }))).execute();
}

/** The L3 agents with their heartbeat and how many routers each hosts (LeastRoutersScheduler). */
export async function selectL3AgentsLoad(db: Db, agentType: string): Promise<{ id: string; host: string; admin_state_up: number; heartbeat_timestamp: string; routers: number }[]> {
  const agents = await db.selectFrom('agents').select(['id', 'host', 'admin_state_up', 'heartbeat_timestamp']).where('agent_type', '=', agentType).orderBy('host').execute();
  const counts = await db.selectFrom('routerl3agentbindings').select(['l3_agent_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('l3_agent_id').execute();
  const by = new Map(counts.map((c) => [c.l3_agent_id, Number(c.n)]));
  return agents.map((a) => ({ ...a, routers: by.get(a.id) ?? 0 }));
}

/** The L3 agent row of a host, if it reported. */
export function selectL3AgentOnHost(db: Db, host: string, agentType: string): Promise<{ id: string; admin_state_up: number } | undefined> {
  return db.selectFrom('agents').select(['id', 'admin_state_up']).where('host', '=', host).where('agent_type', '=', agentType).executeTakeFirst();
}

/** Routers by id. */
export function selectRoutersByIds(db: Db, ids: readonly string[]): Promise<RouterRow[]> {
  if (!ids.length) return Promise.resolve([]);
  return db.selectFrom('routers').selectAll().where('id', 'in', ids).orderBy('created_at').orderBy('id').execute();
}

/** The ports of the given owners whose device is one of the routers (router interfaces, _get_sync_interfaces). */
export function selectRouterOwnedPorts(db: Db, routerIds: readonly string[], owners: readonly string[]): Promise<PortRow[]> {
  if (!routerIds.length) return Promise.resolve([]);
  return db.selectFrom('ports').selectAll().where('device_id', 'in', routerIds).where('device_owner', 'in', owners).orderBy('created_at').orderBy('id').execute();
}

/** Ports by id. */
export function selectPortRows(db: Db, ids: readonly string[]): Promise<PortRow[]> {
  if (!ids.length) return Promise.resolve([]);
  return db.selectFrom('ports').selectAll().where('id', 'in', ids).execute();
}

/** The subnets of networks. */
export function selectSubnetsOfNetworks(db: Db, networkIds: readonly string[]): Promise<SubnetRow[]> {
  if (!networkIds.length) return Promise.resolve([]);
  return db.selectFrom('subnets').selectAll().where('network_id', 'in', networkIds).orderBy('id').execute();
}

/** DNS servers of subnets, in order. */
export function selectSubnetDns(db: Db, subnetIds: readonly string[]): Promise<{ subnet_id: string; address: string }[]> {
  if (!subnetIds.length) return Promise.resolve([]);
  return db.selectFrom('dnsnameservers').select(['subnet_id', 'address']).where('subnet_id', 'in', subnetIds).orderBy('order').execute();
}

/** Floating IPs routed by the routers (_get_sync_floating_ips). */
export function selectFloatingIpsOfRouters(db: Db, routerIds: readonly string[]): Promise<FloatingIpRow[]> {
  if (!routerIds.length) return Promise.resolve([]);
  return db.selectFrom('floatingips').selectAll().where('router_id', 'in', routerIds).orderBy('id').execute();
}

/** A floating IP's router and status (update_floatingip_statuses). */
export function selectFloatingIpStates(db: Db, ids: readonly string[]): Promise<Pick<FloatingIpRow, 'id' | 'router_id' | 'status' | 'revision_number'>[]> {
  if (!ids.length) return Promise.resolve([]);
  return db.selectFrom('floatingips').select(['id', 'router_id', 'status', 'revision_number']).where('id', 'in', ids).execute();
}

/** Sets one floating IP's status. */
export async function updateFloatingIpStatus(db: Db, id: string, status: string, updatedAt: string, revision: number): Promise<void> {
  await db.updateTable('floatingips').set({ status, updated_at: updatedAt, revision_number: revision }).where('id', '=', id).execute();
}

/** The ids of router:external networks (get_external_network_id). */
export async function selectExternalNetworkIds(db: Db): Promise<string[]> {
  return (await db.selectFrom('networks').select('id').where('router_external', '=', 1).execute()).map((r) => r.id);
}
