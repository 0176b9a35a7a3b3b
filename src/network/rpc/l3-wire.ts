/**
 * The L3 agent's RPC payloads (neutron/api/rpc/handlers/l3_rpc.py L3RpcCallback and
 * neutron/api/rpc/agentnotifiers/l3_rpc_agent_api.py), kwargs by oslo.messaging's names.
 * A synced router is Zed's get_sync_data dict: the router's API dict plus `gw_port`,
 * `_interfaces` and `_floatingips`, ports populated with `subnets`, `extra_subnets`,
 * `address_scopes`, `mtu` and each fixed IP's `prefixlen`.
 */
import type { Dict } from '../api/resource.js';

/** A subnet as _populate_mtu_and_subnets_for_ports gives it to the agent. */
export interface SyncSubnet {
  id: string;
  cidr: string;
  gateway_ip: string | null;
  dns_nameservers: string[];
  ipv6_ra_mode: string | null;
  subnetpool_id: string | null;
}

/** A router port (gateway or interface) as the agent gets it. */
export interface SyncPort extends Dict {
  id: string;
  network_id: string;
  mac_address: string;
  device_owner: string;
  fixed_ips: { subnet_id: string; ip_address: string; prefixlen?: number }[];
  subnets: SyncSubnet[];
  extra_subnets: SyncSubnet[];
  address_scopes: { '4': string | null; '6': string | null };
  mtu: number;
}

/** A floating IP routed by a synced router. */
export interface SyncFloatingIp extends Dict {
  id: string;
  floating_ip_address: string;
  fixed_ip_address: string | null;
  port_id: string | null;
  router_id: string | null;
  status: string;
}

/** One router of sync_routers' answer. */
export interface SyncRouter extends Dict {
  id: string;
  admin_state_up: boolean;
  external_gateway_info: { network_id: string; enable_snat: boolean; external_fixed_ips: { subnet_id: string; ip_address: string }[] } | null;
  routes: { destination: string; nexthop: string }[];
  ha: boolean;
  distributed: boolean;
  gw_port?: SyncPort;
  _interfaces?: SyncPort[];
  _floatingips?: SyncFloatingIp[];
}

export interface SyncRoutersArgs {
  host: string;
  router_ids?: string[] | null;
}

export interface HostArgs {
  host: string;
}

export interface UpdateFloatingIpStatusesArgs {
  router_id: string;
  /** floating IP id → ACTIVE / DOWN / ERROR. */
  fip_statuses: Record<string, string>;
}

/** routers_updated's kwargs (L3AgentNotifyAPI._notification_host). */
export interface RoutersUpdatedArgs {
  routers: string[];
}
export interface RouterDeletedArgs {
  router_id: string;
}
/** router_added_to_agent's payload: the router ids. */
export interface RouterAddedArgs {
  payload: string[];
}
/** router_removed_from_agent's payload. */
export interface RouterRemovedArgs {
  payload: { router_id: string };
}
