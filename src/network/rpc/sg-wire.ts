/**
 * The security group RPC contract (SecurityGroupServerRpcApi 1.3 on q-plugin, and
 * SecurityGroupAgentRpcApiMixin's fanout on q-agent-notifier-security_group-update),
 * key for key as neutron's securitygroups_rpc_base.security_group_info_for_ports builds
 * its reply (sets are sent as lists, as oslo's serializer does).
 */

/** One rule as the agent's firewall gets it (rule_dict, plus the provider rules' source ports). */
export interface SgRuleInfo {
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  /** The group's stateful flag; absent on provider rules (DHCP, RA). */
  stateful?: boolean;
  protocol?: string;
  port_range_min?: number;
  port_range_max?: number;
  source_port_range_min?: number;
  source_port_range_max?: number;
  /** remote_ip_prefix of an ingress rule (DIRECTION_IP_PREFIX). */
  source_ip_prefix?: string;
  /** remote_ip_prefix of an egress rule. */
  dest_ip_prefix?: string;
  remote_group_id?: string;
  remote_address_group_id?: string;
}

/** A device of the reply: the port dict (make_port_dict_with_security_groups) plus its device name. */
export interface SgDeviceInfo {
  id: string;
  name: string;
  network_id: string;
  tenant_id: string;
  project_id: string;
  mac_address: string;
  admin_state_up: boolean;
  status: string;
  device_id: string;
  device_owner: string;
  /** The port's addresses only (not dicts), as get_ports_and_sgs makes them. */
  fixed_ips: string[];
  allowed_address_pairs: { ip_address: string; mac_address: string }[];
  port_security_enabled: boolean;
  security_groups: string[];
  /** The provider rules (DHCP replies to this port, IPv6 RA): rules of no group. */
  security_group_rules: SgRuleInfo[];
  /** The remote groups of the port's groups' rules. */
  security_group_source_groups: string[];
  security_group_remote_address_groups: string[];
  /** The device name the agent asked with. */
  device: string;
}

/** One member of a remote group: [ip or cidr, allowed-address-pair MAC or null]. */
export type MemberIp = [string, string | null];

/** security_group_info_for_devices's kwargs. */
export interface SecurityGroupInfoArgs {
  devices: string[];
  /** The agent's RPC version; '1.3' has [ip, mac] members, older ones plain ips. */
  call_version?: string;
}

/** security_group_info_for_devices's reply. */
export interface SecurityGroupInfoReply {
  devices: Record<string, SgDeviceInfo>;
  security_groups: Record<string, SgRuleInfo[]>;
  sg_member_ips: Record<string, Partial<Record<'IPv4' | 'IPv6', MemberIp[]>>>;
}

/** security_groups_rule_updated / security_groups_member_updated's kwargs. */
export interface SecurityGroupsUpdatedArgs {
  security_groups: string[];
}
