/**
 * neutron's RPC topics, each declared once as a contract (bus/contract.ts) that the
 * sender and the listener are both checked against: q-plugin (ML2's RpcCallbacks, the
 * agents' calls), q-reports-plugin (agent heartbeats), and the q-agent-notifier-*
 * fanouts from neutron-server to the L2 agents. Argument and reply shapes are
 * oslo.messaging's kwargs and return values (wire.ts, agent-notifier.ts, agents/types.ts).
 */
import { defineTopic } from '../../bus/contract.js';
import { Topics } from '../../bus/topics.js';
import type { AgentStatus, ReportStateArgs } from '../agents/types.js';
import type { BindingActivateArgs, BindingDeactivateArgs, PortDeleteArgs, PortUpdateArgs } from './agent-notifier.js';
import type { SecurityGroupInfoArgs, SecurityGroupInfoReply, SecurityGroupsUpdatedArgs } from './sg-wire.js';
import type { DeviceArgs, DeviceDetailsEntry, DeviceDownReply, DevicesDetailsArgs, DevicesDetailsReply, UpdateDeviceListArgs, UpdateDeviceListReply } from './wire.js';

export interface PluginTopic {
  get_devices_details_list_and_failed_devices: { args: DevicesDetailsArgs; result: DevicesDetailsReply };
  get_devices_details_list: { args: DevicesDetailsArgs; result: DeviceDetailsEntry[] };
  get_device_details: { args: DeviceArgs; result: DeviceDetailsEntry };
  update_device_list: { args: UpdateDeviceListArgs; result: UpdateDeviceListReply };
  update_device_up: { args: DeviceArgs; result: null };
  update_device_down: { args: DeviceArgs; result: DeviceDownReply };
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

/** SecurityGroupAgentRpcApiMixin's fanout (q-agent-notifier-security_group-update): the agents re-filter the groups' ports. */
export interface AgentSecurityGroupUpdateTopic {
  security_groups_rule_updated: { args: SecurityGroupsUpdatedArgs; result: void };
  security_groups_member_updated: { args: SecurityGroupsUpdatedArgs; result: void };
}

export const AgentSecurityGroupUpdateTopicDef = defineTopic<AgentSecurityGroupUpdateTopic>(Topics.agentSecurityGroupUpdate, {
  security_groups_rule_updated: true,
  security_groups_member_updated: true,
});
