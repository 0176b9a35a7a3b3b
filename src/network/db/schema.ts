/**
 * neutron-server's tables, as Kysely row types. Booleans are 0/1 integers, times ISO
 * text, JSON as text (see src/db/database.ts). The ML2 and agent tables are declared
 * beside their code and joined here into the one database type.
 */
import type { AgentTables } from '../agents/db/tables.js';
import type { Ml2Tables } from '../ml2/db/tables.js';
import type { TunnelEndpointTables } from './tunnel-endpoints.js';

/** Columns every neutron resource with standard attributes has. */
export interface StandardAttrs {
  description: string;
  created_at: string;
  updated_at: string;
  revision_number: number;
}

export interface NetworkRow extends StandardAttrs {
  id: string;
  project_id: string;
  name: string;
  admin_state_up: number;
  status: string;
  shared: number;
  mtu: number;
  port_security_enabled: number;
  router_external: number;
  availability_zone_hints: string; // JSON list
}

export interface SubnetRow extends StandardAttrs {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: number;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
  /** Total addresses in the allocation pools, kept so availability needs no recount. */
  pool_size: string;
  /** The subnet pool the CIDR was allocated from, if any. */
  subnetpool_id: string | null;
}

export interface AllocationPoolRow {
  id: string;
  subnet_id: string;
  first_ip: string;
  last_ip: string;
}

export interface DnsNameserverRow {
  subnet_id: string;
  address: string;
  order: number;
}

export interface SubnetRouteRow {
  subnet_id: string;
  destination: string;
  nexthop: string;
}

export interface PortRow extends StandardAttrs {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  mac_address: string;
  admin_state_up: number;
  status: string;
  device_id: string;
  device_owner: string;
  port_security_enabled: number;
}

/** One fixed IP of one port; (subnet_id, ip_address) is the primary key, so an address has one owner. */
export interface IpAllocationRow {
  port_id: string;
  ip_address: string;
  subnet_id: string;
  network_id: string;
}

export interface AllowedAddressPairRow {
  port_id: string;
  mac_address: string;
  ip_address: string;
}

export interface ExtraDhcpOptRow {
  id: string;
  port_id: string;
  opt_name: string;
  opt_value: string;
  ip_version: number;
}

export interface SecurityGroupRow extends StandardAttrs {
  id: string;
  project_id: string;
  name: string;
  stateful: number;
}

/** project_id is the primary key: a project has one default group even under races. */
export interface DefaultSecurityGroupRow {
  project_id: string;
  security_group_id: string;
}

export interface SecurityGroupRuleRow extends StandardAttrs {
  id: string;
  project_id: string;
  security_group_id: string;
  remote_group_id: string | null;
  remote_address_group_id: string | null;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
}

export interface SecurityGroupPortBindingRow {
  port_id: string;
  security_group_id: string;
}

export interface FloatingIpRow extends StandardAttrs {
  id: string;
  project_id: string;
  floating_ip_address: string;
  floating_network_id: string;
  floating_port_id: string;
  fixed_port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: string;
}

/** A neutron router; gw_port_id is its network:router_gateway port, if it has a gateway. */
export interface RouterRow extends StandardAttrs {
  id: string;
  project_id: string;
  name: string;
  admin_state_up: number;
  status: string;
  gw_port_id: string | null;
  enable_snat: number;
}

/** A port a router holds (gateway or interface); port_type is the port's device_owner. */
export interface RouterPortRow {
  router_id: string;
  port_id: string;
  port_type: string;
}

/** One extra route of a router (extraroute). */
export interface RouterRouteRow {
  router_id: string;
  destination: string;
  nexthop: string;
}

/** A subnet pool; prefix lengths are integers here (neutron prints them as strings). */
export interface SubnetPoolRow extends StandardAttrs {
  id: string;
  project_id: string;
  name: string;
  ip_version: number;
  default_prefixlen: number;
  min_prefixlen: number;
  max_prefixlen: number;
  shared: number;
  is_default: number;
  /** Per-project quota in /32 (IPv4) or /64 (IPv6) units; null = none. */
  default_quota: number | null;
  /** Rewritten by every allocation from the pool (neutron's SubnetAllocator lock). */
  hash: string;
}

/** One prefix of a pool, stored compacted (neutron's SubnetPoolPrefix). */
export interface SubnetPoolPrefixRow {
  cidr: string;
  subnetpool_id: string;
}

export interface QuotaRow {
  id: string;
  project_id: string;
  resource: string;
  limit: number;
}

/**
 * One ML2 port binding of a port on one host ((port_id, host) is the key): a port has one
 * ACTIVE binding (host '' while unbound) and INACTIVE ones for other hosts (binding-extended).
 */
export interface PortBindingRow {
  port_id: string;
  host: string;
  vnic_type: string;
  profile: string; // JSON
  vif_type: string;
  vif_details: string; // JSON
  /** 'ACTIVE' or 'INACTIVE' (neutron_lib constants.ACTIVE / INACTIVE). */
  status: string;
}

/** One tag of one taggable resource (standard-attr-tag); resource_type is the collection name. */
export interface TagRow {
  resource_type: string;
  resource_id: string;
  tag: string;
}

export interface CoreTables {
  networks: NetworkRow;
  subnets: SubnetRow;
  ipallocationpools: AllocationPoolRow;
  dnsnameservers: DnsNameserverRow;
  subnetroutes: SubnetRouteRow;
  ports: PortRow;
  ipallocations: IpAllocationRow;
  allowedaddresspairs: AllowedAddressPairRow;
  extradhcpopts: ExtraDhcpOptRow;
  securitygroups: SecurityGroupRow;
  default_security_group: DefaultSecurityGroupRow;
  securitygrouprules: SecurityGroupRuleRow;
  securitygroupportbindings: SecurityGroupPortBindingRow;
  floatingips: FloatingIpRow;
  quotas: QuotaRow;
  ml2_port_bindings: PortBindingRow;
  tags: TagRow;
  routers: RouterRow;
  routerports: RouterPortRow;
  routerroutes: RouterRouteRow;
  subnetpools: SubnetPoolRow;
  subnetpoolprefixes: SubnetPoolPrefixRow;
}

export interface NeutronDB extends CoreTables, Ml2Tables, AgentTables, TunnelEndpointTables {}
