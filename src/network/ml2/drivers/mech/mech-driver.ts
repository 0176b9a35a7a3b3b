/**
 * The mechanism driver contract for port binding (neutron_lib's MechanismDriver.bind_port).
 * `bindPort` may only call `setBinding` (or `refuse`, Nimbus's addition so a failure can be
 * explained) and has no side effects: the agents it may look at are read before it runs,
 * and it gets no database handle. Drivers never import each other.
 */
import type { AgentView, BindingFailureCause, Segment, VifType } from '../../types.js';

/** What a mechanism driver sees of the port being bound (read-only). */
export interface PortToBind {
  readonly id: string;
  readonly host: string;
  readonly vnicType: string;
  readonly profile: Readonly<Record<string, unknown>>;
}

/** neutron's PortContext, reduced to what binding needs. */
export interface PortBindingContext {
  readonly current: PortToBind;
  readonly segmentsToBind: readonly Segment[];
  /** Seconds without a heartbeat after which an agent is down (for messages). */
  readonly agentDownTime: number;
  /** Agents of `agentType` on the port's host, alive or not (PortContext.host_agents). */
  hostAgents(agentType: string): readonly AgentView[];
  /** Completes the binding on `segmentId`; the first driver to call it wins. */
  setBinding(segmentId: string, vifType: VifType, vifDetails: Record<string, unknown>): void;
  /** Records why this driver could not bind, in an operator's words. */
  refuse(cause: BindingFailureCause, message: string): void;
}

export interface MechanismDriver {
  /** The ml2.mechanism_drivers name; also the value in vif_details.bound_drivers. */
  readonly name: string;
  /** Tries to bind; calls setBinding on success, refuse (any number of times) otherwise. */
  bindPort(context: PortBindingContext): void;
}
