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
import type { TunnelNotifyArgs, TunnelSyncArgs, TunnelSyncReply } from './tunnel-wire.js';
import type { DeviceArgs, DeviceDetailsEntry, DeviceDownReply, DevicesDetailsArgs, DevicesDetailsReply, UpdateDeviceListArgs, UpdateDeviceListReply } from './wire.js';

export interface PluginTopic {
  get_devices_details_list_and_failed_devices: { args: DevicesDetailsArgs; result: DevicesDetailsReply };
  get_devices_details_list: { args: DevicesDetailsArgs; result: DeviceDetailsEntry[] };
  get_device_details: { args: DeviceArgs; result: DeviceDetailsEntry };
  update_device_list: { args: UpdateDeviceListArgs; result: UpdateDeviceListReply };
  update_device_up: { args: DeviceArgs; result: null };
  update_device_down: { args: DeviceArgs; result: DeviceDownReply };
  /** An OVS agent registers its tunnel endpoint and learns the others' (type_tunnel.py). */
  tunnel_sync: { args: TunnelSyncArgs; result: TunnelSyncReply };
}

export const PluginTopicDef = defineTopic<PluginTopic>(Topics.plugin, {
  get_devices_details_list_and_failed_devices: true,
  get_devices_details_list: true,
  get_device_details: true,
  update_device_list: true,
  update_device_up: true,
  update_device_down: true,
  tunnel_sync: true,
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

/** neutron-server → every OVS agent: a tunnel endpoint to add, or to remove (fanout casts). */
export interface AgentTunnelUpdateTopic {
  tunnel_update: { args: TunnelNotifyArgs; result: void };
}
export interface AgentTunnelDeleteTopic {
  tunnel_delete: { args: TunnelNotifyArgs; result: void };
}
export const AgentTunnelUpdateTopicDef = defineTopic<AgentTunnelUpdateTopic>(Topics.agentTunnelUpdate, { tunnel_update: true });
export const AgentTunnelDeleteTopicDef = defineTopic<AgentTunnelDeleteTopic>(Topics.agentTunnelDelete, { tunnel_delete: true });
