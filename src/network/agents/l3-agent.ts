/**
 * neutron-l3-agent (legacy mode: no DVR, no HA) for linux hosts, one per host, as
 * neutron/agent/l3/agent.py and router_info.py do it with the OVS interface driver:
 *
 * - reports "L3 agent" / neutron-l3-agent / topic l3_agent every [agent] report_interval
 *   (configurations: agent_mode legacy, interface_driver openvswitch, router counts);
 * - after its first report, a full sync (get_router_ids, then sync_routers for them);
 *   later on l3_agent.<host> notifications (routers_updated, router_added_to_agent: sync
 *   those; router_deleted, router_removed_from_agent: remove) and, after a failure, a full
 *   sync again on the next report tick; one router operation at a time per host;
 * - a router is a namespace `qrouter-<id>` (lo up, net.ipv4.ip_forward=1) holding one
 *   OVS internal port per interface `qr-<port id[:11]>` and one for the gateway
 *   `qg-<port id[:11]>` on br-int (OVSInterfaceDriver.plug_new: external_ids iface-id,
 *   iface-status active, attached-mac, so the OVS agent wires them; MAC, MTU, moved into
 *   the namespace, up), each addressed with its fixed IPs (scope global, broadcast);
 *   with a gateway, `default via <external subnet's gateway_ip>`; extra routes as
 *   `route replace DEST via NEXTHOP` (routes_updated); each floating IP is a
 *   /32 on qg-; the NAT is l3-iptables.ts written with iptables-restore in the namespace;
 *   floating IPs configured are reported ACTIVE, removed ones DOWN
 *   (update_floatingip_statuses);
 * - removing a router deletes its qr-/qg- ports from br-int and its namespace (and with
 *   it its iptables rules); after the first full sync, qrouter- namespaces of routers
 *   the host no longer has are removed the same way (NamespaceManager).
 *
 * Every command goes through the host's HostNetwork; this module never touches a database.
 */
import type { Bus, Listener } from '../../bus/bus.js';
import { listen, rpcClient } from '../../bus/contract.js';
import type { Clock, Random, TimerHandle } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { CommandFailed, type HostNetwork } from '../../hostnet/host-network.js';
import { formatBroadcast } from '../ipam/cidr.js';
import type { SyncPort, SyncRouter } from '../rpc/l3-wire.js';
import { L3AgentTopicDef, ReportsTopicDef } from '../rpc/topics.js';
import { OvsInterfaceDriver } from './interface-driver.js';
import { type RouterNat, natRestoreInput } from './l3-iptables.js';
import { L3PluginApi } from './l3-plugin-rpc.js';
import { reportTime } from './report-time.js';
import { AgentBinaries, AgentTypes, type AgentStateReport, L3_AGENT_TOPIC } from './types.js';

export const NS_PREFIX = 'qrouter-';
export const INTERNAL_DEV_PREFIX = 'qr-';
export const EXTERNAL_DEV_PREFIX = 'qg-';
/** LinuxInterfaceDriver.DEV_NAME_LEN. */
const DEV_NAME_LEN = 14;

/** A router port's device name (get_internal_device_name / get_external_device_name). */
export const deviceName = (prefix: string, portId: string): string => (prefix + portId).slice(0, DEV_NAME_LEN);
export const routerNamespace = (routerId: string): string => NS_PREFIX + routerId;

/** What the agent made for one router (RouterInfo). */
interface RouterState {
  id: string;
  ns: string;
  /** Internal device name → its port's id. */
  internal: Map<string, string>;
  gateway: { dev: string; portId: string } | null;
  /** Floating IP id → address now on qg-. */
  fips: Map<string, string>;
  /** Extra routes now in the namespace, "destination nexthop". */
  routes: Set<string>;
}

export interface L3AgentDeps {
  bus: Bus;
  clock: Clock;
  random: Random;
  log: Logger;
  host: string;
  net: HostNetwork;
  /** [agent] report_interval, seconds. */
  reportInterval: number;
  integrationBridge?: string;
}

