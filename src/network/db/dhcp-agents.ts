/**
 * The DHCP scheduler's storage: networkdhcpagentbindings and the questions neutron's
 * DhcpAgentSchedulerDbMixin asks of it (agents of a network, networks of an agent,
 * networks with a DHCP subnet, agents' loads).
 */
import type { Kysely } from 'kysely';
import type { AgentRow } from '../agents/db/tables.js';
import { AgentTypes } from '../agents/types.js';
import type { NeutronDB } from './schema.js';

type Db = Kysely<NeutronDB>;

/** neutron_lib's AGENT_TYPE_DHCP. */
export const DHCP_AGENT_TYPE = AgentTypes.dhcp;

/** The DHCP agents a network is bound to, by binding_index. */
export async function dhcpAgentsOfNetwork(db: Db, networkId: string): Promise<AgentRow[]> {
  return db
    .selectFrom('networkdhcpagentbindings as b')
    .innerJoin('agents as a', 'a.id', 'b.dhcp_agent_id')
    .selectAll('a')
    .where('b.network_id', '=', networkId)
    .orderBy('b.binding_index')
    .execute();
}

/** The network ids bound to a DHCP agent. */
export async function networksOfDhcpAgent(db: Db, agentId: string): Promise<string[]> {
  const rows = await db.selectFrom('networkdhcpagentbindings').select('network_id').where('dhcp_agent_id', '=', agentId).orderBy('network_id').execute();
  return rows.map((r) => r.network_id);
}

/** Every DHCP agent row. */
export async function dhcpAgents(db: Db): Promise<AgentRow[]> {
  return db.selectFrom('agents').selectAll().where('agent_type', '=', DHCP_AGENT_TYPE).orderBy('host').execute();
}

/** The DHCP agent of a host, if it has reported. */
export async function dhcpAgentOnHost(db: Db, host: string): Promise<AgentRow | undefined> {
  return db.selectFrom('agents').selectAll().where('agent_type', '=', DHCP_AGENT_TYPE).where('host', '=', host).executeTakeFirst();
}

/** Networks bound per DHCP agent id (the scheduler's load). */
export async function dhcpAgentLoads(db: Db): Promise<Map<string, number>> {
  const rows = await db.selectFrom('networkdhcpagentbindings').select(['dhcp_agent_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('dhcp_agent_id').execute();
  return new Map(rows.map((r) => [r.dhcp_agent_id, Number(r.n)]));
}

/** Binds a network to an agent with the given binding_index (in the caller's transaction). */
export async function insertDhcpBinding(db: Db, networkId: string, agentId: string, bindingIndex: number): Promise<void> {
  await db.insertInto('networkdhcpagentbindings').values({ network_id: networkId, dhcp_agent_id: agentId, binding_index: bindingIndex }).execute();
}

/** The binding indexes a network uses. */
export async function dhcpBindingIndexes(db: Db, networkId: string): Promise<number[]> {
  const rows = await db.selectFrom('networkdhcpagentbindings').select('binding_index').where('network_id', '=', networkId).execute();
  return rows.map((r) => r.binding_index);
}

/** Forgets a network's bindings (the network is gone). */
export async function deleteNetworkDhcpBindings(db: Db, networkId: string): Promise<void> {
  await db.deleteFrom('networkdhcpagentbindings').where('network_id', '=', networkId).execute();
}

/** Forgets an agent's bindings (the agent was deleted). */
export async function deleteAgentDhcpBindings(db: Db, agentId: string): Promise<void> {
  await db.deleteFrom('networkdhcpagentbindings').where('dhcp_agent_id', '=', agentId).execute();
}

/** Whether a network exists and has a subnet with enable_dhcp. */
export async function networkHasDhcpSubnet(db: Db, networkId: string): Promise<boolean> {
  const row = await db.selectFrom('subnets').select('id').where('network_id', '=', networkId).where('enable_dhcp', '=', 1).limit(1).executeTakeFirst();
  return !!row;
}

/** Networks with a DHCP subnet and no DHCP agent yet (auto-scheduling's candidates). */
export async function unscheduledDhcpNetworks(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('subnets as s')
    .select('s.network_id')
    .distinct()
    .where('s.enable_dhcp', '=', 1)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('networkdhcpagentbindings as b').select('b.network_id').whereRef('b.network_id', '=', 's.network_id'))))
    .execute();
  return rows.map((r) => r.network_id);
}
