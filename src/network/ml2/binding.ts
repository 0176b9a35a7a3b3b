/**
 * The port-binding decision (MechanismManager.bind_port, one level): each mechanism
 * driver in ml2.mechanism_drivers order tries the network's segments against the host's
 * agents; the first setBinding wins. Pure: agents are read by the caller. When nobody
 * binds, the most specific refusal becomes the cause an operator is told.
 */
import type { MechanismDriver, PortBindingContext } from './drivers/mech/mech-driver.js';
import type { AgentView, BindingFailureCause, BindingResult, BindPortRequest, Segment, VifType } from './types.js';

/** Most specific first: a configuration mismatch on a live agent says more than a missing agent. */
const CAUSE_RANK: readonly BindingFailureCause[] = [
  'physnet_not_mapped',
  'no_tunnel_types',
  'unsupported_network_type',
  'agent_down',
  'vnic_type_unsupported',
  'no_agent_on_host',
];

/** Decides the binding of one port; never throws for a driver's refusal (a driver exception is logged by the caller). */
export function decideBinding(
  drivers: readonly MechanismDriver[],
  req: BindPortRequest,
  hostAgents: readonly AgentView[],
  agentDownTime: number,
  onDriverError: (driver: string, err: unknown) => void = () => {},
): BindingResult {
  if (req.segments.length === 0) {
    return fail('unsupported_network_type', `Port ${req.portId} is on a network with no segments; there is nothing to bind.`);
  }
  if (drivers.length === 0) {
    return fail('unsupported_network_type', 'No mechanism driver is configured in ml2.mechanism_drivers.');
  }
  const refusals: { cause: BindingFailureCause; message: string }[] = [];
  const state: { bound: { segmentId: string; vifType: VifType; vifDetails: Record<string, unknown> } | null } = { bound: null };
  for (const driver of drivers) {
    const context: PortBindingContext = {
      current: Object.freeze({ id: req.portId, host: req.host, vnicType: req.vnicType || 'normal', profile: Object.freeze({ ...req.profile }) }),
      segmentsToBind: Object.freeze([...req.segments]),
      agentDownTime,
      hostAgents: (agentType) => hostAgents.filter((a) => a.agent_type === agentType),
      setBinding: (segmentId, vifType, vifDetails) => {
        state.bound ??= { segmentId, vifType, vifDetails: { ...vifDetails } };
      },
      refuse: (cause, message) => void refusals.push({ cause, message }),
    };
    try {
      driver.bindPort(context);
    } catch (e) {
      onDriverError(driver.name, e);
      continue;
    }
    const b = state.bound;
    if (b) {
      const segment = req.segments.find((s: Segment) => s.id === b.segmentId) ?? req.segments[0]!;
      return {
        ok: true,
        vifType: b.vifType,
        vifDetails: { ...b.vifDetails, bound_drivers: { '0': driver.name } },
        boundSegment: segment,
        boundDriver: driver.name,
      };
    }
  }
  refusals.sort((a, b) => CAUSE_RANK.indexOf(a.cause) - CAUSE_RANK.indexOf(b.cause));
  const top = refusals[0] ?? { cause: 'no_agent_on_host' as const, message: `No mechanism driver could bind port ${req.portId} on host '${req.host}'.` };
  let message = top.message;
  if (top.cause === 'no_agent_on_host' && hostAgents.length) {
    const types = [...new Set(hostAgents.map((a) => a.agent_type))];
    message += ` Host '${req.host}' has only: ${types.join(', ')}; enable the matching mechanism driver in ml2.mechanism_drivers or run the expected agent.`;
  }
  return fail(top.cause, message);
}

function fail(cause: BindingFailureCause, message: string): BindingResult {
  return { ok: false, vifType: 'binding_failed', cause, message };
}
