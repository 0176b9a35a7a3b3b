/**
 * neutron-server's side of the DHCP agent (Zed): DhcpRpcCallback's methods on q-plugin
 * (neutron/api/rpc/handlers/dhcp_rpc.py), and the scheduler that binds a network with a
 * DHCP subnet to DHCP agents (neutron/scheduler/dhcp_agent_scheduler.py's
 * ChanceScheduler with the least-loaded choice of WeightScheduler;
 * dhcp_agents_per_network of them, alive and admin-up, in networkdhcpagentbindings).
 *
 * - get_active_networks_info(host): auto-schedules unscheduled DHCP networks
 *   (network_auto_schedule), then the admin-up networks bound to the host's agent, each
 *   with its subnets (DHCP-enabled only, unless enable_dhcp_filter is false), ports and
 *   non_local_subnets;
 * - get_network_info(network_id, host): that network so, or null when it is gone;
 * - create_dhcp_port(port, host) / update_dhcp_port(port_id, port, host): the DHCP port,
 *   bound to the agent's host (binding:host_id), null when its network is gone;
 * - release_dhcp_port(network_id, device_id, host): deletes the network's ports with
 *   that device_id;
 * - dhcp_ready_on_ports(port_ids): provisioning of the DHCP entity is complete. Nimbus
 *   does not hold a port's ACTIVE status for the DHCP entity (ML2 does when a DHCP
 *   agent serves the network): ports become ACTIVE on the L2 agent's report alone.
 */
import type { Kysely } from 'kysely';
import { adminContext } from '../../common/auth.js';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { isAlive } from '../agents/db/agents-db.js';
import type { AgentRow } from '../agents/db/tables.js';
import { dhcpAgentLoads, dhcpAgentOnHost, dhcpAgents, dhcpAgentsOfNetwork, dhcpBindingIndexes, insertDhcpBinding, networkHasDhcpSubnet, networksOfDhcpAgent, unscheduledDhcpNetworks } from '../db/dhcp-agents.js';
import type { NeutronDB } from '../db/schema.js';
import type { Dict } from '../api/resource.js';
import type { CorePlugin } from '../plugin/plugin.js';
import { isUniqueViolation } from '../../db/database.js';
import { DEVICE_OWNER_DHCP, type DhcpNetworkInfo, type DhcpPort, type DhcpSubnet } from './dhcp-wire.js';

export interface DhcpServerDeps {
  db: Kysely<NeutronDB>;
  plugin: CorePlugin;
  clock: Clock;
  log: Logger;
  /** [network] agent_down_time, seconds. */
  agentDownTime: number;
  /** [DEFAULT] dhcp_agents_per_network. */
  agentsPerNetwork: number;
}

const byNetwork = (id: string) => new Map<string, unknown[]>([['network_id', [id]]]);

/** The DHCP scheduler (schedule / auto_schedule_networks) over networkdhcpagentbindings. */
export class DhcpScheduler {
  constructor(private readonly d: DhcpServerDeps) {}

  #eligible(rows: AgentRow[]): AgentRow[] {
    const now = this.d.clock.now();
    return rows.filter((a) => a.admin_state_up && isAlive(a, now, this.d.agentDownTime));
  }

  /** Binds a network with a DHCP subnet to up to dhcp_agents_per_network agents; returns the network's agents. */
  async schedule(networkId: string): Promise<AgentRow[]> {
    const { db } = this.d;
    const bound = await dhcpAgentsOfNetwork(db, networkId);
    if (bound.length >= this.d.agentsPerNetwork || !(await networkHasDhcpSubnet(db, networkId))) return bound;
    const loads = await dhcpAgentLoads(db);
    const have = new Set(bound.map((a) => a.id));
    const candidates = this.#eligible(await dhcpAgents(db))
      .filter((a) => !have.has(a.id))
      .sort((a, b) => (loads.get(a.id) ?? 0) - (loads.get(b.id) ?? 0) || a.host.localeCompare(b.host));
    const used = new Set(await dhcpBindingIndexes(db, networkId));
    for (const agent of candidates.slice(0, this.d.agentsPerNetwork - bound.length)) {
      let index = 1;
      while (used.has(index)) index++;
      try {
        await insertDhcpBinding(db, networkId, agent.id, index);
      } catch (e) {
        // Another server scheduled it meanwhile (neutron's DBDuplicateEntry): theirs stands.
        if (!isUniqueViolation(e)) throw e;
        continue;
      }
      used.add(index);
      this.d.log.info({ network: networkId, agent: agent.id, host: agent.host }, `Network ${networkId} is scheduled to be hosted by DHCP agent ${agent.id}`);
    }
    return dhcpAgentsOfNetwork(db, networkId);
  }

  /** auto_schedule_networks: every unscheduled network with a DHCP subnet, for an agent that asks. */
  async autoSchedule(): Promise<void> {
    for (const id of await unscheduledDhcpNetworks(this.d.db)) await this.schedule(id);
  }
}

