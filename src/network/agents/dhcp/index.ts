/** neutron-dhcp-agent: the agent (dhcp-agent.ts) and what its Dnsmasq driver writes and runs (dnsmasq.ts). */
export { DHCP_AGENT_BINARY, DHCP_AGENT_TOPIC, DHCP_AGENT_TYPE, DhcpAgent, type DhcpAgentDeps } from './dhcp-agent.js';
export * from './dnsmasq.js';
export { dhcpAgentDisabledReason, startDhcpAgent, statePath } from './start.js';
