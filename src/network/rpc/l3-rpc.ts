/**
 * neutron-server's q-l3-plugin endpoint (L3RpcCallback, legacy routers: no DVR, no HA)
 * and the legacy scheduler the L3 agents' syncs drive.
 *
 * - get_router_ids(host) / sync_routers(host, router_ids): the routers scheduled to the
 *   host's L3 agent; a router no agent hosts is first scheduled to the asking agent
 *   (auto_schedule_routers, router_auto_schedule = True). sync_routers answers Zed's
 *   get_sync_data dicts (buildSyncRouters) and, as _ensure_host_set_on_ports, binds the
 *   routers' gateway and interface ports to the agent's host (an admin port update of
 *   binding:host_id, so ML2 binds them and the OVS agent there wires qr-/qg- devices).
 * - get_external_network_id(host): the one router:external network (null when none;
 *   TooManyExternalNetworks is not raised: Zed only logs and answers None through it).
 * - update_floatingip_statuses(router_id, fip_statuses): writes each floating IP's status
 *   as Zed does (ids no longer present are skipped).
 * Nothing here runs unless an agent reports as "L3 agent": the simulated default never
 * touches router ports.
 */
import type { Kysely } from 'kysely';
import type { Bus, Listener } from '../../bus/bus.js';
import { listen } from '../../bus/contract.js';
import { adminContext } from '../../common/auth.js';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { AgentTypes } from '../agents/types.js';
import type { Dict } from '../api/resource.js';
import { nowIso } from '../plugin/deps.js';
import {
  insertRouterBindings,
  selectAgentRouterIds,
  selectExternalNetworkIds,
  selectFloatingIpStates,
  selectFloatingIpsOfRouters,
  selectL3AgentOnHost,
  selectPortRows,
  selectRouterOwnedPorts,
  selectRoutersByIds,
  selectSubnetDns,
  selectSubnetsOfNetworks,
  selectUnscheduledRouters,
  updateFloatingIpStatus,
} from '../db/l3-agents.js';
import { selectNetworkMtus } from '../db/networks.js';
import type { NeutronDB, SubnetRow } from '../db/schema.js';
import type { FloatingIps } from '../plugin/floating-ips.js';
import type { Ports } from '../plugin/ports.js';
import { DEVICE_OWNER_ROUTER_GW, DEVICE_OWNER_ROUTER_INTF, type Routers } from '../plugin/routers.js';
import type { SyncFloatingIp, SyncPort, SyncRouter, SyncSubnet } from './l3-wire.js';
import { L3PluginTopicDef } from './topics.js';
import type { L3AgentNotifyApi } from './l3-notifier.js';

/** Router interface owners the legacy agent gets in _interfaces (ROUTER_INTERFACE_OWNERS minus DVR/HA). */
const INTERFACE_OWNERS = [DEVICE_OWNER_ROUTER_INTF] as const;

/** What buildSyncRouters needs, already loaded. */
export interface SyncData {
  /** Router API dicts (Routers.toDicts). */
  routers: Dict[];
  /** Port API dicts of the gateway ports and interfaces. */
  ports: Dict[];
  /** Floating IP API dicts of these routers. */
  floatingIps: Dict[];
  /** Subnets of the ports' networks with their DNS servers. */
  subnets: { row: SubnetRow; dns: string[] }[];
  mtus: ReadonlyMap<string, number>;
}

const prefixLen = (cidr: string) => Number(cidr.split('/')[1]);

/**
 * Zed's get_sync_data over loaded rows (pure): each router dict with `gw_port` when it
 * has one (`ha`/`distributed` false), `_interfaces` and `_floatingips` only when non-empty,
 * ports populated as _populate_mtu_and_subnets_for_ports does.
 */
