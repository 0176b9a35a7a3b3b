/**
 * The hypervisor hosts' networks by host name: one HostNetwork per [DEFAULT] hosts entry.
 * nova-compute (the VIF driver) and the OVS agent of a host share the same instance, as
 * they share the kernel and ovsdb-server of a real host.
 */
import type { Random } from '../common/clock.js';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import { parseBridgeMappings, parseHostPairs } from '../network/agents/ovs-agent-config.js';
import type { HostNetwork } from './host-network.js';
import { HostDriverConfigError } from './linux/errors.js';
import { LinuxHostNetwork } from './linux/linux-host.js';
import { SimulatedHostNetwork } from './simulated/simulated-host.js';

export class HostNetworks<H extends HostNetwork = HostNetwork> {
  readonly #hosts = new Map<string, H>();

  /** Adds a host's network; throws if the host already has one. */
  add(net: H): H {
    if (this.#hosts.has(net.host)) throw new Error(`host ${net.host} already has a network`);
    this.#hosts.set(net.host, net);
    return net;
  }

  /** The network of a host; throws for a host Nimbus does not simulate. */
  get(host: string): H {
    const net = this.#hosts.get(host);
    if (!net) throw new Error(`no host network for host ${host} (known: ${[...this.#hosts.keys()].join(', ') || 'none'})`);
    return net;
  }

  has(host: string): boolean {
    return this.#hosts.has(host);
  }

  /** Host names in the order added. */
  hosts(): string[] {
    return [...this.#hosts.keys()];
  }

  remove(host: string): void {
    this.#hosts.delete(host);
  }
}

/** A simulated host as the OVS agent of [agent] leaves it (bridges, patch ports). */
export function simulatedHost(cfg: Config, host: string, deps: { random: Random; log?: Logger }): SimulatedHostNetwork {
  return new SimulatedHostNetwork(host, {
    random: deps.random,
    log: deps.log,
    datapathType: cfg.agent.datapath_type,
    bridgeMappings: parseBridgeMappings(cfg.agent.bridge_mappings),
    tunnelTypes: cfg.agent.tunnel_types,
  });
}

/** One simulated host network per cfg.DEFAULT.hosts entry. */
export function createSimulatedHostNetworks(cfg: Config, deps: { random: Random; log?: Logger }): HostNetworks<SimulatedHostNetwork> {
  const nets = new HostNetworks<SimulatedHostNetwork>();
  for (const host of cfg.DEFAULT.hosts) nets.add(simulatedHost(cfg, host, deps));
  return nets;
}

/**
 * Where each linux host is: its namespace (null = the root one) and its ovsdb-server.
 * One host may be the machine itself ([linux_host] netns, ovsdb_socket); several hosts
 * in one process are each a namespace with its own Open vSwitch, named per host by
 * host_netns and host_ovsdb_sockets (a host missing from them takes netns and
 * ovsdb_socket, so they must differ: two hosts sharing a namespace or a database
 * would share their devices). Pairs of hosts not in [DEFAULT] hosts are left alone: a
 * host process of the distributed deployment (hosts = its own name) may read a
 * configuration file shared by every host.
 */
export function linuxHostPlaces(cfg: Config): Map<string, { netns: string | null; db: string | null }> {
  const hosts = cfg.DEFAULT.hosts;
  let netnsBy: Map<string, string>, dbBy: Map<string, string>;
  try {
    netnsBy = parseHostPairs('[linux_host] host_netns', cfg.linux_host.host_netns);
    dbBy = parseHostPairs('[linux_host] host_ovsdb_sockets', cfg.linux_host.host_ovsdb_sockets);
  } catch (e) {
    throw new HostDriverConfigError((e as Error).message);
  }
  const places = new Map(hosts.map((h) => [h, { netns: netnsBy.get(h) || cfg.linux_host.netns || null, db: dbBy.get(h) || cfg.linux_host.ovsdb_socket || null }]));
  if (hosts.length > 1) {
    for (const what of ['netns', 'db'] as const) {
      const seen = new Map<string | null, string>();
      for (const [h, p] of places) {
        const other = seen.get(p[what]);
        if (other !== undefined) {
          const opt = what === 'netns' ? 'host_netns' : 'host_ovsdb_sockets';
          throw new HostDriverConfigError(`[DEFAULT] host_driver = linux with several hosts needs each its own ${what === 'netns' ? 'network namespace' : 'ovsdb-server'}, but ${other} and ${h} share ${p[what] ?? 'the root one'}: set [linux_host] ${opt} (scripts/host-netns.sh makes such a host)`);
        }
        seen.set(p[what], h);
      }
    }
  }
  return places;
}

type HostDriverFactory = (cfg: Config, deps: { random: Random; log?: Logger }) => Promise<HostNetworks>;

/** The host drivers by [DEFAULT] host_driver name. */
const HOST_DRIVER_TABLE = {
  simulated: async (cfg, deps) => createSimulatedHostNetworks(cfg, deps),
  linux: async (cfg, deps) => {
    const nets = new HostNetworks();
    try {
      for (const [host, place] of linuxHostPlaces(cfg)) nets.add(await LinuxHostNetwork.open(host, { ...place, datapathType: cfg.linux_host.datapath_type, log: deps.log }));
    } catch (e) {
      closeHostNetworks(nets);
      throw e;
    }
    return nets;
  },
} satisfies Record<string, HostDriverFactory>;

/** The [DEFAULT] host_driver values. */
export const HOST_DRIVERS = Object.keys(HOST_DRIVER_TABLE) as (keyof typeof HOST_DRIVER_TABLE)[];

/**
 * The host networks [DEFAULT] host_driver asks for: simulated ones (one per hosts entry),
 * or this machine's real devices (linux: one host, or several each in its own network
 * namespace with its own Open vSwitch, see linuxHostPlaces; checked at start, see
 * LinuxHostNetwork.open). Throws HostDriverConfigError for an unknown driver or linux
 * hosts that would share a namespace or an Open vSwitch, and
 * HostDriverUnavailable when the machine lacks what the linux driver needs.
 */
export async function createHostNetworks(cfg: Config, deps: { random: Random; log?: Logger }): Promise<HostNetworks> {
  const driver = cfg.DEFAULT.host_driver;
  if (!Object.hasOwn(HOST_DRIVER_TABLE, driver)) throw new HostDriverConfigError(`[DEFAULT] host_driver = ${driver} is not a host driver (known: ${HOST_DRIVERS.join(', ')})`);
  return HOST_DRIVER_TABLE[driver as keyof typeof HOST_DRIVER_TABLE](cfg, deps);
}

/** Stops what host networks run in the background (the linux driver's OVSDB monitors). */
export function closeHostNetworks(nets: HostNetworks): void {
  for (const h of nets.hosts()) {
    const net = nets.get(h);
    if (net instanceof LinuxHostNetwork) net.close();
  }
}
