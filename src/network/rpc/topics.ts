/**
 * neutron's RPC topics, each declared once as a contract (bus/contract.ts) that the
 * sender and the listener are both checked against: q-plugin (ML2's RpcCallbacks, the
 * agents' calls), q-reports-plugin (agent heartbeats), and the q-agent-notifier-*
 * fanouts from neutron-server to the L2 agents, q-l3-plugin and l3_agent for the L3 agents. Argument and reply shapes are
 * oslo.messaging's kwargs and return values (wire.ts, agent-notifier.ts, agents/types.ts).
 */
import { defineTopic } from '../../bus/contract.js';
import { Topics } from '../../bus/topics.js';
import type { AgentStatus, ReportStateArgs } from '../agents/types.js';
import type { BindingActivateArgs, BindingDeactivateArgs, PortDeleteArgs, PortUpdateArgs } from './agent-notifier.js';
import type { HostArgs, RouterAddedArgs, RouterDeletedArgs, RouterRemovedArgs, RoutersUpdatedArgs, SyncRouter, SyncRoutersArgs, UpdateFloatingIpStatusesArgs } from './l3-wire.js';
import type { ActiveNetworksArgs, CreateDhcpPortArgs, DhcpNetworkInfo, DhcpNotifyArgs, DhcpPort, DhcpReadyArgs, NetworkInfoArgs, ReleaseDhcpPortArgs, UpdateDhcpPortArgs } from './dhcp-wire.js';
import type { TunnelNotifyArgs, TunnelSyncArgs, TunnelSyncReply } from './tunnel-wire.js';
import type { SecurityGroupInfoArgs, SecurityGroupInfoReply, SecurityGroupsUpdatedArgs } from './sg-wire.js';
import type { DeviceArgs, DeviceDetailsEntry, DeviceDownReply, DevicesDetailsArgs, DevicesDetailsReply, UpdateDeviceListArgs, UpdateDeviceListReply } from './wire.js';

export interface PluginTopic {
  get_devices_details_list_and_failed_devices: { args: DevicesDetailsArgs; result: DevicesDetailsReply };
  get_devices_details_list: { args: DevicesDetailsArgs; result: DeviceDetailsEntry[] };
  get_device_details: { args: DeviceArgs; result: DeviceDetailsEntry };
  update_device_list: { args: UpdateDeviceListArgs; result: UpdateDeviceListReply };
  update_device_up: { args: DeviceArgs; result: null };
  update_device_down: { args: DeviceArgs; result: DeviceDownReply };
  /** DhcpRpcCallback (the DHCP agent's calls, same q-plugin server). */
  get_active_networks_info: { args: ActiveNetworksArgs; result: DhcpNetworkInfo[] };
  get_network_info: { args: NetworkInfoArgs; result: DhcpNetworkInfo | null };
  create_dhcp_port: { args: CreateDhcpPortArgs; result: DhcpPort | null };
  update_dhcp_port: { args: UpdateDhcpPortArgs; result: DhcpPort | null };
  release_dhcp_port: { args: ReleaseDhcpPortArgs; result: null };
  dhcp_ready_on_ports: { args: DhcpReadyArgs; result: null };
  /** An OVS agent registers its tunnel endpoint and learns the others' (type_tunnel.py). */
  tunnel_sync: { args: TunnelSyncArgs; result: TunnelSyncReply };
  /** SecurityGroupServerRpcCallback (RPC namespace "secgroup", 1.3), served on q-plugin too. */
  security_group_info_for_devices: { args: SecurityGroupInfoArgs; result: SecurityGroupInfoReply };
}

export const PluginTopicDef = defineTopic<PluginTopic>(Topics.plugin, {
  get_devices_details_list_and_failed_devices: true,
  get_devices_details_list: true,
  get_device_details: true,
  update_device_list: true,
  update_device_up: true,
  update_device_down: true,
  get_active_networks_info: true,
  get_network_info: true,
  create_dhcp_port: true,
  update_dhcp_port: true,
  release_dhcp_port: true,
  dhcp_ready_on_ports: true,
  tunnel_sync: true,
  security_group_info_for_devices: true,
});

export interface ReportsTopic {
  /** null: a stale report (stamped before this server started), dropped. */
  report_state: { args: ReportStateArgs; result: AgentStatus | null };
  has_alive_neutron_server: { args: Record<string, never>; result: boolean };
}

export const ReportsTopicDef = defineTopic<ReportsTopic>(Topics.reports, { report_state: true, has_alive_neutron_server: true });

/** The fanouts to the L2 agents: one topic per resource and event, one method each (casts). */
export interface AgentPortUpdateTopic {
  port_update: { args: PortUpdateArgs; result: void };
}
export interface AgentPortDeleteTopic {
  port_delete: { args: PortDeleteArgs; result: void };
}
export interface AgentBindingDeactivateTopic {
  binding_deactivate: { args: BindingDeactivateArgs; result: void };
}
export interface AgentBindingActivateTopic {
  binding_activate: { args: BindingActivateArgs; result: void };
}

