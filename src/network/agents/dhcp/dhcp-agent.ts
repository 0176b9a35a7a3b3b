/**
 * neutron-dhcp-agent for one host (Zed's DhcpAgentWithStateReport with the Dnsmasq
 * driver and the OVS interface driver), over the host's HostNetwork.
 *
 * - report_state every [agent] report_interval: agent_type "DHCP agent", binary
 *   neutron-dhcp-agent, topic dhcp_agent, configurations {dhcp_driver,
 *   dhcp_lease_duration, log_agent_heartbeats, networks, subnets, ports};
 * - sync_state at start (get_active_networks_info) and again after a failed network;
 *   a network it set up earlier (its directory under <state_path>/dhcp, also from an
 *   earlier run) that is no longer active is disabled;
 * - dhcp_agent.<host> casts (network/subnet/port *_end) re-read the network
 *   (get_network_info) and bring it to its state: a network with a DHCP subnet gets its
 *   DHCP port (device_id dhcp<uuid5(host)>-<network_id>, bound to this host; a
 *   reserved_dhcp_port is claimed, otherwise create_dhcp_port), plugged as OVS internal
 *   port tap<port_id[:11]> on br-int with iface-id/iface-status/attached-mac, moved into
 *   qdhcp-<network_id> and addressed; dnsmasq's host, addn_hosts and opts files are
 *   written under <state_path>/dhcp/<network_id>/ and dnsmasq started (`ip netns exec`)
 *   or sent SIGHUP; then dhcp_ready_on_ports. A network without DHCP subnets, or gone,
 *   is disabled: dnsmasq killed (-9), the tap deleted from br-int, the namespace and the
 *   files removed, the port released (release_dhcp_port) when the network still exists.
 *
 * Work on one network is serialised; networks proceed independently. The L2 agent sees
 * the tap on br-int like any VIF and tags it. This module never touches a database.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Bus, Listener } from '../../../bus/bus.js';
import { listen, rpcClient } from '../../../bus/contract.js';
import type { Clock, Random, TimerHandle } from '../../../common/clock.js';
import type { Logger } from '../../../common/log.js';
import { CommandFailed, type HostNetwork } from '../../../hostnet/host-network.js';
import { formatBroadcast } from '../../ipam/cidr.js';
import { DEVICE_ID_RESERVED_DHCP_PORT, DEVICE_OWNER_DHCP, type DhcpNetworkInfo, type DhcpNotifyArgs, type DhcpNotifyPayload, type DhcpPort } from '../../rpc/dhcp-wire.js';
import { DhcpAgentTopicDef, PluginTopicDef, ReportsTopicDef } from '../../rpc/topics.js';
import { OvsInterfaceDriver } from '../interface-driver.js';
import { reportTime } from '../report-time.js';
import { AgentBinaries, type AgentStateReport, AgentTypes, DHCP_AGENT_TOPIC } from '../types.js';
import { type DnsmasqConf, addnHostsFile, confFile, dhcpDeviceId, dhcpDeviceName, dhcpNamespace, dnsmasqCmdline, hostsFile, optsFile } from './dnsmasq.js';

/** neutron_lib's AGENT_TYPE_DHCP, AGENT_PROCESS_DHCP and topics.DHCP_AGENT. */
export const DHCP_AGENT_TYPE = AgentTypes.dhcp;
export const DHCP_AGENT_BINARY = AgentBinaries.dhcp;
export { DHCP_AGENT_TOPIC };

export interface DhcpAgentDeps {
  bus: Bus;
  clock: Clock;
  random: Random;
  log: Logger;
  net: HostNetwork;
  /** dnsmasq's options; confsDir is <state_path>/dhcp. */
  dnsmasq: DnsmasqConf;
  /** [agent] report_interval, seconds (0: no reports). */
  reportInterval: number;
  integrationBridge?: string;
  /** [AGENT] availability_zone. */
  availabilityZone?: string;
}

/** What the agent has set up for one network. */
interface NetState {
  port: DhcpPort;
  device: string;
  subnets: number;
  ports: number;
}

export class DhcpAgent {
  readonly host: string;
  readonly #nets = new Map<string, NetState>();
  readonly #queues = new Map<string, Promise<void>>();
  readonly #plugin;
  /** Plugs the tap keeping a port (and device) an earlier run left (`--may-exist`). */
  readonly #driver: OvsInterfaceDriver;
  #listener: Listener | null = null;
  #timer: TimerHandle | null = null;
  #startFlag = true;
  #needsResync = false;
  #running = false;

