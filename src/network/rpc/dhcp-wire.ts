/**
 * The DHCP agent's RPC shapes (Zed): DhcpRpcCallback's kwargs and replies on q-plugin
 * (neutron/api/rpc/handlers/dhcp_rpc.py) and DhcpAgentNotifyAPI's casts to
 * dhcp_agent.<host> (neutron/api/rpc/agentnotifiers/dhcp_rpc_agent_api.py).
 */

/** A subnet as get_network_info lists it (the API dict; the fields the agent reads). */
export interface DhcpSubnet {
  id: string;
  network_id: string;
  cidr: string;
  ip_version: 4 | 6;
  enable_dhcp: boolean;
  gateway_ip: string | null;
  dns_nameservers: string[];
  host_routes: { destination: string; nexthop: string }[];
  ipv6_address_mode?: string | null;
  ipv6_ra_mode?: string | null;
  segment_id?: string | null;
  [key: string]: unknown;
}

/** A port as get_network_info lists it (the API dict; the fields the agent reads). */
export interface DhcpPort {
  id: string;
  network_id: string;
  mac_address: string;
  device_id: string;
  device_owner: string;
  admin_state_up: boolean;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  extra_dhcp_opts?: { opt_name: string; opt_value: string; ip_version?: number }[];
  dns_assignment?: { hostname: string; ip_address: string; fqdn: string }[];
  [key: string]: unknown;
}

/** get_network_info's reply: the network dict with its subnets and ports (NetModel's input). */
export interface DhcpNetworkInfo {
  id: string;
  name?: string;
  tenant_id?: string;
  project_id?: string;
  admin_state_up: boolean;
  mtu: number;
  subnets: DhcpSubnet[];
  /** Subnets of other segments (routed networks): none in Nimbus. */
  non_local_subnets: DhcpSubnet[];
  ports: DhcpPort[];
  [key: string]: unknown;
}

/** get_active_networks_info's kwargs. */
export interface ActiveNetworksArgs {
  host: string;
  enable_dhcp_filter?: boolean;
}

/** get_network_info's kwargs. */
export interface NetworkInfoArgs {
  network_id: string;
  host: string;
}

/** create_dhcp_port's kwargs: {port: {port: {...}}, host}. */
export interface CreateDhcpPortArgs {
  host: string;
  port: { port: Record<string, unknown> };
}

/** update_dhcp_port's kwargs. */
export interface UpdateDhcpPortArgs {
  host: string;
  port_id: string;
  port: { port: Record<string, unknown> };
}

/** release_dhcp_port's kwargs. */
export interface ReleaseDhcpPortArgs {
  host: string;
  network_id: string;
  device_id: string;
}

/** dhcp_ready_on_ports's kwargs. */
export interface DhcpReadyArgs {
  port_ids: string[];
}

/**
 * The payload of DhcpAgentNotifyAPI's casts: {subnet} / {port} on create and update,
 * {network_id}, {subnet_id, network_id}, {port_id, network_id, fixed_ips} on delete; each
 * with its `priority` (METHOD_PRIORITY_MAP; lower first).
 */
export type DhcpNotifyPayload = Record<string, unknown>;

/** A cast's kwargs: cctxt.cast(context, method, payload=payload). */
export interface DhcpNotifyArgs {
  payload: DhcpNotifyPayload;
}

/** dhcp_rpc_agent_api's priorities (lower value is higher priority). */
export const DhcpPriorities = {
  network_create_end: 0,
  network_update_end: 1,
  network_delete_end: 2,
  subnet_create_end: 3,
  subnet_update_end: 3,
  subnet_delete_end: 4,
  port_create_end: 6,
  port_update_end: 6,
  port_delete_end: 6,
} as const;
/** PRIORITY_PORT_CREATE_HIGH: the port_create_end one agent of the network gets first. */
export const PRIORITY_PORT_CREATE_HIGH = 5;

/** The methods DhcpAgentNotifyAPI casts (method name = resource_action_end). */
export const DhcpNotifyMethods = [
  'network_create_end',
  'network_update_end',
  'network_delete_end',
  'subnet_create_end',
  'subnet_update_end',
  'subnet_delete_end',
  'port_create_end',
  'port_update_end',
  'port_delete_end',
] as const;
export type DhcpNotifyMethod = (typeof DhcpNotifyMethods)[number];

/** The DHCP port's device_id: neutron_lib's DEVICE_ID_RESERVED_DHCP_PORT until the agent claims it, then dhcp<host uuid>-<network_id>. */
export const DEVICE_ID_RESERVED_DHCP_PORT = 'reserved_dhcp_port';
export const DEVICE_OWNER_DHCP = 'network:dhcp';