export function buildSyncRouters(data: SyncData): SyncRouter[] {
  const subnetsByNet = new Map<string, { row: SubnetRow; dns: string[] }[]>();
  for (const s of data.subnets) (subnetsByNet.get(s.row.network_id) ?? subnetsByNet.set(s.row.network_id, []).get(s.row.network_id)!).push(s);
  const populate = (p: Dict): SyncPort => {
    const port = structuredClone(p) as SyncPort;
    const subnets: SyncSubnet[] = [];
    const extra: SyncSubnet[] = [];
    const scopes: SyncPort['address_scopes'] = { '4': null, '6': null };
    for (const { row, dns } of subnetsByNet.get(port.network_id) ?? []) {
      const info: SyncSubnet = { id: row.id, cidr: row.cidr, gateway_ip: row.gateway_ip, dns_nameservers: dns, ipv6_ra_mode: row.ipv6_ra_mode, subnetpool_id: row.subnetpool_id };
      const ip = port.fixed_ips.find((f) => f.subnet_id === row.id);
      if (ip) {
        subnets.push(info);
        ip.prefixlen = prefixLen(row.cidr);
      } else extra.push(info);
    }
    port.subnets = subnets;
    port.extra_subnets = extra;
    port.address_scopes = scopes;
    port.mtu = data.mtus.get(port.network_id) ?? 0;
    return port;
  };
  const portsById = new Map(data.ports.map((p) => [p.id as string, p]));
  const out: SyncRouter[] = [];
  for (const r of data.routers) {
    const router = { ...structuredClone(r), ha: false, distributed: false } as SyncRouter;
    const gwPortId = (r as { gw_port_id?: string | null }).gw_port_id;
    delete (router as Dict).gw_port_id;
    if (gwPortId && portsById.has(gwPortId)) router.gw_port = populate(portsById.get(gwPortId)!);
    const intfs = data.ports.filter((p) => p.device_id === r.id && (INTERFACE_OWNERS as readonly string[]).includes(p.device_owner as string)).map(populate);
    if (intfs.length) router._interfaces = intfs;
    const fips = data.floatingIps.filter((f) => f.router_id === r.id) as SyncFloatingIp[];
    if (fips.length) router._floatingips = fips;
    out.push(router);
  }
  return out;
}

export interface L3RpcDeps {
  db: Kysely<NeutronDB>;
  ports: Ports;
  routers: Routers;
  floatingIps: FloatingIps;
  clock: Clock;
  log: Logger;
  notifier?: L3AgentNotifyApi;
  /** The server name this neutron-server listens as (default 'neutron-server'). */
  server?: string;
}

export class L3RpcCallback {
  constructor(private readonly d: L3RpcDeps) {}

