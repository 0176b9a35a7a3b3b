/**
 * The OVS agent's port loop (ovs_neutron_agent.rpc_loop) for every simulated host, as
 * shared workers (STYLE 9): each host's agent watches br-int through the host's OVSDB
 * Interface monitor and collects added and removed VIF ports (interfaces whose
 * external_ids carry iface-id and attached-mac); one timer every [agent]
 * polling_interval seconds (0: on the next tick after an event) processes each host
 * with pending work through a small pool, the way an iteration of rpc_loop does:
 *
 * 1. events → port info (process_ports_events): re-added ports (removed and added
 *    again in one interval) are first reported down; failed devices of the previous
 *    iteration are retried, at most MAX_DEVICE_RETRIES times;
 * 2. added ports: one get_devices_details_list_and_failed_devices call for the whole
 *    batch; each port of a known, bound network gets its network's local VLAN
 *    (`ovs-vsctl set Port qvoX tag=N` on the host); a port with admin_state_up false, or
 *    one the plugin does not know, is put on the dead VLAN 4095 if it had a tag (port_dead:
 *    an untagged new port stays untagged, as in Zed);
 * 3. one update_device_list with devices_up / devices_down, agent_id ("ovs-agent-HOST")
 *    and host; removed ports: one update_device_list with devices_down, and their
 *    local VLAN is reclaimed when it was the network's last port.
 *
 * neutron-server's fanout port_update / port_delete (q-agent-notifier-port-update /
 * -delete) reach the agent that has the port: an updated port is fetched and wired again
 * with the added ones (admin_state_up false → dead VLAN, reported down), a deleted one
 * still on br-int goes to the dead VLAN (process_deleted_ports).
 *
 * binding-extended (live migration): a compute port whose ACTIVE binding is another
 * host's is answered `no_active_binding` and left unwired (and not reported up) here.
 * binding_deactivate / binding_activate (q-agent-notifier-port_binding-*) carry a host
 * and only that host's agent acts: deactivate removes the VIF from br-int
 * (process_deactivated_bindings: `ovs-vsctl --if-exists del-port br-int X`, which then
 * comes back as a removed port reported down); activate makes a port still on br-int
 * count as added in the next iteration (process_activated_bindings), so it is fetched
 * (BUILD), wired and reported up (ACTIVE) now that its binding is this host's.
 *
 * OpenFlow (openflow/): br-int's default tables at the first iteration, each bound port's
 * ARP/MAC spoofing protection, a dead port's drop flow, a removed port's ofport flows;
 * queued during the iteration and sent as one `ovs-ofctl add-flows` per bridge at its end,
 * with this run's random cookie; after the first iteration that completes, flows of
 * other cookies (a previous run's) are deleted (cleanup_stale_flows). Security groups are
 * the firewall's.
 *
 * Tunnels (openflow/tunnel-bridge.ts), when [ovs] local_ip is set and [agent]
 * tunnel_types are: iteration 0 sets up br-tun and calls tunnel_sync per type (retried
 * each iteration until it succeeds), making a tunnel port to every other endpoint;
 * tunnel_update / tunnel_delete fanouts add or remove one at the next iteration; a tunnel
 * network's first port provisions its VNI ↔ local VLAN flows and flooding on br-tun,
 * its last port reclaims them. Without local_ip (the simulated fleet) no tunnel is made:
 * N hosts would cost N² tunnel ports.
 *
 * Security groups (firewall_driver iptables_hybrid, on hosts whose packetFilter is set):
 * new and updated ports are filtered before they are reported up, removed ones lose
 * their chains, and neutron-server's security_groups_rule_updated / _member_updated
 * (q-agent-notifier-security_group-update) re-filter the ports concerned in the next
 * iteration (firewall/sg-agent.ts). With firewall_driver openvswitch the same agent drives
 * the OVS firewall instead (firewall/ovs-firewall.ts: conntrack flows in br-int's tables
 * 60-94, on hosts whose packetFilter is set), and the agent's own ARP/MAC spoofing flows
 * are left out everywhere since that firewall provides them; a simulated host then has
 * neither (no packets to filter). A host whose agent the fleet silenced (fault injection)
 * keeps its events until it reports again. This module never touches a database.
 */
import type { Bus, Listener } from '../../bus/bus.js';
import { listen } from '../../bus/contract.js';
import { type Clock, type Random, type TimerHandle, systemRandom } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import { CommandFailed, type HostNetwork, type InterfaceEvent } from '../../hostnet/host-network.js';
import { type DeviceDetails, isDeviceDetails } from '../rpc/wire.js';
import { DEAD_VLAN_TAG, LocalVlanManager, type LocalVlanMapping } from './local-vlans.js';
import type { FleetHost, HostWorker } from './ovs-fleet.js';
import { PluginApi } from './plugin-rpc.js';
import { IntegrationFlows } from './openflow/int-flows.js';
import { TunnelBridge } from './openflow/tunnel-bridge.js';
import { hostLocalIp } from './ovs-agent-config.js';
import { TUN_TABLE, cookieFromBytes } from './openflow/tables.js';
import { AgentBindingActivateTopicDef, AgentBindingDeactivateTopicDef, AgentPortDeleteTopicDef, AgentPortUpdateTopicDef, AgentSecurityGroupUpdateTopicDef, AgentTunnelDeleteTopicDef, AgentTunnelUpdateTopicDef } from '../rpc/topics.js';
import { OvsFirewall, type OvsVif, isOvsFirewall } from './firewall/ovs-firewall.js';
import { SecurityGroupAgent, SecurityGroupServerApi, isHybridIptables } from './firewall/sg-agent.js';

