/**
 * What a linux host runs beyond the OVS agent's port loop when configured: its provider
 * bridges ([linux_host] provider_bridges: br-phys.ts, their flows provisioned as the
 * port loop assigns local VLANs) and a neutron-l3-agent ([l3_agent] enabled: l3-agent.ts).
 * With the simulated driver, or with both options off, nothing is made and no agent runs,
 * so the default cloud is unchanged.
 */
import type { Bus } from '../../bus/bus.js';
import type { Clock, Random } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import type { HostNetworks } from '../../hostnet/index.js';
import { PhysicalBridges } from './br-phys.js';
import type { LocalVlanHooks } from './l2-agent.js';
import { L3Agent } from './l3-agent.js';
import { parseBridgeMappings } from './ovs-agent-config.js';

export interface LinuxRouting {
  /** For the OVS agents' port loop (absent without provider bridges). */
  localVlanHooks?: LocalVlanHooks;
  /** Starts the L3 agents (after the OVS agents report, so router ports can bind). */
  startAgents(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLinuxRouting(d: { bus: Bus; clock: Clock; random: Random; log: Logger; cfg: Config; hostnets: HostNetworks }): Promise<LinuxRouting> {
  const linux = d.cfg.DEFAULT.host_driver === 'linux';
  if (!linux) {
    if (d.cfg.l3_agent.enabled) d.log.warn('[l3_agent] enabled is ignored with host_driver = simulated: routers stay API-only');
    return { startAgents: async () => {}, stop: async () => {} };
  }
  const hosts = d.hostnets.hosts();
  const bridges = new Map<string, PhysicalBridges>();
  if (d.cfg.linux_host.provider_bridges) {
    const mappings = parseBridgeMappings(d.cfg.agent.bridge_mappings);
    for (const host of hosts) {
      const b = new PhysicalBridges(d.hostnets.get(host), mappings, { datapathType: d.cfg.linux_host.datapath_type });
      await b.setup();
      bridges.set(host, b);
    }
  }
  const agents = d.cfg.l3_agent.enabled
    ? hosts.map((host) => new L3Agent({ bus: d.bus, clock: d.clock, random: d.random, log: d.log.child({ svc: 'l3-agent' }), host, net: d.hostnets.get(host), reportInterval: d.cfg.agent.report_interval }))
    : [];
  return {
    ...(bridges.size
      ? {
          localVlanHooks: {
            provisioned: async (host, lvm) => bridges.get(host)?.provision(lvm),
            reclaimed: async (host, lvm) => bridges.get(host)?.reclaim(lvm),
          },
        }
      : {}),
    async startAgents() {
      for (const a of agents) await a.start();
    },
    async stop() {
      for (const a of agents) await a.stop();
    },
  };
}
