/**
 * neutron-server's side of agent heartbeats (agents_db.AgentExtRpcCallback): serves
 * `report_state` and `has_alive_neutron_server` on the q-reports-plugin topic. Reports
 * stamped before this server started are dropped as stale, as neutron does.
 */
import type { Kysely } from 'kysely';
import type { Bus, Listener } from '../../bus/bus.js';
import { listen } from '../../bus/contract.js';
import { ReportsTopicDef } from '../rpc/topics.js';
import type { Clock, Random } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { NeutronDB } from '../db/schema.js';
import { reportState } from './db/agents-db.js';
import { parseReportTime } from './report-time.js';
import type { AgentStatus } from './types.js';

export interface ReportEndpointOptions {
  /** [network] agent_down_time, for the revived status and the clock-skew check (default 75). */
  agentDownTime?: number;
  random?: Random;
  /** The server name this neutron-server listens as (default 'neutron-server'). */
  server?: string;
  /** Called after each accepted report with the agent's type and status (the DHCP notifier learns of new agents). */
  onReport?: (agentType: string, status: AgentStatus) => void;
}

/** Starts serving agent reports; stop the returned listener on shutdown. */
export async function registerReportEndpoint(
  bus: Bus,
  db: Kysely<NeutronDB>,
  clock: Clock,
  log: Logger,
  opts: ReportEndpointOptions = {},
): Promise<Listener> {
  const startTime = clock.now();
  const agentDownTime = opts.agentDownTime ?? 75;
  return listen(bus, ReportsTopicDef, opts.server ?? 'neutron-server', {
    has_alive_neutron_server: () => true,
    report_state: async (args) => {
      const state = args.agent_state.agent_state;
      const agentTime = parseReportTime(args.time);
      const now = clock.now();
      if (state.start_flag && Number.isFinite(agentTime) && Math.abs(now - agentTime) / 1000 > agentDownTime) {
        log.error(
          { host: state.host, agent_type: state.agent_type, agent_time: args.time, diff_s: Math.abs(now - agentTime) / 1000 },
          'Message received during agent registration has a timestamp that differs from the server time by more than agent_down_time',
        );
      }
      if (Number.isFinite(agentTime) && agentTime < startTime) {
        log.debug({ agent_time: args.time }, "Stale message received; skipping processing because it's older than the server start");
        return null;
      }
      const result = await reportState(db, state, now, { agentDownTime, random: opts.random });
      if (result.status !== 'alive') {
        log.info({ host: state.host, agent_type: state.agent_type, id: result.id, status: result.status }, 'agent reported');
      }
      opts.onReport?.(state.agent_type, result.status);
      return result.status;
    },
  });
}