/** constants.MAX_DEVICE_RETRIES: a device failing more often is no longer retried. */
export const MAX_DEVICE_RETRIES = 5;
const TUNNEL_TYPES = new Set(['vxlan', 'gre', 'geneve']);

export interface L2AgentLoopDeps {
  bus: Bus;
  clock: Clock;
  log: Logger;
  cfg: Config;
  /** The flows' cookie of each agent start (ovs_lib.generate_random_cookie); systemRandom when absent. */
  random?: Random;
  hostnets: { get(host: string): HostNetwork };
  /** Whether a host's agent is running (the fleet's setReporting silences it); default: always. */
  isAlive?: (host: string) => boolean;
  /** Hosts processed at once (the shared pool). */
  concurrency?: number;
  /** [ovs] integration_bridge. */
  integrationBridge?: string;
  /**
   * The server name the agents listen as: their host in a host process (the
   * q-agent-notifier-*.<host> queues, as neutron's agents), 'ovs-agents' for the embedded
   * fleet's one listener serving every simulated host.
   */
  server?: string;
  /** A network's local VLAN was provisioned / reclaimed on a host (the physical bridges' flows, br-phys.ts). */
  localVlanHooks?: LocalVlanHooks;
}

/** What else happens when a host's agent provisions or reclaims a local VLAN (provision_local_vlan's bridge flows). */
export interface LocalVlanHooks {
  provisioned(host: string, lvm: LocalVlanMapping): Promise<void>;
  reclaimed(host: string, lvm: LocalVlanMapping): Promise<void>;
}

interface Iface {
  ofport: number;
  externalIds: Readonly<Record<string, string>>;
}

interface HostAgent {
  host: string;
  agentId: string;
  net: HostNetwork;
  unsubscribe: () => void;
  /** br-int's interfaces as the monitor last reported them. */
  ifaces: Map<string, Iface>;
  /** Port id → interface name, for VIF ports on br-int. */
  vifByPortId: Map<string, string>;
  /** Port (and interface) name → the tag this agent set; a new Port row has none. */
  tags: Map<string, number | null>;
  added: InterfaceEvent[];
  removed: InterfaceEvent[];
  /** Port ids neutron-server said changed (port_update) or are gone (port_delete). */
  updated: Set<string>;
  deleted: Set<string>;
  /** Port ids whose binding on this host was deactivated / activated (binding_deactivate / binding_activate). */
  deactivated: Set<string>;
  activated: Set<string>;
  /** Port ids the agent has processed and considers on br-int (port_info['current']). */
  current: Set<string>;
  failed: { added: Set<string>; removed: Set<string> };
  retries: Map<string, number>;
  vlans: LocalVlanManager;
  /** Port id → its local VLAN mapping key. */
  portVlan: Map<string, string>;
  iter: number;
  inFlight: boolean;
  /** br-int's flows of this agent run (openflow/). */
  intFlows: IntegrationFlows;
  /** Whether the previous run's flows were cleaned (after the first complete iteration that saw br-int's ports). */
  staleCleaned: boolean;
  /** Whether the monitor's initial rows of br-int arrived (a real host sends them after subscribing). */
  initialSeen: boolean;
  /** This host's tunnel endpoint (hostLocalIp: [linux_host] host_local_ips, else [ovs] local_ip). */
  localIp: string | null;
  /** br-tun, when this host tunnels (a local_ip and tunnel_types set). */
  tun: TunnelBridge | null;
  /** tunnel_sync still to do (at start, and again after it failed). */
  tunnelSync: boolean;
  /** tunnel_update / tunnel_delete received, applied at the next iteration. */
  tunnelChanges: { add: boolean; type: string; ip: string }[];
  /** The host's security group agent, when it has a firewall (null: noop). */
  sg: SecurityGroupAgent | null;
}

/** A VIF port's id: external_ids iface-id, when attached-mac is set too (the agent's _process_port). */
function vifPortId(externalIds: Readonly<Record<string, string>>): string | null {
  return 'attached-mac' in externalIds && externalIds['iface-id'] ? externalIds['iface-id'] : null;
}

/** One iteration's port ids (port_info). */
interface PortInfo {
  added: Set<string>;
  removed: Set<string>;
  reAdded: Set<string>;
  /** port_update'd ports still on br-int. */
  updated: Set<string>;
}

/** Python's repr of a list of strings, as the agent's log lines print them. */
const pyList = (xs: Iterable<string>) => `[${[...xs].map((x) => `'${x}'`).join(', ')}]`;

