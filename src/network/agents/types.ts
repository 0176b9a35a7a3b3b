/** Agent shapes: what an agent reports over RPC and what the agent API shows. */

/** neutron_lib's agent constants for the agents Nimbus knows (AGENT_TYPE_*, AGENT_PROCESS_*). */
export const AgentTypes = {
  ovs: 'Open vSwitch agent',
  linuxbridge: 'Linux bridge agent',
  l3: 'L3 agent',
  dhcp: 'DHCP agent',
} as const;
export const AgentBinaries = {
  ovs: 'neutron-openvswitch-agent',
  linuxbridge: 'neutron-linuxbridge-agent',
  l3: 'neutron-l3-agent',
  dhcp: 'neutron-dhcp-agent',
} as const;
/** The L3 agent reports topic 'l3_agent' (neutron_lib constants.L3_AGENT / topics.L3_AGENT). */
export const L3_AGENT_TOPIC = 'l3_agent';
/** The DHCP agent reports topic dhcp_agent (topics.DHCP_AGENT), where neutron-server casts to it. */
export const DHCP_AGENT_TOPIC = 'dhcp_agent';
/** L2 agents report topic 'N/A' (neutron_lib constants.L2_AGENT_TOPIC). */
export const L2_AGENT_TOPIC = 'N/A';

/** The agent_state an agent sends in report_state (PluginReportStateAPI). */
export interface AgentStateReport {
  agent_type: string;
  binary: string;
  host: string;
  topic: string;
  configurations?: Record<string, unknown>;
  /** Sent on the first report after start only. */
  resource_versions?: Record<string, string>;
  availability_zone?: string | null;
  /** True on reports until the agent finished its first sync: sets started_at. */
  start_flag?: boolean;
  /** A unique id per report, for the logs. */
  uuid?: string;
}

/** report_state's arguments as oslo.messaging carries them: {agent_state: {agent_state}, time}. */
export interface ReportStateArgs {
  agent_state: { agent_state: AgentStateReport };
  /** The agent's clock, "%Y-%m-%dT%H:%M:%S.%f" in UTC. */
  time: string;
}

/** Server's view of the reporting agent (agent_consts.AGENT_NEW / AGENT_ALIVE / AGENT_REVIVED). */
export type AgentStatus = 'new' | 'alive' | 'revived';

/** An agent in the API (GET /v2.0/agents), as neutron's _make_agent_dict builds it. */
export interface AgentWire {
  id: string;
  agent_type: string;
  binary: string;
  topic: string;
  host: string;
  admin_state_up: boolean;
  created_at: string;
  started_at: string;
  heartbeat_timestamp: string;
  description: string | null;
  alive: boolean;
  configurations: Record<string, unknown>;
  resource_versions: Record<string, unknown>;
  availability_zone: string | null;
  resources_synced: boolean | null;
}