export class L3Agent {
  readonly #rpc: L3PluginApi;
  /** Plugs qr-/qg- ports by replacing any port of the same name (ovs_lib replace_port). */
  readonly #driver: OvsInterfaceDriver;
  readonly #routers = new Map<string, RouterState>();
  #listener: Listener | null = null;
  #timer: TimerHandle | null = null;
  #queue: Promise<void> = Promise.resolve();
  #fullsync = true;
  #startFlag = true;
  #running = false;
  /** Stale namespaces are looked for once, after the first full sync. */
  #staleChecked = false;

  constructor(private readonly d: L3AgentDeps) {
    this.#rpc = new L3PluginApi(d.bus, d.host);
    this.#driver = new OvsInterfaceDriver({ net: d.net, bridge: d.integrationBridge ?? 'br-int', existingPort: 'replace' });
  }

  /** Listens on l3_agent.<host>, reports, then syncs every router scheduled here. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#listener = await listen(this.d.bus, L3AgentTopicDef, this.d.host, {
      routers_updated: (args) => this.#enqueue(() => this.#sync(args.routers)),
      router_added_to_agent: (args) => {
        this.#enqueue(() => this.#sync(args.payload));
        return null;
      },
      router_deleted: (args) => this.#enqueue(() => this.#remove(args.router_id)),
      router_removed_from_agent: (args) => this.#enqueue(() => this.#remove(args.payload.router_id)),
    });
    await this.#tick();
  }

  /** Stops reporting and listening; what it made stays (as a stopped neutron-l3-agent leaves its namespaces). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = null;
    await this.#listener?.stop();
    this.#listener = null;
    await this.#queue;
  }

  /** Resolves when every queued router operation is done (tests). */
  idle(): Promise<void> {
    return this.#queue;
  }

