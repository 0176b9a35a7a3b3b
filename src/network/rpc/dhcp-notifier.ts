/**
 * neutron-server → DHCP agents (Zed's DhcpAgentNotifyAPI): after an API update or delete
 * of a network, or a create, update or delete of a subnet or port, one cast
 * `<resource>_<action>_end` with kwargs {payload} to `dhcp_agent.<host>` of every admin-up
 * DHCP agent the network is bound to; network_delete_end is a fanout (then the network's
 * bindings go); network creation sends nothing. A new subnet, or a new port other than a
 * reserved DHCP port, first schedules the network (DhcpScheduler: only a network with a
 * DHCP subnet is scheduled). Payloads: see dhcp-wire.ts DhcpNotifyPayload.
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
import { DEVICE_ID_RESERVED_DHCP_PORT, DEVICE_OWNER_DHCP, DhcpPriorities, type DhcpNotifyMethod, PRIORITY_PORT_CREATE_HIGH } from './dhcp-wire.js';
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
    // Zed does nothing on network creation (an admin may bind the network to an agent first).
    if (resource === 'network' && action === 'create') return;
    if (!(await this.#anyAgents())) return;
    const networkId = (resource === 'network' ? item.id : item.network_id) as string;
    const method = `${resource}_${action}_end` as DhcpNotifyMethod;
    let payload: Dict;
    if (action === 'delete') {
      payload = resource === 'network' ? { network_id: networkId } : { [`${resource}_id`]: item.id, network_id: networkId };
      if (resource === 'port') payload.fixed_ips = item.fixed_ips;
    } else payload = resource === 'network' ? { network: item } : { [resource]: item };
    payload.priority = DhcpPriorities[method];
    if (method === 'network_delete_end') {
      // Fanout: every agent that may still serve it hears (_notify_agents' fanout_required).
      await rpcClient(this.d.bus, DhcpAgentTopicDef, { fanout: true }).cast(method, { payload });
      await deleteNetworkDhcpBindings(this.d.db, networkId);
      return;
    }
    let agents = await dhcpAgentsOfNetwork(this.d.db, networkId);
    const reservedDhcpPort = resource === 'port' && item.device_owner === DEVICE_OWNER_DHCP && item.device_id === DEVICE_ID_RESERVED_DHCP_PORT;
    const schedules = action === 'create' && (resource === 'subnet' || (resource === 'port' && !reservedDhcpPort));
    if (schedules) agents = await this.d.scheduler.schedule(networkId);
    const enabled = agents.filter((a) => a.admin_state_up);
    if (!enabled.length) {
      this.d.log.debug({ network: networkId, method }, `Network ${networkId} is not hosted by any dhcp agent`);
      return;
    }
    for (const [i, agent] of enabled.entries()) {
      // port_create_end: one agent gets it with PRIORITY_PORT_CREATE_HIGH (Zed picks it at random; here the first).
      const p = method === 'port_create_end' && i === 0 ? { ...payload, priority: PRIORITY_PORT_CREATE_HIGH } : payload;
      await rpcClient(this.d.bus, DhcpAgentTopicDef, { server: agent.host }).cast(method, { payload: p });
    }
  }
}
