/**
 * neutron-server → DHCP agents (Zed's DhcpAgentNotifyAPI): after an API create, update
 * or delete of a network, subnet or port, one cast `<resource>_<action>_end` to
 * `dhcp_agent.<host>` of every DHCP agent the network is bound to. A new subnet with
 * enable_dhcp, or a new port, on a network no agent serves yet first schedules the
 * network (DhcpScheduler). Payloads: {network: {id}}, {subnet}, {port} on create and
 * update; {network_id}, {subnet_id, network_id}, {port_id, network_id} on delete.
 *
 * Cheap when no DHCP agent exists (the simulated default): whether any DHCP agent has
 * reported is read at most once per 5 s (at once when this server takes a DHCP agent's
 * report) and nothing is looked up or sent otherwise.
 */
import type { Bus } from '../../bus/bus.js';
import { rpcClient } from '../../bus/contract.js';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { Dict } from '../api/resource.js';
import { DHCP_AGENT_TYPE, deleteNetworkDhcpBindings, dhcpAgents, dhcpAgentsOfNetwork } from '../db/dhcp-agents.js';
import type { Kysely } from 'kysely';
import type { NeutronDB } from '../db/schema.js';
import type { DhcpScheduler } from './dhcp-endpoint.js';
import type { DhcpNotifyMethod } from './dhcp-wire.js';
import { DhcpAgentTopicDef } from './topics.js';

export type DhcpResource = 'network' | 'subnet' | 'port';
export type DhcpAction = 'create' | 'update' | 'delete';

const NO_AGENTS_RECHECK_MS = 5000;

export class DhcpAgentNotifyApi {
  #agentsSeenAt = -Infinity;
  #haveAgents = false;

  constructor(
    private readonly d: { bus: Bus; db: Kysely<NeutronDB>; clock: Clock; log: Logger; scheduler: DhcpScheduler },
  ) {}

  /** Whether any DHCP agent exists to notify (cached; see the module comment). */
  async active(): Promise<boolean> {
    return this.#anyAgents();
  }

  async #anyAgents(): Promise<boolean> {
    if (this.#haveAgents) return true;
    const now = this.d.clock.now();
    if (now - this.#agentsSeenAt < NO_AGENTS_RECHECK_MS) return false;
    this.#agentsSeenAt = now;
    this.#haveAgents = (await dhcpAgents(this.d.db)).length > 0;
    return this.#haveAgents;
  }

  /** A DHCP agent reported (new or revived): notifications are looked up from now on. */
  agentReported(agentType: string): void {
    if (agentType === DHCP_AGENT_TYPE) this.#haveAgents = true;
  }

  /** Notifies after a committed API change (never throws: a failed notification is logged). */
  notify(resource: DhcpResource, action: DhcpAction, item: Dict): void {
    void this.#notify(resource, action, item).catch((e: unknown) => this.d.log.error({ err: e, resource, action }, 'DHCP agent notification failed'));
  }

  async #notify(resource: DhcpResource, action: DhcpAction, item: Dict): Promise<void> {
    if (!(await this.#anyAgents())) return;
    const networkId = (resource === 'network' ? item.id : item.network_id) as string;
    let agents = await dhcpAgentsOfNetwork(this.d.db, networkId);
    const schedules = action === 'create' && ((resource === 'subnet' && item.enable_dhcp === true) || resource === 'port');
    if (!agents.length && schedules) agents = await this.d.scheduler.schedule(networkId);
    const method = `${resource}_${action}_end` as DhcpNotifyMethod;
    let payload: Dict;
    if (action === 'delete') payload = resource === 'network' ? { network_id: networkId } : { [`${resource}_id`]: item.id, network_id: networkId };
    else payload = resource === 'network' ? { network: { id: networkId } } : { [resource]: item };
    for (const agent of agents) {
      if (!agent.admin_state_up) continue;
      await rpcClient(this.d.bus, DhcpAgentTopicDef, { server: agent.host }).cast(method, payload);
    }
    if (resource === 'network' && action === 'delete') await deleteNetworkDhcpBindings(this.d.db, networkId);
  }
}