  /** The routers this agent has set up. */
  routerIds(): string[] {
    return [...this.#routers.keys()];
  }

  #enqueue(fn: () => Promise<void>): void {
    this.#queue = this.#queue.then(fn).catch((e: unknown) => {
      this.d.log.error({ err: e, host: this.d.host }, 'Failed to process compatible router; will resync');
      this.#fullsync = true;
    });
  }

  async #tick(): Promise<void> {
    if (!this.#running) return;
    try {
      await this.#report();
      if (this.#fullsync) this.#enqueue(() => this.#fullSync());
    } catch (e) {
      this.d.log.warn({ err: e, host: this.d.host }, 'Failed reporting state!');
    }
    if (this.#running && this.d.reportInterval > 0) this.#timer = this.d.clock.after(this.d.reportInterval * 1000, () => void this.#tick());
  }

  async #report(): Promise<void> {
    const routers = [...this.#routers.values()];
    const state: AgentStateReport = {
      agent_type: AgentTypes.l3,
      binary: AgentBinaries.l3,
      host: this.d.host,
      topic: L3_AGENT_TOPIC,
      configurations: {
        agent_mode: 'legacy',
        handle_internal_only_routers: true,
        interface_driver: 'openvswitch',
        log_agent_heartbeats: false,
        extensions: [],
        routers: routers.length,
        ex_gw_ports: routers.filter((r) => r.gateway).length,
        interfaces: routers.reduce((n, r) => n + r.internal.size, 0),
        floating_ips: routers.reduce((n, r) => n + r.fips.size, 0),
      },
      uuid: this.d.random.uuid(),
    };
    if (this.#startFlag) state.start_flag = true;
    await rpcClient(this.d.bus, ReportsTopicDef).call('report_state', { agent_state: { agent_state: state }, time: reportTime(this.d.clock.now()) }, { timeoutMs: Math.max(1, this.d.reportInterval) * 1000 });
    this.#startFlag = false;
  }

  /** fetch_and_sync_all_routers: every router scheduled here; routers no longer here are removed. */
  async #fullSync(): Promise<void> {
    this.#fullsync = false;
    const ids = await this.#rpc.getRouterIds();
    const routers = ids.length ? await this.#rpc.getRouters(ids) : [];
    const seen = new Set(routers.map((r) => r.id));
    for (const r of routers) await this.#process(r);
    for (const id of [...this.#routers.keys()]) if (!seen.has(id)) await this.#remove(id);
    if (this.#staleChecked) return;
    await this.#removeStaleNamespaces();
    this.#staleChecked = true;
  }

  /**
   * NamespaceManager's cleanup after the first full sync: a qrouter- namespace of a
   * router this host no longer has (an agent that stopped with it) loses its qr-/qg- ports
   * on br-int and is deleted.
   */
  async #removeStaleNamespaces(): Promise<void> {
    const names = (await this.#x(['ip', 'netns', 'list'])).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(NS_PREFIX));
    for (const ns of names) {
      if (this.#routers.has(ns.slice(NS_PREFIX.length))) continue;
      const links = await this.#x(['ip', '-n', ns, '-o', 'link', 'show']).catch(() => '');
      for (const m of links.matchAll(/^\d+: ([^:@\s]+)/gm)) {
        const dev = m[1]!;
        if (dev.startsWith(INTERNAL_DEV_PREFIX) || dev.startsWith(EXTERNAL_DEV_PREFIX)) await this.#driver.unplug(dev);
      }
      await this.#x(['ip', 'netns', 'delete', ns]).catch((e: unknown) => {
        if (!(e instanceof CommandFailed)) throw e;
      });
      this.d.log.info({ host: this.d.host, namespace: ns }, `Removed stale namespace ${ns}`);
    }
  }

  /** Syncs some routers: those the server no longer gives this host are removed. */
  async #sync(ids: string[]): Promise<void> {
    const routers = await this.#rpc.getRouters(ids);
    for (const r of routers) await this.#process(r);
    for (const id of ids) if (!routers.some((r) => r.id === id) && this.#routers.has(id)) await this.#remove(id);
  }

  async #x(argv: string[], input?: string): Promise<string> {
    return this.d.net.execute(argv, input === undefined ? {} : { input });
  }

  /** RouterInfo.process: namespace, internal ports, gateway, floating IPs, NAT, statuses. */
  async #process(router: SyncRouter): Promise<void> {
    if (!router.admin_state_up) return this.#remove(router.id);
    let ri = this.#routers.get(router.id);
    if (!ri) {
      ri = { id: router.id, ns: routerNamespace(router.id), internal: new Map(), gateway: null, fips: new Map(), routes: new Set() };
      await this.#x(['ip', 'netns', 'add', ri.ns]).catch((e: unknown) => {
        if (!(e instanceof CommandFailed && /File exists/.test(e.stderr))) throw e;
      });
      await this.#x(['ip', '-n', ri.ns, 'link', 'set', 'lo', 'up']);
      await this.#x(['ip', 'netns', 'exec', ri.ns, 'sysctl', '-w', 'net.ipv4.ip_forward=1']);
      this.#routers.set(router.id, ri);
      this.d.log.info({ host: this.d.host, router: router.id }, `Starting router update for ${router.id}`);
    }
    // Internal ports.
    const wanted = new Map((router._interfaces ?? []).map((p) => [deviceName(INTERNAL_DEV_PREFIX, p.id), p]));
    for (const [dev] of ri.internal) if (!wanted.has(dev)) await this.#unplug(ri, dev, () => ri!.internal.delete(dev));
    for (const [dev, p] of wanted) {
      if (!ri.internal.has(dev)) {
        await this.#plug(ri.ns, dev, p);
        ri.internal.set(dev, p.id);
      }
      await this.#address(ri.ns, dev, p);
    }
    // Gateway.
    const gw = router.gw_port ?? null;
    const gwDev = gw ? deviceName(EXTERNAL_DEV_PREFIX, gw.id) : null;
    if (ri.gateway && ri.gateway.dev !== gwDev) {
      const old = ri.gateway.dev;
      await this.#unplug(ri, old, () => (ri!.gateway = null));
      ri.fips.clear();
    }
    if (gw && gwDev) {
      if (!ri.gateway) {
        await this.#plug(ri.ns, gwDev, gw);
        ri.gateway = { dev: gwDev, portId: gw.id };
      }
      await this.#address(ri.ns, gwDev, gw);
      const gwIp = gw.subnets.find((s) => s.gateway_ip && !s.cidr.includes(':'))?.gateway_ip;
      if (gwIp) await this.#x(['ip', '-n', ri.ns, 'route', 'replace', 'default', 'via', gwIp, 'dev', gwDev]);
    }
    // Extra routes (routes_updated: replace the new ones, delete the gone ones).
    const routes = new Set((router.routes ?? []).map((r) => `${r.destination} ${r.nexthop}`));
    for (const r of ri.routes) {
      if (routes.has(r)) continue;
      const [to, via] = r.split(' ');
      await this.#x(['ip', '-n', ri.ns, 'route', 'delete', to!, 'via', via!]).catch(() => undefined);
      ri.routes.delete(r);
    }
    for (const r of routes) {
      if (ri.routes.has(r)) continue;
      const [to, via] = r.split(' ');
      await this.#x(['ip', '-n', ri.ns, 'route', 'replace', to!, 'via', via!]);
      ri.routes.add(r);
    }
    // Floating IPs (only with a gateway).
    const fips = gwDev ? (router._floatingips ?? []).filter((f) => f.fixed_ip_address) : [];
    const statuses: Record<string, string> = {};
    for (const [id, addr] of ri.fips) {
      if (fips.some((f) => f.id === id && f.floating_ip_address === addr)) continue;
      if (gwDev) await this.#x(['ip', '-n', ri.ns, 'addr', 'del', `${addr}/32`, 'dev', gwDev]).catch(() => undefined);
      ri.fips.delete(id);
      statuses[id] = 'DOWN';
    }
    for (const f of fips) {
      if (!ri.fips.has(f.id)) {
        await this.#x(['ip', '-n', ri.ns, 'addr', 'replace', `${f.floating_ip_address}/32`, 'brd', f.floating_ip_address, 'scope', 'global', 'dev', gwDev!]);
        ri.fips.set(f.id, f.floating_ip_address);
      }
      if (f.status !== 'ACTIVE') statuses[f.id] = 'ACTIVE';
    }
    // NAT.
    const gwIp4 = gw?.fixed_ips.find((i) => !i.ip_address.includes(':'))?.ip_address;
    const nat: RouterNat = {
      gateway: gwDev && gwIp4 ? { device: gwDev, ip: gwIp4, enableSnat: router.external_gateway_info?.enable_snat ?? true } : null,
      floatingIps: fips.map((f) => ({ floatingIp: f.floating_ip_address, fixedIp: f.fixed_ip_address! })),
    };
    await this.#x(['ip', 'netns', 'exec', ri.ns, 'iptables-restore'], natRestoreInput(nat));
    if (Object.keys(statuses).length) await this.#rpc.updateFloatingIpStatuses(router.id, statuses);
  }

  /** OVSInterfaceDriver.plug_new: an internal port on br-int with the port's external ids, moved into the namespace. */
  async #plug(ns: string, dev: string, p: SyncPort): Promise<void> {
    await this.#driver.plugNew({ portId: p.id, macAddress: p.mac_address, device: dev, namespace: ns, mtu: p.mtu });
  }

  /** init_router_port: the port's IPv4 fixed IPs on the device (scope global, broadcast). */
  async #address(ns: string, dev: string, p: SyncPort): Promise<void> {
    for (const ip of p.fixed_ips) {
      if (ip.ip_address.includes(':') || ip.prefixlen === undefined) continue;
      const cidr = `${ip.ip_address}/${ip.prefixlen}`;
      const brd = formatBroadcast(cidr);
      await this.#x(['ip', '-n', ns, 'addr', 'replace', cidr, ...(brd ? ['brd', brd] : []), 'scope', 'global', 'dev', dev]);
    }
  }

  /** OVSInterfaceDriver.unplug: the port off br-int (its device goes with it). */
  async #unplug(_ri: RouterState, dev: string, forget: () => void): Promise<void> {
    await this.#driver.unplug(dev);
    forget();
  }

  /** _router_removed: its ports off br-int, its namespace (and iptables) gone. */
  async #remove(routerId: string): Promise<void> {
    const ri = this.#routers.get(routerId);
    if (!ri) return;
    for (const dev of [...ri.internal.keys()]) await this.#unplug(ri, dev, () => ri.internal.delete(dev));
    if (ri.gateway) await this.#unplug(ri, ri.gateway.dev, () => (ri.gateway = null));
    await this.#x(['ip', 'netns', 'delete', ri.ns]).catch((e: unknown) => {
      if (!(e instanceof CommandFailed)) throw e;
    });
    this.#routers.delete(routerId);
    this.d.log.info({ host: this.d.host, router: routerId }, `Router ${routerId} removed`);
  }
}