  constructor(private readonly d: DhcpAgentDeps) {
    this.host = d.net.host;
    this.#plugin = rpcClient(d.bus, PluginTopicDef);
    this.#driver = new OvsInterfaceDriver({ net: d.net, bridge: d.integrationBridge ?? 'br-int', existingPort: 'keep' });
  }

  /** Reports, listens on dhcp_agent.<host> and syncs every network this agent serves. */
  async start(): Promise<void> {
    this.#running = true;
    await this.reportState();
    const on = (fn: (p: DhcpNotifyPayload) => string | undefined) => (args: DhcpNotifyArgs) => {
      const id = args.payload && fn(args.payload);
      if (id) void this.refresh(id);
    };
    const fromPort = (p: DhcpNotifyPayload) => (p.port as { network_id?: string } | undefined)?.network_id ?? (p.network_id as string | undefined);
    const fromSubnet = (p: DhcpNotifyPayload) => (p.subnet as { network_id?: string } | undefined)?.network_id ?? (p.network_id as string | undefined);
    const fromNetwork = (p: DhcpNotifyPayload) => (p.network as { id?: string } | undefined)?.id ?? (p.network_id as string | undefined);
    this.#listener = await listen(this.d.bus, DhcpAgentTopicDef, this.host, {
      network_create_end: on(fromNetwork),
      network_update_end: on(fromNetwork),
      network_delete_end: on(fromNetwork),
      subnet_create_end: on(fromSubnet),
      subnet_update_end: on(fromSubnet),
      subnet_delete_end: on(fromSubnet),
      port_create_end: on(fromPort),
      port_update_end: on(fromPort),
      port_delete_end: on(fromPort),
    });
    await this.syncState();
    this.#schedule();
  }

  /** Stops reporting and listening; with `cleanup`, also disables every network it set up (dnsmasq, tap, namespace, files). */
  async stop(opts: { cleanup?: boolean } = {}): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = null;
    await this.#listener?.stop();
    this.#listener = null;
    await Promise.all([...this.#queues.values()]);
    if (opts.cleanup) for (const id of [...this.#nets.keys()]) await this.#disable(id, false);
  }

  /** The networks this agent serves now. */
  networks(): string[] {
    return [...this.#nets.keys()];
  }

  #schedule(): void {
    if (!this.#running || this.d.reportInterval <= 0) return;
    this.#timer = this.d.clock.after(this.d.reportInterval * 1000, () => {
      this.#schedule();
      void this.reportState();
      if (this.#needsResync) void this.syncState();
    });
  }

  /** One report_state call (_report_state); failures are logged, as the agent's. */
  async reportState(): Promise<void> {
    const state: AgentStateReport = {
      binary: DHCP_AGENT_BINARY,
      host: this.host,
      availability_zone: this.d.availabilityZone ?? 'nova',
      topic: DHCP_AGENT_TOPIC,
      configurations: {
        dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq',
        dhcp_lease_duration: this.d.dnsmasq.leaseDuration,
        log_agent_heartbeats: false,
        networks: this.#nets.size,
        subnets: [...this.#nets.values()].reduce((n, s) => n + s.subnets, 0),
        ports: [...this.#nets.values()].reduce((n, s) => n + s.ports, 0),
      },
      agent_type: DHCP_AGENT_TYPE,
      uuid: this.d.random.uuid(),
      ...(this.#startFlag ? { start_flag: true } : {}),
    };
    try {
      await rpcClient(this.d.bus, ReportsTopicDef).call('report_state', { agent_state: { agent_state: state }, time: reportTime(this.d.clock.now()) });
      this.#startFlag = false;
    } catch (e) {
      this.d.log.warn({ err: e, host: this.host }, 'Failed reporting state!');
    }
  }

  /** sync_state: every active network of this host brought to its state, the others disabled. */
  async syncState(): Promise<void> {
    this.#needsResync = false;
    let active: DhcpNetworkInfo[];
    try {
      active = await this.#plugin.call('get_active_networks_info', { host: this.host });
    } catch (e) {
      this.d.log.error({ err: e, host: this.host }, 'Unable to sync network state.');
      this.#needsResync = true;
      return;
    }
    const ids = new Set(active.map((n) => n.id));
    // Dnsmasq.existing_dhcp_networks: what an earlier run of the agent left in the confs dir counts too.
    const known = new Set([...this.#nets.keys(), ...existingNetworks(this.d.dnsmasq.confsDir)]);
    await Promise.all([
      ...[...known].filter((id) => !ids.has(id)).map((id) => this.#queue(id, () => this.#disable(id, true))),
      ...active.map((n) => this.#queue(n.id, () => this.#configure(n))),
    ]);
  }

  /** Re-reads one network (get_network_info) and brings it to its state; resolves when done. */
  refresh(networkId: string): Promise<void> {
    return this.#queue(networkId, async () => {
      const net = await this.#plugin.call('get_network_info', { network_id: networkId, host: this.host });
      if (!net || !net.admin_state_up) await this.#disable(networkId, !!net);
      else await this.#configure(net);
    });
  }

  #queue(networkId: string, work: () => Promise<void>): Promise<void> {
    const prev = this.#queues.get(networkId) ?? Promise.resolve();
    const next = prev
      .then(work)
      .catch((e: unknown) => {
        this.d.log.error({ err: e, host: this.host, network: networkId }, `Unable to configure DHCP for network ${networkId}.`);
        this.#needsResync = true;
      })
      .finally(() => {
        if (this.#queues.get(networkId) === next) this.#queues.delete(networkId);
      });
    this.#queues.set(networkId, next);
    return next;
  }

  async #run(argv: string[], ok: (e: CommandFailed) => boolean = () => false): Promise<string> {
    try {
      return await this.d.net.execute(argv);
    } catch (e) {
      if (e instanceof CommandFailed && ok(e)) return '';
      throw e;
    }
  }

  /** Dnsmasq.enable / reload_allocations: DHCP port, device, files, dnsmasq. */
  async #configure(net: DhcpNetworkInfo): Promise<void> {
    const dhcpSubnets = net.subnets.filter((s) => s.enable_dhcp);
    if (!dhcpSubnets.length) return this.#disable(net.id, true);
    const port = await this.#setupDhcpPort(net);
    if (!port) return;
    const known = net.ports.some((p) => p.id === port.id);
    const view: DhcpNetworkInfo = known ? net : { ...net, ports: [...net.ports, port] };
    const device = dhcpDeviceName(port.id);
    if (!this.#nets.has(net.id) || this.#nets.get(net.id)!.port.id !== port.id) await this.#plug(net, port, device);
    this.#writeFiles(view, device);
    await this.#startOrReload(net.id);
    this.#nets.set(net.id, { port, device, subnets: dhcpSubnets.length, ports: view.ports.length });
    const ready = view.ports.filter((p) => p.device_owner !== DEVICE_OWNER_DHCP).map((p) => p.id);
    if (ready.length) await this.#plugin.call('dhcp_ready_on_ports', { port_ids: ready });
  }

  /** DeviceManager.setup_dhcp_port: this host's DHCP port, claimed or created. */
  async #setupDhcpPort(net: DhcpNetworkInfo): Promise<DhcpPort | null> {
    const deviceId = dhcpDeviceId(net.id, this.host);
    const dhcpSubnets = net.subnets.filter((s) => s.enable_dhcp).map((s) => s.id);
    const mine = net.ports.find((p) => p.device_id === deviceId);
    if (mine) {
      const missing = dhcpSubnets.filter((id) => !mine.fixed_ips.some((ip) => ip.subnet_id === id));
      if (!missing.length) return mine;
      const fixed_ips = [...mine.fixed_ips.map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })), ...missing.map((subnet_id) => ({ subnet_id }))];
      return this.#plugin.call('update_dhcp_port', { port_id: mine.id, port: { port: { network_id: net.id, fixed_ips } }, host: this.host });
    }
    const reserved = net.ports.find((p) => p.device_owner === DEVICE_OWNER_DHCP && p.device_id === DEVICE_ID_RESERVED_DHCP_PORT);
    if (reserved) {
      return this.#plugin.call('update_dhcp_port', { port_id: reserved.id, port: { port: { network_id: net.id, device_id: deviceId } }, host: this.host });
    }
    return this.#plugin.call('create_dhcp_port', {
      port: {
        port: {
          name: '',
          admin_state_up: true,
          network_id: net.id,
          tenant_id: net.tenant_id ?? net.project_id,
          fixed_ips: dhcpSubnets.map((subnet_id) => ({ subnet_id })),
          device_id: deviceId,
          device_owner: DEVICE_OWNER_DHCP,
        },
      },
      host: this.host,
    });
  }

  /** OVSInterfaceDriver.plug_new into the network's namespace, then init_l3. */
  async #plug(net: DhcpNetworkInfo, port: DhcpPort, device: string): Promise<void> {
    const ns = dhcpNamespace(net.id);
    const exists = (e: CommandFailed) => /File exists/.test(e.stderr);
    await this.#run(['ip', 'netns', 'add', ns], exists);
    await this.#run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    await this.#driver.plugNew({ portId: port.id, macAddress: port.mac_address, device, namespace: ns, mtu: net.mtu });
    const byId = new Map(net.subnets.map((s) => [s.id, s]));
    for (const ip of port.fixed_ips) {
      const s = byId.get(ip.subnet_id);
      if (!s) continue;
      const prefix = s.cidr.split('/')[1]!;
      const brd = s.ip_version === 4 ? formatBroadcast(s.cidr) : null;
      await this.#run(['ip', '-n', ns, 'addr', 'replace', `${ip.ip_address}/${prefix}`, ...(brd ? ['brd', brd] : []), 'scope', 'global', 'dev', device]);
    }
  }

  #writeFiles(net: DhcpNetworkInfo, device: string): void {
    const conf = this.d.dnsmasq;
    // dnsmasq reads these after dropping root (Debian's default user nobody): the directories must be searchable.
    mkdirSync(confFile(conf, net.id, 'host').replace(/\/host$/, ''), { recursive: true, mode: 0o755 });
    replaceFile(confFile(conf, net.id, 'host'), hostsFile(conf, net));
    replaceFile(confFile(conf, net.id, 'addn_hosts'), addnHostsFile(conf, net));
    replaceFile(confFile(conf, net.id, 'opts'), optsFile(net, conf.dnsDomain));
    replaceFile(confFile(conf, net.id, 'interface'), device);
    this.#lastCmd.set(net.id, dnsmasqCmdline(conf, net));
  }

  readonly #lastCmd = new Map<string, string[]>();

  /** dnsmasq's pid if it runs for this network (its pid file names a process whose cmdline has the network id). */
  #pid(networkId: string): number | null {
    try {
      const pid = Number(readFileSync(confFile(this.d.dnsmasq, networkId, 'pid'), 'utf8').trim());
      if (!pid) return null;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmdline.includes(networkId) ? pid : null;
    } catch {
      return null;
    }
  }

  async #startOrReload(networkId: string): Promise<void> {
    let pid = this.#pid(networkId);
    const cmd = this.#lastCmd.get(networkId)!;
    if (pid && runningCmdline(pid).join('\0') !== cmd.join('\0')) {
      // Subnets changed (dhcp-range, lease max...): dnsmasq restarts, as Dnsmasq.restart.
      await this.#run(['kill', '-9', String(pid)], () => true);
      pid = null;
    }
    if (pid) {
      await this.#run(['kill', '-HUP', String(pid)]);
      this.d.log.debug({ host: this.host, network: networkId }, `Reloading allocations for network: ${networkId}`);
      return;
    }
    await this.#run(['ip', 'netns', 'exec', dhcpNamespace(networkId), ...cmd]);
    this.d.log.info({ host: this.host, network: networkId }, `Finished network ${networkId} dhcp configuration`);
  }

  /** Dnsmasq.disable + DeviceManager.destroy: kill dnsmasq, unplug, delete the namespace and files; release the port if the network still exists. */
  async #disable(networkId: string, release: boolean): Promise<void> {
    const state = this.#nets.get(networkId);
    const pid = this.#pid(networkId);
    // After a restart the device is known from the network's interface file only.
    const device = state?.device ?? readOr(confFile(this.d.dnsmasq, networkId, 'interface'));
    if (pid) await this.#run(['kill', '-9', String(pid)], () => true);
    if (device) await this.#driver.unplug(device);
    if (device || pid) await this.#run(['ip', 'netns', 'delete', dhcpNamespace(networkId)], () => true);
    rmSync(confFile(this.d.dnsmasq, networkId, 'host').replace(/\/host$/, ''), { recursive: true, force: true });
    this.#nets.delete(networkId);
    this.#lastCmd.delete(networkId);
    if (device && release) {
      await this.#plugin.call('release_dhcp_port', { network_id: networkId, device_id: dhcpDeviceId(networkId, this.host), host: this.host });
    }
    if (device) this.d.log.info({ host: this.host, network: networkId }, `Finished network ${networkId} dhcp configuration`);
  }
}

/** file_utils.replace_file: write a temporary file beside it, then rename over it. */
function replaceFile(path: string, data: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, data, { mode: 0o644 });
  renameSync(tmp, path);
}

/** A file's content, or '' when it cannot be read. */
function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The network ids with a directory under the confs dir. */
function existingNetworks(confsDir: string): string[] {
  try {
    return readdirSync(confsDir).filter((n) => UUID.test(n));
  } catch {
    return [];
  }
}

/** A process's argv from /proc (empty when it is gone). */
function runningCmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}