export const AgentPortUpdateTopicDef = defineTopic<AgentPortUpdateTopic>(Topics.agentPortUpdate, { port_update: true });
export const AgentPortDeleteTopicDef = defineTopic<AgentPortDeleteTopic>(Topics.agentPortDelete, { port_delete: true });
export const AgentBindingDeactivateTopicDef = defineTopic<AgentBindingDeactivateTopic>(Topics.agentPortBindingDeactivate, { binding_deactivate: true });
export const AgentBindingActivateTopicDef = defineTopic<AgentBindingActivateTopic>(Topics.agentPortBindingActivate, { binding_activate: true });

/** neutron-server's L3 endpoint for the L3 agents (L3RpcCallback, RPC 1.x): all calls. */
export interface L3PluginTopic {
  sync_routers: { args: SyncRoutersArgs; result: SyncRouter[] };
  get_router_ids: { args: HostArgs; result: string[] };
  get_external_network_id: { args: HostArgs; result: string | null };
  update_floatingip_statuses: { args: UpdateFloatingIpStatusesArgs; result: null };
  get_service_plugin_list: { args: Record<string, never>; result: string[] };
}

export const L3PluginTopicDef = defineTopic<L3PluginTopic>(Topics.l3Plugin, {
  sync_routers: true,
  get_router_ids: true,
  get_external_network_id: true,
  update_floatingip_statuses: true,
  get_service_plugin_list: true,
});

/** neutron-server → L3 agents (L3AgentNotifyAPI): `l3_agent.<host>`, router_deleted fanout. */
export interface L3AgentTopic {
  routers_updated: { args: RoutersUpdatedArgs; result: void };
  router_deleted: { args: RouterDeletedArgs; result: void };
  /** A call (the server wants to know the agent has it). */
  router_added_to_agent: { args: RouterAddedArgs; result: null };
  router_removed_from_agent: { args: RouterRemovedArgs; result: void };
}

export const L3AgentTopicDef = defineTopic<L3AgentTopic>(Topics.l3Agent, {
  routers_updated: true,
  router_deleted: true,
  router_added_to_agent: true,
  router_removed_from_agent: true,
});

/**
 * neutron-server → one host's DHCP agent (dhcp_agent.<host>; network_delete_end fanout):
 * casts named resource_action_end whose one kwarg is `payload` (with its `priority`).
 */
export interface DhcpAgentTopic {
  network_create_end: { args: DhcpNotifyArgs; result: void };
  network_update_end: { args: DhcpNotifyArgs; result: void };
  network_delete_end: { args: DhcpNotifyArgs; result: void };
  subnet_create_end: { args: DhcpNotifyArgs; result: void };
  subnet_update_end: { args: DhcpNotifyArgs; result: void };
  subnet_delete_end: { args: DhcpNotifyArgs; result: void };
  port_create_end: { args: DhcpNotifyArgs; result: void };
  port_update_end: { args: DhcpNotifyArgs; result: void };
  port_delete_end: { args: DhcpNotifyArgs; result: void };
}

export const DhcpAgentTopicDef = defineTopic<DhcpAgentTopic>(Topics.dhcpAgent, {
  network_create_end: true,
  network_update_end: true,
  network_delete_end: true,
  subnet_create_end: true,
  subnet_update_end: true,
  subnet_delete_end: true,
  port_create_end: true,
  port_update_end: true,
  port_delete_end: true,
});
/** neutron-server → every OVS agent: a tunnel endpoint to add, or to remove (fanout casts). */
export interface AgentTunnelUpdateTopic {
  tunnel_update: { args: TunnelNotifyArgs; result: void };
}
export interface AgentTunnelDeleteTopic {
  tunnel_delete: { args: TunnelNotifyArgs; result: void };
}
export const AgentTunnelUpdateTopicDef = defineTopic<AgentTunnelUpdateTopic>(Topics.agentTunnelUpdate, { tunnel_update: true });
export const AgentTunnelDeleteTopicDef = defineTopic<AgentTunnelDeleteTopic>(Topics.agentTunnelDelete, { tunnel_delete: true });
/** SecurityGroupAgentRpcApiMixin's fanout (q-agent-notifier-security_group-update): the agents re-filter the groups' ports. */
export interface AgentSecurityGroupUpdateTopic {
  security_groups_rule_updated: { args: SecurityGroupsUpdatedArgs; result: void };
  security_groups_member_updated: { args: SecurityGroupsUpdatedArgs; result: void };
}

export const AgentSecurityGroupUpdateTopicDef = defineTopic<AgentSecurityGroupUpdateTopic>(Topics.agentSecurityGroupUpdate, {
  security_groups_rule_updated: true,
  security_groups_member_updated: true,
});