  /** The host's L3 agent id, after scheduling unhosted routers to it (auto_schedule_routers); null without an agent. */
  async #agentOf(host: string): Promise<string | null> {
    const agent = await selectL3AgentOnHost(this.d.db, host, AgentTypes.l3);
    if (!agent) return null;
    if (agent.admin_state_up) {
      const unhosted = await selectUnscheduledRouters(this.d.db);
      if (unhosted.length) {
        await insertRouterBindings(this.d.db, agent.id, unhosted.map((r) => r.id));
        this.d.log.debug({ host, routers: unhosted.map((r) => r.id) }, 'Routers scheduled to the L3 agent');
      }
    }
    return agent.id;
  }

  /** get_router_ids: every router scheduled to the host. */
  async getRouterIds(host: string): Promise<string[]> {
    const agentId = await this.#agentOf(host);
    return agentId ? selectAgentRouterIds(this.d.db, agentId) : [];
  }

  /** sync_routers: the host's routers (narrowed to router_ids when given), their ports bound to the host first. */
  async syncRouters(host: string, routerIds?: string[] | null): Promise<SyncRouter[]> {
    const agentId = await this.#agentOf(host);
    if (!agentId) return [];
    let ids = await selectAgentRouterIds(this.d.db, agentId);
    if (routerIds) ids = ids.filter((id) => routerIds.includes(id));
    const rows = await selectRoutersByIds(this.d.db, ids);
    const active = rows.filter((r) => r.admin_state_up);
    await this.#ensureHostSetOnPorts(host, active.map((r) => r.id), active.map((r) => r.gw_port_id).filter((x): x is string => !!x));
    return this.syncData(active.map((r) => r.id));
  }

  /** get_sync_data for routers by id. */
  async syncData(ids: string[]): Promise<SyncRouter[]> {
    const db = this.d.db;
    const rows = await selectRoutersByIds(db, ids);
    const routerDicts = await this.d.routers.toDicts(db, rows);
    for (const [i, r] of rows.entries()) (routerDicts[i] as Dict).gw_port_id = r.gw_port_id;
    const gwRows = await selectPortRows(db, rows.map((r) => r.gw_port_id).filter((x): x is string => !!x));
    const intfRows = await selectRouterOwnedPorts(db, ids, INTERFACE_OWNERS);
    const ports = await this.d.ports.toDicts(db, [...gwRows, ...intfRows]);
    const netIds = [...new Set(ports.map((p) => p.network_id as string))];
    const subnetRows = await selectSubnetsOfNetworks(db, netIds);
    const dns = await selectSubnetDns(db, subnetRows.map((s) => s.id));
    const floatingIps = await this.d.floatingIps.toDicts(db, await selectFloatingIpsOfRouters(db, ids));
    return buildSyncRouters({
      routers: routerDicts,
      ports,
      floatingIps,
      subnets: subnetRows.map((row) => ({ row, dns: dns.filter((x) => x.subnet_id === row.id).map((x) => x.address) })),
      mtus: netIds.length ? await selectNetworkMtus(db, netIds) : new Map(),
    });
  }

  /** _ensure_host_set_on_ports: an admin update of binding:host_id on each router port bound elsewhere. */
  async #ensureHostSetOnPorts(host: string, routerIds: string[], gwPortIds: string[]): Promise<void> {
    const rows = [...(await selectPortRows(this.d.db, gwPortIds)), ...(await selectRouterOwnedPorts(this.d.db, routerIds, INTERFACE_OWNERS))];
    const ports = await this.d.ports.toDicts(this.d.db, rows);
    for (const p of ports) {
      if (p['binding:host_id'] === host && p['binding:vif_type'] !== 'binding_failed') continue;
      try {
        await this.d.ports.update(adminContext(), p.id as string, { 'binding:host_id': host });
      } catch (e) {
        this.d.log.debug({ err: e, port: p.id }, `Port ${p.id as string} not found while updating agent binding for router`);
      }
    }
  }

  /** get_external_network_id: the router:external network's id, null when there is none or several. */
  async getExternalNetworkId(): Promise<string | null> {
    const ids = await selectExternalNetworkIds(this.d.db);
    return ids.length === 1 ? ids[0]! : null;
  }

  /**
   * update_floatingip_statuses: writes the given statuses. (Zed also sets DOWN the
   * floating IPs whose last_known_router_id is this router and that lost their router;
   * Nimbus keeps no last_known_router_id.)
   */
  async updateFloatingIpStatuses(_routerId: string, statuses: Record<string, string>): Promise<void> {
    const now = nowIso(this.d.clock.now());
    const db = this.d.db;
    await db.transaction().execute(async (trx) => {
      const rows = await selectFloatingIpStates(trx, Object.keys(statuses));
      for (const f of rows) {
        // Zed writes whatever the agent says, whichever router the floating IP is on now; unknown ids are skipped.
        const status = statuses[f.id]!;
        if (f.status === status) continue;
        await updateFloatingIpStatus(trx, f.id, status, now, f.revision_number + 1);
      }
    });
  }
}

/** Starts serving q-l3-plugin; stop the returned listener on shutdown. */
export async function registerL3Endpoint(bus: Bus, deps: L3RpcDeps): Promise<Listener> {
  const cb = new L3RpcCallback(deps);
  return listen(bus, L3PluginTopicDef, deps.server ?? 'neutron-server', {
    sync_routers: (args) => cb.syncRouters(args.host, args.router_ids),
    get_router_ids: (args) => cb.getRouterIds(args.host),
    get_external_network_id: () => cb.getExternalNetworkId(),
    update_floatingip_statuses: async (args) => {
      await cb.updateFloatingIpStatuses(args.router_id, args.fip_statuses);
      return null;
    },
    get_service_plugin_list: () => ['router'],
  });
}
