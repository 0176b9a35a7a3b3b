/** Agent errors with neutron_lib.exceptions.agent's names and messages. */
import { Conflict, NotFound } from '../../common/errors.js';

/** GET/PUT/DELETE /v2.0/agents/{id} for an unknown id. */
export class AgentNotFound extends NotFound {
  static override readonly wireType: string = 'AgentNotFound';
  constructor(readonly id: string) {
    super(`Agent ${id} could not be found.`);
  }
}

/** No agent of that type reports from that host. */
export class AgentNotFoundByTypeHost extends NotFound {
  static override readonly wireType: string = 'AgentNotFoundByTypeHost';
  constructor(agentType: string, host: string) {
    super(`Agent with agent_type=${agentType} and host=${host} could not be found.`);
  }
}

/** More than one agent of one type on one host (impossible with the unique key; kept for parity). */
export class MultipleAgentFoundByTypeHost extends Conflict {
  static override readonly wireType: string = 'MultipleAgentFoundByTypeHost';
  constructor(agentType: string, host: string) {
    super(`Multiple agents with agent_type=${agentType} and host=${host} found.`);
  }
}