/** DhcpRpcCallback. */
export class DhcpRpcCallback {
  readonly #scheduler: DhcpScheduler;

  constructor(
    private readonly d: DhcpServerDeps,
    scheduler?: DhcpScheduler,
  ) {
    this.#scheduler = scheduler ?? new DhcpScheduler(d);
  }

  async getActiveNetworksInfo(args: { host: string; enable_dhcp_filter?: boolean }): Promise<DhcpNetworkInfo[]> {
    this.d.log.debug({ host: args.host }, `get_active_networks_info from ${args.host}`);
    const agent = await dhcpAgentOnHost(this.d.db, args.host);
    if (!agent) return [];
    await this.#scheduler.autoSchedule();
    if (!agent.admin_state_up) return [];
    const out: DhcpNetworkInfo[] = [];
    for (const id of await networksOfDhcpAgent(this.d.db, agent.id)) {
      const info = await this.networkInfo(id, args.enable_dhcp_filter ?? true);
      if (info?.admin_state_up) out.push(info);
    }
    return out;
  }

  async getNetworkInfo(args: { network_id: string; host: string }): Promise<DhcpNetworkInfo | null> {
    this.d.log.debug({ host: args.host, network: args.network_id }, `Network ${args.network_id} requested from ${args.host}`);
    return this.networkInfo(args.network_id, false);
  }

  /** The network dict with its subnets, ports and non_local_subnets; null when it does not exist. */
  async networkInfo(networkId: string, dhcpOnly: boolean): Promise<DhcpNetworkInfo | null> {
    const ctx = adminContext();
    const { plugin } = this.d;
    let net: Dict;
    try {
      net = await plugin.networks.get(ctx, networkId);
    } catch {
      this.d.log.debug({ network: networkId }, `Network ${networkId} could not be found, it might have been deleted concurrently.`);
      return null;
    }
    let subnets = (await plugin.subnets.list(ctx, byNetwork(networkId))) as DhcpSubnet[];
    if (dhcpOnly) subnets = subnets.filter((s) => s.enable_dhcp);
    subnets.sort((a, b) => a.id.localeCompare(b.id));
    const ports = (await plugin.ports.list(ctx, byNetwork(networkId))) as DhcpPort[];
    return { ...(net as DhcpNetworkInfo), subnets, non_local_subnets: [], ports };
  }

  async createDhcpPort(args: { host: string; port: { port: Record<string, unknown> } }): Promise<DhcpPort | null> {
    const { plugin } = this.d;
    const p = args.port.port;
    const networkId = p.network_id as string;
    if (!(await this.networkInfo(networkId, false))) return null;
    this.d.log.debug({ host: args.host, network: networkId }, `Create dhcp port ${JSON.stringify(p)} from ${args.host}.`);
    const net = await plugin.networks.get(adminContext(), networkId);
    const body: Dict = {
      name: '',
      description: '',
      admin_state_up: true,
      device_owner: DEVICE_OWNER_DHCP,
      project_id: (p.tenant_id as string | undefined) ?? (p.project_id as string | undefined) ?? net.project_id,
      'binding:vnic_type': 'normal',
      'binding:profile': {},
      ...p,
      network_id: networkId,
      'binding:host_id': args.host,
    };
    delete body.tenant_id;
    return (await plugin.ports.create(adminContext(), body)) as DhcpPort;
  }

  async updateDhcpPort(args: { host: string; port_id: string; port: { port: Record<string, unknown> } }): Promise<DhcpPort | null> {
    const body: Dict = { ...args.port.port, 'binding:host_id': args.host };
    delete body.network_id;
    try {
      return (await this.d.plugin.ports.update(adminContext(), args.port_id, body)) as DhcpPort;
    } catch (e) {
      this.d.log.debug({ err: e, port: args.port_id }, `Update dhcp port ${args.port_id} from ${args.host} failed`);
      return null;
    }
  }

  async releaseDhcpPort(args: { host: string; network_id: string; device_id: string }): Promise<null> {
    this.d.log.debug({ host: args.host, network: args.network_id }, `DHCP port deletion for ${args.network_id} from ${args.host}`);
    const ctx = adminContext();
    const ports = await this.d.plugin.ports.list(ctx, new Map<string, unknown[]>([['network_id', [args.network_id]], ['device_id', [args.device_id]]]));
    for (const port of ports) {
      try {
        await this.d.plugin.ports.delete(ctx, port.id as string);
      } catch {
        /* gone meanwhile */
      }
    }
    return null;
  }

  async dhcpReadyOnPorts(_args: { port_ids: string[] }): Promise<null> {
    return null;
  }
}
