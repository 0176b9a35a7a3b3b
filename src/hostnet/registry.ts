/**
 * The hypervisor hosts' networks by host name: one HostNetwork per [DEFAULT] hosts entry.
 * nova-compute (the VIF driver) and the OVS agent of a host share the same instance, as
 * they share the kernel and ovsdb-server of a real host.
 */
import type { Random } from '../common/clock.js';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import { parseBridgeMappings } from '../network/agents/ovs-agent-config.js';
import type { HostNetwork } from './host-network.js';
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
