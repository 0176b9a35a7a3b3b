/** neutron-server's agent records, the report_state endpoint, and the simulated OVS agents. */
export * from './types.js';
export * from './errors.js';
export { agentMigrations } from './db/migrations.js';
export type { AgentRow } from './db/tables.js';
export {
  type AgentFilters,
  type ReportResult,
  agentsOnHost,
  deleteAgent,
  getAgent,
  isAlive,
  listAgents,
  reportState,
  updateAgent,
} from './db/agents-db.js';
export { agentTime, agentToWire } from './wire.js';
export { type ReportEndpointOptions, registerReportEndpoint } from './report-endpoint.js';
export { parseReportTime, reportTime } from './report-time.js';
export { type AgentConfig, agentConfigurations, defaultAgentConfig, hybridPlug } from './ovs-agent-config.js';
export { type FleetHost, type HostWorker, OvsAgentFleet, type OvsAgentFleetDeps } from './ovs-fleet.js';
export { type L2AgentLoopDeps, MAX_DEVICE_RETRIES, OvsL2AgentLoop } from './l2-agent.js';
export { DEAD_VLAN_TAG, LocalVlanManager, type LocalVlanMapping } from './local-vlans.js';
export { PluginApi } from './plugin-rpc.js';
export { L3Agent, type L3AgentDeps, deviceName, routerNamespace } from './l3-agent.js';
export { PhysicalBridges, patchPortNames, provisionFlows } from './br-phys.js';
export { type LinuxRouting, startLinuxRouting } from './linux-routing.js';
export { type LocalVlanHooks } from './l2-agent.js';
