/**
 * What a simulated Open vSwitch agent is configured with and how it turns that into the
 * `configurations` of its report_state, key for key as ovs_neutron_agent.py reports
 * them (so the agent API and the mechanism driver see what a real agent would send).
 */
import type { Config } from '../../common/config.js';

/** One simulated OVS agent's settings ([ovs] and [agent] of its openvswitch_agent.ini). */
export interface AgentConfig {
  /** physnet → provider bridge. */
  bridge_mappings: Record<string, string>;
  tunnel_types: string[];
  /** local_ip: the tunnel endpoint address. */
  tunneling_ip: string | null;
  datapath_type: string;
  /** iptables_hybrid (hybrid plug: qbr/qvb/qvo), openvswitch or noop. */
  firewall_driver: string;
  integration_bridge: string;
  l2_population: boolean;
  arp_responder: boolean;
  enable_distributed_routing: boolean;
  extensions: string[];
  baremetal_smartnic: boolean;
  availability_zone: string | null;
}

/** Parses "physnet:bridge" pairs (helpers.parse_mappings); throws on a malformed or repeated key. */
export function parseBridgeMappings(entries: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry) continue;
    const i = entry.indexOf(':');
    if (i <= 0 || i === entry.length - 1) throw new Error(`Parsing bridge_mappings failed: Invalid mapping: '${entry}'.`);
    const key = entry.slice(0, i).trim();
    if (key in out) throw new Error(`Parsing bridge_mappings failed: Key ${key} in mapping: '${entry}' not unique.`);
    out[key] = entry.slice(i + 1).trim();
  }
  return out;
}

/**
 * "host:value" pairs ([linux_host] host_netns, host_ovsdb_sockets, host_local_ips) by
 * host; the value is what follows the first colon (a socket unix:/path keeps its own).
 * Throws naming the option on a malformed or repeated host.
 */
export function parseHostPairs(option: string, entries: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry) continue;
    const i = entry.indexOf(':');
    if (i <= 0 || i === entry.length - 1) throw new Error(`${option}: '${entry}' is not host:value`);
    const host = entry.slice(0, i).trim();
    if (out.has(host)) throw new Error(`${option}: host ${host} is given twice`);
    out.set(host, entry.slice(i + 1).trim());
  }
  return out;
}

/** A host's tunnel endpoint: its [linux_host] host_local_ips entry, else [ovs] local_ip; null when neither is set. */
export function hostLocalIp(cfg: Config, host: string): string | null {
  return parseHostPairs('[linux_host] host_local_ips', cfg.linux_host.host_local_ips).get(host) || cfg.ovs.local_ip || null;
}

/**
 * A host's defaults from [agent]; its tunnel address is hostLocalIp's when configured,
 * else `index` gives each host its own made-up one (10.0.x.y).
 */
export function defaultAgentConfig(cfg: Config, index: number, host?: string): AgentConfig {
  const n = index + 1;
  return {
    bridge_mappings: parseBridgeMappings(cfg.agent.bridge_mappings),
    tunnel_types: [...cfg.agent.tunnel_types],
    tunneling_ip: (host === undefined ? cfg.ovs.local_ip || null : hostLocalIp(cfg, host)) ?? `10.0.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`,
    datapath_type: cfg.agent.datapath_type,
    firewall_driver: cfg.agent.firewall_driver,
    integration_bridge: 'br-int',
    l2_population: false,
    arp_responder: false,
    enable_distributed_routing: false,
    extensions: [],
    baremetal_smartnic: false,
    availability_zone: null,
  };
}

/** OVS_HYBRID_PLUG_REQUIRED of the agent's firewall driver: only the iptables hybrid one needs qbr bridges. */
export const hybridPlug = (firewallDriver: string): boolean =>
  firewallDriver === 'iptables_hybrid' || firewallDriver.endsWith('OVSHybridIptablesFirewallDriver');

const INVENTORY_DEFAULTS = { allocation_ratio: 1.0, min_unit: 1, step_size: 1, reserved: 0 };
const OVS_CAPABILITIES = {
  datapath_types: ['netdev', 'system'],
  iface_types: ['erspan', 'geneve', 'gre', 'internal', 'ip6erspan', 'ip6gre', 'lisp', 'patch', 'stt', 'system', 'tap', 'vxlan'],
};

/** The report's configurations, in the real agent's key order; `devices` is the number of ports on br-int. */
export function agentConfigurations(c: AgentConfig, devices: number): Record<string, unknown> {
  return {
    bridge_mappings: { ...c.bridge_mappings },
    resource_provider_bandwidths: {},
    resource_provider_inventory_defaults: { ...INVENTORY_DEFAULTS },
    resource_provider_packet_processing_without_direction: {},
    resource_provider_packet_processing_with_direction: {},
    resource_provider_packet_processing_inventory_defaults: { ...INVENTORY_DEFAULTS },
    resource_provider_hypervisors: {},
    integration_bridge: c.integration_bridge,
    tunnel_types: [...c.tunnel_types],
    tunneling_ip: c.tunneling_ip,
    l2_population: c.l2_population,
    arp_responder_enabled: c.arp_responder && c.l2_population,
    enable_distributed_routing: c.enable_distributed_routing,
    log_agent_heartbeats: false,
    extensions: [...c.extensions],
    datapath_type: c.datapath_type,
    ovs_capabilities: OVS_CAPABILITIES,
    vhostuser_socket_dir: '/var/run/openvswitch',
    ovs_hybrid_plug: hybridPlug(c.firewall_driver),
    baremetal_smartnic: c.baremetal_smartnic,
    devices,
    in_distributed_mode: false,
  };
}

/** The resource versions an agent of Zed sends on its first report (resources.LOCAL_RESOURCE_VERSIONS). */
export const LOCAL_RESOURCE_VERSIONS: Readonly<Record<string, string>> = {
  QosPolicy: '1.10',
  Trunk: '1.1',
  SubPort: '1.0',
  Port: '1.7',
  Subnet: '1.1',
  Network: '1.1',
  SecurityGroup: '1.5',
  SecurityGroupRule: '1.2',
  Log: '1.0',
  PortForwarding: '1.3',
  ConntrackHelper: '1.0',
  AddressGroup: '1.2',
  LocalIPAssociation: '1.0',
  NDPProxy: '1.0',
  Agent: '1.1',
};
