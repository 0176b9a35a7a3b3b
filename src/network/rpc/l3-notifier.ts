/**
 * neutron-server → L3 agents (l3_rpc_agent_api.L3AgentNotifyAPI): casts to
 * `l3_agent.<host>` of each agent hosting the router. A router no agent hosts yet is
 * scheduled first (schedule_routers, LeastRoutersScheduler: the alive, enabled L3 agent
 * hosting the fewest routers) and that agent gets router_added_to_agent.
 *
 * When, as l3_db's notifying mixin: routers_updated (cast) after a router's create, update,
 * interface add/remove and its floating IPs' create/update/delete; router_added_to_agent
 * is a call, as in Zed; router_deleted after a delete is a fanout cast to every L3 agent. No L3 agent, no message: the simulated default sends nothing.
 */
import type { Kysely } from 'kysely';
import type { Bus } from '../../bus/bus.js';
import { rpcClient } from '../../bus/contract.js';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { isAlive } from '../agents/db/agents-db.js';
import { AgentTypes } from '../agents/types.js';
import { insertRouterBindings, selectL3AgentsLoad, selectRouterAgentHosts } from '../db/l3-agents.js';
import type { NeutronDB } from '../db/schema.js';
import type { FloatingIps } from '../plugin/floating-ips.js';
import type { RouterEvent, Routers } from '../plugin/routers.js';
import { type L3AgentTopic, L3AgentTopicDef } from './topics.js';

export interface L3AgentNotifyDeps {
  bus: Bus;
  db: Kysely<NeutronDB>;
  clock: Clock;
  log: Logger;
  /** [network] agent_down_time (seconds). */
  agentDownTime: number;
}

export class L3AgentNotifyApi {
  constructor(private readonly d: L3AgentNotifyDeps) {}

  #cast<M extends keyof L3AgentTopic & string>(host: string, method: M, args: L3AgentTopic[M]['args']): void {
    rpcClient(this.d.bus, L3AgentTopicDef, { server: host })
      .cast(method, args)
      .catch((e: unknown) => this.d.log.error({ err: e, host }, `${method} cast failed`));
  }

  /** The hosts of a router's agents, scheduling it first when none hosts it (null: no L3 agent can). */
  async #hostsOf(routerId: string): Promise<{ hosts: string[]; added: boolean }> {
    const hosts = (await selectRouterAgentHosts(this.d.db, [routerId])).get(routerId) ?? [];
    if (hosts.length) return { hosts, added: false };
    const now = this.d.clock.now();
    const candidates = (await selectL3AgentsLoad(this.d.db, AgentTypes.l3)).filter((a) => a.admin_state_up && isAlive(a, now, this.d.agentDownTime));
    if (!candidates.length) return { hosts: [], added: false };
    const least = candidates.reduce((a, b) => (b.routers < a.routers ? b : a));
    try {
      await insertRouterBindings(this.d.db, least.id, [routerId]);
    } catch {
      // Scheduled concurrently (an agent's sync): whoever hosts it now gets the update.
      return { hosts: (await selectRouterAgentHosts(this.d.db, [routerId])).get(routerId) ?? [], added: false };
    }
    return { hosts: [least.host], added: true };
  }

  /** routers_updated to the router's agents (router_added_to_agent when just scheduled). */
  async routersUpdated(routerId: string): Promise<void> {
    const { hosts, added } = await this.#hostsOf(routerId);
    for (const host of hosts) {
      if (!added) {
        this.#cast(host, 'routers_updated', { routers: [routerId] });
        continue;
      }
      // A call, as Zed's: the agent must have the router (a failure is logged; its next full sync finds it).
      await rpcClient(this.d.bus, L3AgentTopicDef, { server: host })
        .call('router_added_to_agent', { payload: [routerId] })
        .catch((e: unknown) => this.d.log.error({ err: e, host }, 'router_added_to_agent failed'));
    }
  }

  /** router_deleted: a fanout cast to every L3 agent (_notification_fanout; an agent without the router ignores it). */
  async routerDeleted(routerId: string): Promise<void> {
    await rpcClient(this.d.bus, L3AgentTopicDef, { fanout: true })
      .cast('router_deleted', { router_id: routerId })
      .catch((e: unknown) => this.d.log.error({ err: e }, 'router_deleted cast failed'));
  }

  /** Notifies after the router and floating IP plugins' commits; returns the unsubscribe. */
  attach(routers: Routers, floatingIps: FloatingIps): () => void {
    const onRouter = (ev: RouterEvent) => {
      const p = ev.action === 'deleted' ? this.routerDeleted(ev.routerId) : this.routersUpdated(ev.routerId);
      p.catch((e: unknown) => this.d.log.error({ err: e, router: ev.routerId }, 'L3 agent notification failed'));
    };
    routers.listeners.push(onRouter);
    const onFip = (_action: string, original: Record<string, unknown>, returned: Record<string, unknown>) => {
      const ids = new Set([original.router_id, returned.router_id].filter((x): x is string => typeof x === 'string'));
      for (const id of ids) this.routersUpdated(id).catch((e: unknown) => this.d.log.error({ err: e, router: id }, 'L3 agent notification failed'));
    };
    floatingIps.listeners.push(onFip);
    return () => {
      routers.listeners.splice(routers.listeners.indexOf(onRouter), 1);
      floatingIps.listeners.splice(floatingIps.listeners.indexOf(onFip), 1);
    };
  }
}
