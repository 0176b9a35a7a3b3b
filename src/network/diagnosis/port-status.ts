/**
 * Why a port stays DOWN, so nova never gets network-vif-plugged (the chain: bound →
 * the host's L2 agent wires the device → reports it up → neutron sets ACTIVE and tells
 * nova). Judged from the port and its host's agents alone; a binding_failed port is
 * handed to diagnoseBinding, which needs the segments and [ml2] too.
 */
import { type AgentFacts, type PortFacts, toAgentViews } from './binding.js';

export const PortStatusCauses = {
  adminStateDown: 'admin-state-down',
  unbound: 'unbound',
  bindingFailed: 'binding-failed',
  noAgentOnHost: 'no-agent-on-host',
  agentDead: 'agent-dead',
  awaitingAgent: 'awaiting-agent',
} as const;
export type PortStatusCause = (typeof PortStatusCauses)[keyof typeof PortStatusCauses];

export interface PortStatusFinding {
  cause: PortStatusCause;
  message: string;
}

export interface PortStatusInput {
  port: PortFacts & { status: string };
  /** Agents registered on binding:host_id. */
  agents: readonly AgentFacts[];
  now?: number;
  agentDownTime?: number;
}

/** The first break in the vif-plugged chain, or [] when the port is ACTIVE. */
export function diagnosePortStatus(input: PortStatusInput): PortStatusFinding[] {
  const { port } = input;
  if (port.status === 'ACTIVE') return [];
  const out: PortStatusFinding[] = [];
  if (port.admin_state_up === false) {
    out.push({
      cause: 'admin-state-down',
      message: `Port ${port.id} has admin_state_up false: the agent keeps it ${port.status} and nova gets no network-vif-plugged. Set it up with 'openstack port set --enable ${port.id}'.`,
    });
  }
  const host = port.host_id ?? '';
  const vif = port.vif_type ?? 'unbound';
  if (vif === 'binding_failed') {
    out.push({ cause: 'binding-failed', message: `Port ${port.id} is binding_failed on host '${host}': no agent there could serve its network (see the binding diagnosis).` });
    return out;
  }
  if (!host || vif === 'unbound') {
    out.push({ cause: 'unbound', message: `Port ${port.id} is not bound to any host yet, so no agent will wire it.` });
    return out;
  }
  const agents = toAgentViews(input);
  if (agents.length === 0) {
    out.push({ cause: 'no-agent-on-host', message: `Port ${port.id} is bound to host '${host}', but no agent is registered there to wire it.` });
  } else if (!agents.some((a) => a.alive)) {
    out.push({
      cause: 'agent-dead',
      message: `Port ${port.id} is bound on host '${host}', but its agent (${agents.map((a) => `${a.agent_type} ${a.id}`).join(', ')}) is down, so the device is never reported up and nova waits for network-vif-plugged until vif_plugging_timeout.`,
    });
  } else if (out.length === 0) {
    out.push({
      cause: 'awaiting-agent',
      message: `Port ${port.id} is bound on host '${host}' with a live agent; it turns ACTIVE when the agent sees the device (tap${port.id.slice(0, 11)}) on br-int.`,
    });
  }
  return out;
}
