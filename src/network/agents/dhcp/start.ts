/**
 * Where DHCP agents run: one per host when [DEFAULT] dhcp_agent is true and the hosts are
 * real (host_driver = linux). The simulated default gets none, so no DHCP ports exist
 * there (Tempest's port counts and every simulated test see no change).
 */
import { join, resolve } from 'node:path';
import type { Bus } from '../../../bus/bus.js';
import type { Clock, Random } from '../../../common/clock.js';
import type { Config } from '../../../common/config.js';
import type { Logger } from '../../../common/log.js';
import type { HostNetwork } from '../../../hostnet/host-network.js';
import { DhcpAgent } from './dhcp-agent.js';
import { dnsmasqDefaults } from './dnsmasq.js';

/** [DEFAULT] state_path, or <data_dir>/neutron. */
export function statePath(cfg: Config): string {
  return resolve(cfg.DEFAULT.state_path || join(cfg.DEFAULT.data_dir, 'neutron'));
}

/** Why DHCP agents do not run under this configuration, or null when they do. */
export function dhcpAgentDisabledReason(cfg: Config): string | null {
  if (!cfg.DEFAULT.dhcp_agent) return '[DEFAULT] dhcp_agent is false';
  if (cfg.DEFAULT.host_driver !== 'linux') return `[DEFAULT] host_driver is ${cfg.DEFAULT.host_driver}: the DHCP agent runs dnsmasq on real hosts only (host_driver = linux)`;
  return null;
}

/** Starts a host's DHCP agent (reports, syncs its networks); stop it with stop({cleanup}). */
export async function startDhcpAgent(d: { cfg: Config; bus: Bus; clock: Clock; random: Random; log: Logger; net: HostNetwork }): Promise<DhcpAgent> {
  const { cfg } = d;
  const agent = new DhcpAgent({
    bus: d.bus,
    clock: d.clock,
    random: d.random,
    log: d.log,
    net: d.net,
    dnsmasq: dnsmasqDefaults(join(statePath(cfg), 'dhcp'), cfg.DEFAULT.dhcp_lease_duration, cfg.DEFAULT.dns_domain),
    reportInterval: cfg.agent.report_interval,
  });
  await agent.start();
  return agent;
}