export class OvsL2AgentLoop implements HostWorker {
  readonly #agents = new Map<string, HostAgent>();
  readonly #dirty = new Set<string>();
  /**
   * Port id → the hosts whose br-int has its VIF (how fanout port_update/port_delete find
   * their agents): two during a live migration, source and destination.
   */
  readonly #portHosts = new Map<string, Set<string>>();
  #listeners: Listener[] = [];
  readonly #rpc: PluginApi;
  readonly #sgRpc: SecurityGroupServerApi;
  readonly #bridge: string;
  readonly #concurrency: number;
  #timer: TimerHandle | null = null;
  #kick: TimerHandle | null = null;
  #running = false;
  #round: Promise<void> | null = null;

  constructor(private readonly d: L2AgentLoopDeps) {
    this.#rpc = new PluginApi(d.bus);
    this.#sgRpc = new SecurityGroupServerApi(d.bus);
    this.#bridge = d.integrationBridge ?? 'br-int';
    this.#concurrency = d.concurrency ?? 16;
  }

  /** Starts watching a host's br-int (its existing interfaces arrive as added). */
  addHost(host: string): void {
    if (this.#agents.has(host)) throw new Error(`host ${host} already has an OVS agent port loop`);
    const net = this.d.hostnets.get(host);
    const cookie = cookieFromBytes((this.d.random ?? systemRandom).bytes(8));
    // Each host of the process its own endpoint (several linux hosts on one machine).
    const localIp = hostLocalIp(this.d.cfg, host);
    const tun = localIp && this.d.cfg.agent.tunnel_types.length
      ? new TunnelBridge(net, { integrationBridge: this.#bridge, tunnelBridge: 'br-tun', datapathType: this.d.cfg.agent.datapath_type, localIp, cookie })
      : null;
    const agent: HostAgent = {
      host,
      agentId: `ovs-agent-${host}`,
      net,
      unsubscribe: () => {},
      ifaces: new Map(),
      vifByPortId: new Map(),
      tags: new Map(),
      added: [],
      removed: [],
      updated: new Set(),
      deleted: new Set(),
      deactivated: new Set(),
      activated: new Set(),
      current: new Set(),
      failed: { added: new Set(), removed: new Set() },
      retries: new Map(),
      vlans: new LocalVlanManager(),
      portVlan: new Map(),
      iter: 0,
      inFlight: false,
      // The OVS firewall provides ARP spoofing protection itself (provides_arp_spoofing_protection).
      intFlows: new IntegrationFlows(net, this.#bridge, cookie, !isOvsFirewall(this.d.cfg.agent.firewall_driver)),
      staleCleaned: false,
      initialSeen: false,
      localIp,
      tun,
      tunnelSync: tun !== null,
      tunnelChanges: [],
      sg: null,
    };
    if (isHybridIptables(this.d.cfg.agent.firewall_driver) && agent.net.packetFilter) agent.sg = new SecurityGroupAgent(this.#sgRpc, agent.net, this.d.log, this.d.cfg.agent.report_interval);
    if (isOvsFirewall(this.d.cfg.agent.firewall_driver) && agent.net.packetFilter) {
      const fw = new OvsFirewall(agent.net, this.#bridge, cookie, (device) => this.#vif(agent, device), this.d.log);
      agent.sg = new SecurityGroupAgent(this.#sgRpc, agent.net, this.d.log, this.d.cfg.agent.report_interval, fw);
    }
    this.#agents.set(host, agent);
    // A lost watch (the linux host's OVSDB connection closed) is taken again after
    // [agent] ovsdb_monitor_respawn_interval, as Zed's AsyncProcess respawns its ovsdb
    // monitor; br-int is then seen afresh, as after an agent restart.
    let respawn: TimerHandle | null = null;
    const unwatch = agent.net.onInterfaceChange(
      (ev) => this.#onEvent(agent, ev),
      (err) => {
        this.d.log.error({ host, err }, 'Interface monitor is not active');
        respawn = this.d.clock.after(this.d.cfg.agent.ovsdb_monitor_respawn_interval * 1000, () => {
          if (this.#agents.get(host) !== agent) return;
          this.removeHost(host);
          this.addHost(host);
        });
      },
    );
    // A snapshot load replaced the devices: see br-int afresh, as after an agent restart.
    const unrestore = agent.net.onRestore?.(() => {
      this.removeHost(host);
      this.addHost(host);
    });
    agent.unsubscribe = () => {
      respawn?.cancel();
      unwatch();
      unrestore?.();
    };
    // Iteration 0 installs br-int's default flows even when br-int has no port yet.
    this.#dirty.add(host);
    if (this.#pollMs() === 0) this.#wake();
  }

  /** Stops watching a host (its pending events are dropped). */
  removeHost(host: string): void {
    const a = this.#agents.get(host);
    if (!a) return;
    a.unsubscribe();
    for (const id of a.vifByPortId.keys()) this.#forgetPortHost(id, host);
    this.#agents.delete(host);
    this.#dirty.delete(host);
  }

  /**
   * Listens to neutron-server's port_update / port_delete fanout (one listener for every
   * host's agent) and processes pending work every polling_interval seconds until stop().
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const server = this.d.server ?? 'ovs-agents';
    this.#listeners = [
      await listen(this.d.bus, AgentPortUpdateTopicDef, server, { port_update: (args) => this.#notified(String(args.port?.id ?? ''), 'updated') }),
      await listen(this.d.bus, AgentPortDeleteTopicDef, server, { port_delete: (args) => this.#notified(args.port_id, 'deleted') }),
      await listen(this.d.bus, AgentBindingDeactivateTopicDef, server, {
        binding_deactivate: (args) => this.#bindingChanged(args.host, args.port_id, 'deactivated'),
      }),
      await listen(this.d.bus, AgentBindingActivateTopicDef, server, {
        binding_activate: (args) => this.#bindingChanged(args.host, args.port_id, 'activated'),
      }),
      await listen(this.d.bus, AgentTunnelUpdateTopicDef, server, { tunnel_update: (args) => this.#tunnelChanged(true, args.tunnel_type, args.tunnel_ip) }),
      await listen(this.d.bus, AgentTunnelDeleteTopicDef, server, { tunnel_delete: (args) => this.#tunnelChanged(false, args.tunnel_type, args.tunnel_ip) }),
      await listen(this.d.bus, AgentSecurityGroupUpdateTopicDef, server, {
        security_groups_rule_updated: (args) => this.#securityGroupsUpdated(args.security_groups, 'rulesUpdated'),
        security_groups_member_updated: (args) => this.#securityGroupsUpdated(args.security_groups, 'membersUpdated'),
      }),
    ];
    this.#schedule();
    if (this.#dirty.size) this.#wake();
  }

  /** Stops the timer and the RPC listeners; an iteration in progress finishes. */
  stop(): void {
    for (const l of this.#listeners) void l.stop();
    this.#listeners = [];
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = null;
    this.#kick?.cancel();
    this.#kick = null;
  }

  /** VIF ports on the host's br-int with a usable ofport (ovs_lib's get_vif_port_set), for the state report. */
  devices(host: string): number {
    const a = this.#agents.get(host);
    if (!a) return 0;
    let n = 0;
    for (const name of a.vifByPortId.values()) if ((a.ifaces.get(name)?.ofport ?? -1) > 0) n++;
    return n;
  }

  /** The fleet's per-report tick: the port loop keeps its own cadence. */
  async tick(_host: FleetHost): Promise<void> {}

  /** Runs an iteration for one host, or every host with pending work, now (tests, tools). */
  async pollNow(host?: string): Promise<void> {
    if (host === undefined) return this.#runRound();
    const a = this.#agents.get(host);
    if (a) await this.#iterate(a);
  }

  /** The local VLAN of a network on a host, if the host's agent has one for it. */
  localVlan(host: string, networkId: string, segmentationId: number | null): number | undefined {
    return this.#agents.get(host)?.vlans.get(networkId, segmentationId)?.vlan;
  }

  /** port_update / port_delete: every agent that has the port re-processes it next iteration. */
  #notified(portId: string, kind: 'updated' | 'deleted'): void {
    for (const host of this.#portHosts.get(portId) ?? []) {
      const a = this.#agents.get(host);
      if (!a) continue;
      a[kind].add(portId);
      this.#dirty.add(a.host);
    }
    if (this.#pollMs() === 0 && this.#portHosts.has(portId)) this.#wake();
  }

  /** security_groups_rule_updated / _member_updated: agents filtering ports of those groups refresh them next iteration. */
  #securityGroupsUpdated(groups: string[], kind: 'rulesUpdated' | 'membersUpdated'): void {
    let any = false;
    for (const a of this.#agents.values()) {
      if (a.sg?.[kind](groups ?? [])) {
        this.#dirty.add(a.host);
        any = true;
      }
    }
    if (any && this.#pollMs() === 0) this.#wake();
  }

  #rememberPortHost(portId: string, host: string): void {
    (this.#portHosts.get(portId) ?? this.#portHosts.set(portId, new Set()).get(portId)!).add(host);
  }

  #forgetPortHost(portId: string, host: string): void {
    const hosts = this.#portHosts.get(portId);
    if (!hosts) return;
    hosts.delete(host);
    if (!hosts.size) this.#portHosts.delete(portId);
  }

  /** tunnel_update / tunnel_delete: every tunnelling agent of the type applies it at its next iteration. */
  #tunnelChanged(add: boolean, type: string, ip: string): void {
    if (!type || !ip) {
      this.d.log.error(`No tunnel_${type ? 'ip' : 'type'} specified, cannot ${add ? 'create' : 'delete'} tunnels`);
      return;
    }
    for (const a of this.#agents.values()) {
      if (!a.tun) continue;
      if (!this.d.cfg.agent.tunnel_types.includes(type)) {
        this.d.log.error({ host: a.host }, `tunnel_type ${type} not supported by agent`);
        continue;
      }
      a.tunnelChanges.push({ add, type, ip });
      this.#dirty.add(a.host);
    }
    if (this.#pollMs() === 0) this.#wake();
  }

  /** tunnel_sync (iteration 0, or after a failure) and the tunnel changes notified since the last iteration. */
  async #processTunnels(a: HostAgent): Promise<void> {
    const tun = a.tun!;
    if (!tun.ready) await tun.setup();
    if (a.tunnelSync) {
      try {
        for (const type of this.d.cfg.agent.tunnel_types) {
          const reply = await this.#rpc.tunnelSync({ tunnel_ip: a.localIp!, tunnel_type: type, host: a.host });
          for (const t of reply.tunnels) await tun.addTunnel(type, t.ip_address);
        }
        a.tunnelSync = false;
      } catch (e) {
        this.d.log.debug({ host: a.host, err: e }, `Unable to sync tunnel IP ${a.localIp}: ${String(e)}`);
      }
    }
    const changes = a.tunnelChanges;
    a.tunnelChanges = [];
    for (const c of changes) {
      if (c.add) await tun.addTunnel(c.type, c.ip);
      else await tun.removeTunnel(c.type, c.ip);
    }
  }

  /** binding_deactivate / binding_activate: only the named host's agent keeps the port id. */
  #bindingChanged(host: string, portId: string, kind: 'deactivated' | 'activated'): void {
    const a = this.#agents.get(host);
    if (!a || !portId) return;
    a[kind].add(portId);
    this.#dirty.add(a.host);
    if (this.#pollMs() === 0) this.#wake();
  }

  #onEvent(a: HostAgent, ev: InterfaceEvent): void {
    if (ev.bridge !== this.#bridge) return;
    const id = vifPortId(ev.externalIds);
    if (ev.action === 'initial') a.initialSeen = true;
    switch (ev.action) {
      case 'initial':
      case 'insert':
        a.ifaces.set(ev.name, { ofport: ev.ofport, externalIds: ev.externalIds });
        a.tags.set(ev.name, null);
        if (id) {
          a.vifByPortId.set(id, ev.name);
          this.#rememberPortHost(id, a.host);
        }
        a.added.push(ev);
        break;
      case 'delete':
        a.intFlows.portRemoved(ev.ofport);
        a.ifaces.delete(ev.name);
        a.tags.delete(ev.name);
        if (id && a.vifByPortId.get(id) === ev.name) {
          a.vifByPortId.delete(id);
          this.#forgetPortHost(id, a.host);
        }
        a.removed.push(ev);
        break;
      case 'update': {
        const before = a.ifaces.get(ev.name);
        const oldId = before && vifPortId(before.externalIds);
        if (oldId && oldId !== id && a.vifByPortId.get(oldId) === ev.name) {
          a.vifByPortId.delete(oldId);
          this.#forgetPortHost(oldId, a.host);
        }
        a.ifaces.set(ev.name, { ofport: ev.ofport, externalIds: ev.externalIds });
        if (id) {
          a.vifByPortId.set(id, ev.name);
          this.#rememberPortHost(id, a.host);
        }
        // An ofport that changed (OVS assigns it after the insert on a real host): its
        // ofport-based flows are moved, the port processed again as updated
        // (update_stale_ofport_rules). Other 'modified' rows change nothing in rpc_loop.
        if (!before || before.ofport === ev.ofport) return;
        a.intFlows.portRemoved(before.ofport);
        if (!id || !a.current.has(id)) return;
        a.updated.add(id);
        break;
      }
    }
    this.#dirty.add(a.host);
    if (this.#pollMs() === 0) this.#wake();
  }

  #pollMs(): number {
    return this.d.cfg.agent.polling_interval * 1000;
  }

  #schedule(): void {
    if (!this.#running || this.#pollMs() <= 0) return;
    this.#timer = this.d.clock.after(this.#pollMs(), () => {
      this.#schedule();
      void this.#runRound();
    });
  }

  /** polling_interval 0: an iteration on the next tick. */
  #wake(): void {
    if (!this.#running || this.#kick) return;
    this.#kick = this.d.clock.after(0, () => {
      this.#kick = null;
      void this.#runRound();
    });
  }

  /** One iteration for every host with pending work, #concurrency at a time. */
  #runRound(): Promise<void> {
    const queue: HostAgent[] = [];
    for (const host of this.#dirty) {
      const a = this.#agents.get(host);
      if (!a) {
        this.#dirty.delete(host);
        continue;
      }
      if (a.inFlight || !(this.d.isAlive?.(host) ?? true)) continue;
      this.#dirty.delete(host);
      queue.push(a);
    }
    if (!queue.length) return this.#round ?? Promise.resolve();
    const next = async (): Promise<void> => {
      for (let a = queue.shift(); a; a = queue.shift()) await this.#iterate(a);
    };
    const round = Promise.all(Array.from({ length: Math.min(this.#concurrency, queue.length) }, next)).then(() => undefined);
    this.#round = round;
    return round;
  }

  /** One rpc_loop iteration for one host. */
  async #iterate(a: HostAgent): Promise<void> {
    if (a.inFlight) return;
    a.inFlight = true;
    const info = this.#portInfo(a);
    let ok = false;
    // Stale flows go only after an iteration that wired the ports already there (they keep forwarding meanwhile).
    const synced = a.initialSeen;
    if (a.iter === 0) a.intFlows.setupDefault();
    try {
      if (a.tun) await this.#processTunnels(a);
      await this.#processDeactivatedBindings(a, info.removed);
      this.#processActivatedBindings(a, info);
      await this.#processDeletedPorts(a, info.removed);
      if (info.added.size || info.updated.size || info.removed.size || info.reAdded.size || a.sg?.refreshNeeded()) await this.#processNetworkPorts(a, info);
      ok = true;
    } catch (e) {
      this.d.log.error({ err: e, host: a.host }, 'Error while processing VIF ports');
      for (const id of info.added) a.failed.added.add(id);
      for (const id of info.removed) a.failed.removed.add(id);
    } finally {
      await this.#sendFlows(a, ok && synced);
      this.#countRetries(a);
      a.iter++;
      a.inFlight = false;
      if (a.tunnelSync || a.tunnelChanges.length || a.failed.added.size || a.failed.removed.size || a.added.length || a.removed.length || a.updated.size || a.deleted.size || a.deactivated.size || a.activated.size || a.sg?.refreshNeeded()) {
        this.#dirty.add(a.host);
        if (this.#pollMs() === 0) this.#wake();
      }
    }
  }

  /** The iteration's flows, one ovs-ofctl per bridge; after the first good iteration that saw br-int's ports, the previous run's flows go. */
  async #sendFlows(a: HostAgent, iterationOk: boolean): Promise<void> {
    try {
      await a.intFlows.br.flush();
      if (a.tun) await a.tun.br.flush();
      if (iterationOk && !a.staleCleaned) {
        this.d.log.info({ host: a.host }, `Cleaning stale ${this.#bridge} flows`);
        await a.intFlows.br.cleanupStale();
        if (a.tun?.ready) {
          this.d.log.info({ host: a.host }, `Cleaning stale ${a.tun.br.bridge} flows`);
          await a.tun.br.cleanupStale();
        }
        a.staleCleaned = true;
      }
    } catch (e) {
      if (!(e instanceof CommandFailed)) throw e;
      this.d.log.error({ host: a.host, stderr: e.stderr }, `Failed to program ${this.#bridge} flows`);
    }
  }

  /** process_ports_events + _update_port_info_failed_devices_stats. */
  #portInfo(a: HostAgent): PortInfo {
    const added = a.added;
    const removed = a.removed;
    a.added = [];
    a.removed = [];
    const addedNames = new Set(added.map((e) => e.name));
    const reAddedNames = new Set(removed.filter((e) => addedNames.has(e.name) && a.ifaces.has(e.name)).map((e) => e.name));
    const removedNow = removed.filter((e) => !reAddedNames.has(e.name));
    const removedNames = new Set(removedNow.map((e) => e.name));
    const ids = (evs: InterfaceEvent[]) => new Set(evs.map((e) => vifPortId(e.externalIds)).filter((x): x is string => !!x));
    const info = {
      added: ids(added.filter((e) => !removedNames.has(e.name))),
      removed: ids(removedNow),
      reAdded: ids(removed.filter((e) => reAddedNames.has(e.name))),
    };
    for (const id of info.removed) a.failed.added.delete(id);
    for (const id of info.added) a.failed.removed.delete(id);
    for (const id of info.removed) if (!a.current.has(id)) info.removed.delete(id);
    for (const id of a.failed.added) info.added.add(id);
    for (const id of a.failed.removed) info.removed.add(id);
    for (const id of info.added) a.current.add(id);
    for (const id of info.removed) a.current.delete(id);
    a.failed = { added: new Set(), removed: new Set() };
    const updated = new Set([...a.updated].filter((id) => a.current.has(id)));
    a.updated = new Set();
    return { ...info, updated };
  }

  /** process_deactivated_bindings: a VIF whose binding here was deactivated leaves br-int (removed ports are already gone). */
  async #processDeactivatedBindings(a: HostAgent, removed: Set<string>): Promise<void> {
    const ids = [...a.deactivated].filter((id) => !removed.has(id));
    a.deactivated = new Set();
    for (const id of ids) {
      const name = a.vifByPortId.get(id);
      if (!name) continue;
      try {
        await a.net.execute(['ovs-vsctl', '--if-exists', 'del-port', this.#bridge, name]);
      } catch (e) {
        if (!(e instanceof CommandFailed)) throw e;
      }
      this.d.log.debug({ host: a.host, port: id }, `Port id ${id} unplugged from integration bridge because its binding was de-activated`);
    }
  }

  /** A device's VIF on br-int as the OVS firewall needs it (get_ovs_port + the port's tag), or null. */
  #vif(a: HostAgent, device: string): OvsVif | null {
    const name = a.vifByPortId.get(device);
    const iface = name === undefined ? undefined : a.ifaces.get(name);
    const tag = name === undefined ? null : (a.tags.get(name) ?? null);
    const key = a.portVlan.get(device);
    const lvm = key === undefined ? undefined : a.vlans.byKey(key);
    const mac = iface?.externalIds['attached-mac'];
    if (!iface || iface.ofport <= 0 || tag === null || tag === DEAD_VLAN_TAG || !mac) return null;
    return { ofport: iface.ofport, vlanTag: tag, mac, networkType: lvm?.networkType ?? null, segmentId: lvm?.segmentationId ?? null };
  }

  /** process_activated_bindings: ports still on br-int whose binding here became active are processed as added. */
  #processActivatedBindings(a: HostAgent, info: PortInfo): void {
    for (const id of a.activated) if (a.current.has(id)) info.added.add(id);
    a.activated = new Set();
  }

  /** process_deleted_ports: ports neutron deleted while their VIF is still here go to the dead VLAN. */
  async #processDeletedPorts(a: HostAgent, removed: Set<string>): Promise<void> {
    const deleted = [...a.deleted].filter((id) => !removed.has(id));
    a.deleted = new Set();
    for (const id of deleted) {
      const name = a.vifByPortId.get(id);
      if (name) await this.#portDead(a, name);
      await a.sg?.removeDevicesFilter([id]);
      this.#portUnbound(a, id);
    }
  }

  async #processNetworkPorts(a: HostAgent, info: PortInfo): Promise<void> {
    const { log } = this.d;
    const base = { agent_id: a.agentId, host: a.host };
    if (info.reAdded.size) {
      // Ports deleted and quickly added back (a rebuild): DOWN first, so their UP notifies nova again.
      await this.#rpc.updateDeviceList({ ...base, devices_up: [], devices_down: [...info.reAdded] });
    }
    const skipped = new Set<string>();
    const addedUpdated = new Set([...info.added, ...info.updated]);
    if (addedUpdated.size) {
      const reply = await this.#rpc.getDevicesDetailsListAndFailedDevices({ ...base, devices: [...addedUpdated], agent_restarted: a.iter === 0 });
      for (const id of reply.failed_devices) a.failed.added.add(id);
      const needBinding: DeviceDetails[] = [];
      const adminDown: string[] = [];
      const noActiveBinding = new Set<string>();
      for (const d of reply.devices) {
        const name = a.vifByPortId.get(d.device);
        if (!name) {
          log.info({ host: a.host, port: d.device }, `Port ${d.device} was not found on the integration bridge and will therefore not be processed`);
          skipped.add(d.device);
          continue;
        }
        const ofport = a.ifaces.get(name)?.ofport ?? -1;
        if (isDeviceDetails(d)) {
          if (ofport <= 0) {
            log.error({ host: a.host, port: d.port_id }, `VIF port: ${d.port_id} has no ofport configured or is invalid, and might not be able to transmit. (ofport=${ofport})`);
          }
          if (d.admin_state_up) {
            if (await this.#portBound(a, name, d)) needBinding.push(d);
          } else {
            log.info({ host: a.host, port: d.port_id }, `VIF port: ${d.port_id} admin state up disabled, putting on the dead VLAN`);
            await this.#portDead(a, name);
            adminDown.push(d.device);
          }
        } else {
          if ('no_active_binding' in d) noActiveBinding.add(d.device);
          if ('no_active_binding' in d) log.debug({ host: a.host, device: d.device }, `Device ${d.device} has no active binding in host`);
          else log.warn({ host: a.host, device: d.device }, `Device ${d.device} not defined on plugin or binding failed`);
          if (ofport !== -1) await this.#portDead(a, name);
        }
      }
      for (const id of skipped) a.current.delete(id);
      // setup_port_filters: ports are filtered before they are reported up.
      await a.sg?.setupPortFilters(new Set([...info.added].filter((id) => !skipped.has(id) && !noActiveBinding.has(id))), info.updated);
      await this.#bindDevices(a, needBinding, adminDown);
    } else if (a.sg?.refreshNeeded()) await a.sg.setupPortFilters(new Set(), new Set());
    if (info.removed.size) {
      log.info({ host: a.host }, `Ports ${pyList(info.removed)} removed`);
      await a.sg?.removeDevicesFilter(info.removed);
      const reply = await this.#rpc.updateDeviceList({ ...base, devices_up: [], devices_down: [...info.removed] });
      for (const id of reply.failed_devices_down) a.failed.removed.add(id);
      for (const id of info.removed) this.#portUnbound(a, id);
    }
    if (skipped.size) {
      log.info({ host: a.host }, `Ports ${pyList(skipped)} skipped, changing status to down`);
      await this.#rpc.updateDeviceList({ ...base, devices_up: [], devices_down: [...skipped] });
    }
  }

  /** _bind_devices: one update_device_list for the ports wired in this iteration. */
  async #bindDevices(a: HostAgent, needBinding: DeviceDetails[], adminDown: string[]): Promise<void> {
    const up = needBinding.map((d) => d.device);
    if (!up.length && !adminDown.length) return;
    // tunnels_missing: a tunnel network's port with no tunnel yet (always, where this host makes no tunnels).
    const tunnelsMissing = needBinding.some((d) => TUNNEL_TYPES.has(d.network_type) && !a.tun?.hasTunnels(d.network_type));
    const reply = await this.#rpc.updateDeviceList({
      devices_up: up,
      devices_down: adminDown,
      agent_id: a.agentId,
      host: a.host,
      refresh_tunnels: a.iter === 0 || tunnelsMissing,
    });
    const failed = [...reply.failed_devices_up, ...reply.failed_devices_down];
    for (const id of failed) a.failed.added.add(id);
    if (failed.length) this.d.log.error({ host: a.host, failed }, `Configuration for devices ${pyList(failed)} failed!`);
    this.d.log.info({ host: a.host, up: up.length, down: adminDown.length }, `Configuration for devices up ${pyList(up)} and devices down ${pyList(adminDown)} completed.`);
  }

