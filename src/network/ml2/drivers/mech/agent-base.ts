/**
 * The shared logic of L2-agent mechanism drivers (mech_agent.py's AgentMechanismDriverBase
 * and SimpleAgentMechanismDriverBase): bind when a live agent of the driver's type on the
 * host supports a segment — its tunnel_types for tunnel networks, its mappings for the
 * physical_network of flat/vlan. Each refusal is recorded with its cause.
 */
import { TUNNEL_TYPES, type AgentView, type Segment, type VifType } from '../../types.js';
import type { MechanismDriver, PortBindingContext } from './mech-driver.js';

/** Why one agent cannot serve one segment, or null when it can (check_segment_for_agent). */
export type SegmentCheck = null | { cause: 'no_tunnel_types' | 'physnet_not_mapped' | 'unsupported_network_type'; message: string };

const describeSegment = (s: Segment): string =>
  `${s.network_type}${s.physical_network ? ` on physical network ${s.physical_network}` : ''}` +
  `${s.segmentation_id !== null ? ` (segmentation id ${s.segmentation_id})` : ''}`;

/** "2026-01-01 00:00:00" from the stored ISO text, as the agent API shows it. */
const shortTime = (iso: string): string => iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '');

export abstract class AgentMechanismDriver implements MechanismDriver {
  abstract readonly name: string;
  /** agents.agent_type this driver binds with ('Open vSwitch agent'). */
  abstract readonly agentType: string;
  /** The agent's process name, for messages. */
  abstract readonly agentBinary: string;
  abstract readonly supportedVnicTypes: readonly string[];

  /** Network types the agent can serve (get_allowed_network_types). */
  abstract allowedNetworkTypes(agent: AgentView): string[];
  /** physnet → bridge or interface, as the agent reports (get_mappings). */
  abstract mappings(agent: AgentView): Record<string, unknown>;
  /** vif_type and vif_details for a port bound through `agent` (without bound_drivers). */
  abstract vif(agent: AgentView, context: PortBindingContext): { vifType: VifType; vifDetails: Record<string, unknown> };

  /** Extra vnic checks a driver needs (OVS: direct needs switchdev); a message refuses. */
  vnicRefusal(_context: PortBindingContext, _agent?: AgentView): string | null {
    return null;
  }

  bindPort(context: PortBindingContext): void {
    const { vnicType, host, id } = context.current;
    if (!this.supportedVnicTypes.includes(vnicType)) {
      context.refuse(
        'vnic_type_unsupported',
        `Mechanism driver ${this.name} cannot bind port ${id} with binding:vnic_type '${vnicType}'; ` +
          `it supports ${this.supportedVnicTypes.join(', ')}.`,
      );
      return;
    }
    const early = this.vnicRefusal(context);
    if (early) return context.refuse('vnic_type_unsupported', early);
    const agents = context.hostAgents(this.agentType);
    if (agents.length === 0) {
      context.refuse(
        'no_agent_on_host',
        `No ${this.agentType} is registered on host '${host}', so mechanism driver ${this.name} cannot bind port ${id}. ` +
          `Start ${this.agentBinary} on that host, or make binding:host_id name the host the agent reports as.`,
      );
      return;
    }
    for (const agent of agents) {
      if (!agent.alive) {
        context.refuse(
          'agent_down',
          `The ${this.agentType} on host '${host}' (id ${agent.id}) is down: its last heartbeat was at ` +
            `${shortTime(agent.heartbeat_timestamp)}, more than agent_down_time (${context.agentDownTime} s) ago. ` +
            `Restart ${this.agentBinary} there or repair its connection to neutron-server, then rebind the port.`,
        );
        continue;
      }
      const vnic = this.vnicRefusal(context, agent);
      if (vnic) {
        context.refuse('vnic_type_unsupported', vnic);
        continue;
      }
      for (const segment of context.segmentsToBind) {
        const check = this.checkSegmentForAgent(segment, agent);
        if (check) {
          context.refuse(check.cause, check.message);
          continue;
        }
        const { vifType, vifDetails } = this.vif(agent, context);
        context.setBinding(segment.id, vifType, vifDetails);
        return;
      }
    }
  }

  /** Whether `agent` can serve `segment`, and if not, why (check_segment_for_agent). */
  checkSegmentForAgent(segment: Segment, agent: AgentView): SegmentCheck {
    const allowed = this.allowedNetworkTypes(agent);
    const type = segment.network_type;
    const where = `the ${this.agentType} on host '${agent.host}'`;
    if (!allowed.includes(type)) {
      if (TUNNEL_TYPES.includes(type)) {
        const tunnels = asStringList(agent.configurations['tunnel_types']);
        return {
          cause: 'no_tunnel_types',
          message:
            `Network segment ${describeSegment(segment)} is a ${type} tunnel, but ${where} reports ` +
            `tunnel_types ${tunnels.length ? `[${tunnels.join(', ')}]` : '[] (no tunnelling configured)'}. ` +
            `Add ${type} to that agent's tunnel_types and give it a local_ip (tunnelling endpoint).`,
        };
      }
      return {
        cause: 'unsupported_network_type',
        message:
          `Network segment ${describeSegment(segment)} has type ${type}, which ${where} does not support ` +
          `(it supports ${allowed.join(', ')}).`,
      };
    }
    if (type === 'flat' || type === 'vlan') {
      const physnet = segment.physical_network ?? '';
      const mappings = this.mappings(agent);
      if (!(physnet in mappings)) {
        const known = Object.keys(mappings);
        return {
          cause: 'physnet_not_mapped',
          message:
            `Network segment ${describeSegment(segment)} needs physical network '${physnet}', but ${where} ` +
            `maps ${known.length ? `only ${known.join(', ')}` : 'no physical network'} in its bridge_mappings. ` +
            `Add '${physnet}:<bridge>' to that agent's bridge_mappings.`,
        };
      }
    }
    return null;
  }
}

/** A configurations value as a list of strings (tolerates a missing or malformed value). */
export function asStringList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

/** A configurations value as an object (tolerates a missing or malformed value). */
export function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