  /** port_bound: the network's local VLAN (provisioned if new) as the port's tag. False when it could not be wired. */
  async #portBound(a: HostAgent, name: string, d: DeviceDetails): Promise<boolean> {
    const key = LocalVlanManager.key(d.network_id, d.segmentation_id);
    const prev = a.portVlan.get(d.port_id);
    if (prev !== undefined && prev !== key) this.#release(a, prev, d.port_id);
    const had = a.vlans.get(d.network_id, d.segmentation_id);
    const lvm = a.vlans.provision(d.network_id, d.network_type, d.physical_network, d.segmentation_id);
    if (!lvm) {
      this.d.log.error({ host: a.host }, `No local VLAN available for net-id=${d.network_id}, seg-id=${d.segmentation_id}`);
      return false;
    }
    if (!had) {
      this.d.log.info({ host: a.host }, `Assigning ${lvm.vlan} as local vlan for net-id=${d.network_id}, seg-id=${d.segmentation_id}`);
      await this.d.localVlanHooks?.provisioned(a.host, lvm);
      if (a.tun && d.network_type in TUN_TABLE && d.segmentation_id !== null) a.tun.provision({ vlan: lvm.vlan, networkType: d.network_type, segmentationId: d.segmentation_id });
    }
    lvm.ports.add(d.port_id);
    a.portVlan.set(d.port_id, key);
    const cur = a.tags.get(name) ?? null;
    a.intFlows.portBound(a.ifaces.get(name)?.ofport ?? -1, d, cur === DEAD_VLAN_TAG);
    if (cur === lvm.vlan) return true;
    try {
      await a.net.execute(['ovs-vsctl', 'set', 'Port', name, `tag=${lvm.vlan}`]);
    } catch (e) {
      if (!(e instanceof CommandFailed)) throw e;
      this.d.log.debug({ host: a.host, port: d.port_id, stderr: e.stderr }, `Port ${d.port_id} deleted concurrently`);
      return false;
    }
    a.tags.set(name, lvm.vlan);
    return true;
  }

  /** port_dead: a tagged port moves to the dead VLAN; an untagged one is left alone (Zed). */
  async #portDead(a: HostAgent, name: string): Promise<void> {
    const cur = a.tags.get(name) ?? null;
    if (cur === null || cur === DEAD_VLAN_TAG) return;
    try {
      await a.net.execute(['ovs-vsctl', 'set', 'Port', name, `tag=${DEAD_VLAN_TAG}`]);
      a.tags.set(name, DEAD_VLAN_TAG);
      a.intFlows.portDead(a.ifaces.get(name)?.ofport ?? -1);
    } catch (e) {
      if (!(e instanceof CommandFailed)) throw e;
    }
  }

  /** port_unbound: forgets the port's VLAN membership, reclaiming the VLAN after the network's last port. */
  #portUnbound(a: HostAgent, portId: string): void {
    const key = a.portVlan.get(portId);
    if (key !== undefined) this.#release(a, key, portId);
  }

  #release(a: HostAgent, key: string, portId: string): void {
    a.portVlan.delete(portId);
    const m = a.vlans.release(key, portId);
    if (!m) return;
    this.d.log.info({ host: a.host }, `Reclaiming vlan = ${m.vlan} from net-id = ${m.networkId}, seg-id = ${m.segmentationId}`);
    this.d.localVlanHooks?.reclaimed(a.host, m).catch((e: unknown) => this.d.log.error({ host: a.host, err: e }, `Reclaiming vlan ${m.vlan} failed`));
    if (a.tun && m.networkType in TUN_TABLE && m.segmentationId !== null) a.tun.reclaim({ vlan: m.vlan, networkType: m.networkType, segmentationId: m.segmentationId });
  }

  /** update_retries_map_and_remove_devs_not_to_retry. */
  #countRetries(a: HostAgent): void {
    const failing = new Set([...a.failed.added, ...a.failed.removed]);
    for (const id of [...a.retries.keys()]) if (!failing.has(id)) a.retries.delete(id);
    for (const id of failing) {
      const n = (a.retries.get(id) ?? 0) + 1;
      if (n > MAX_DEVICE_RETRIES) {
        this.d.log.warn({ host: a.host, device: id }, `Device ${id} has failed ${MAX_DEVICE_RETRIES} times and won't be retried anymore`);
        a.failed.added.delete(id);
        a.failed.removed.delete(id);
        a.retries.delete(id);
      } else a.retries.set(id, n);
    }
  }
}
