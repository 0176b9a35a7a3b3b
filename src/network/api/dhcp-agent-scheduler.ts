/**
 * The dhcp_agent_scheduler extension's reads (GET /v2.0/networks/{id}/dhcp-agents,
 * GET /v2.0/agents/{id}/dhcp-networks, admin only as Zed's policy "get_dhcp-agents" /
 * "get_dhcp-networks"), and the API-side hook that sends DHCP agent notifications after
 * a network, subnet or port handler committed (Zed's callbacks AFTER_CREATE/UPDATE/DELETE).
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { adminContext } from '../../common/auth.js';
import type { Clock } from '../../common/clock.js';
import { agentToWire, getAgent } from '../agents/index.js';
import { dhcpAgentsOfNetwork, networksOfDhcpAgent } from '../db/dhcp-agents.js';
import type { NeutronDB } from '../db/schema.js';
import { PolicyNotAuthorized } from '../errors.js';
import type { CorePlugin } from '../plugin/plugin.js';
import type { DhcpAgentNotifyApi, DhcpResource } from '../rpc/dhcp-notifier.js';
import type { ResourceHandler } from './controller.js';

/** The handler with a DHCP notification after each successful create, update and delete. */
export function dhcpNotifying<H extends Partial<ResourceHandler> & Pick<ResourceHandler, 'get'>>(resource: DhcpResource, h: H, notifier: DhcpAgentNotifyApi | undefined): H {
  if (!notifier) return h;
  const { create, update, delete: del } = h;
  return {
    ...h,
    ...(create && {
      create: async (ctx: Parameters<NonNullable<ResourceHandler['create']>>[0], body: Parameters<NonNullable<ResourceHandler['create']>>[1]) => {
        const item = await create(ctx, body);
        notifier.notify(resource, 'create', item);
        return item;
      },
    }),
    ...(update && {
      update: async (ctx: Parameters<NonNullable<ResourceHandler['update']>>[0], id: string, body: Parameters<NonNullable<ResourceHandler['update']>>[2]) => {
        const item = await update(ctx, id, body);
        notifier.notify(resource, 'update', item);
        return item;
      },
    }),
    ...(del && {
      delete: async (ctx: Parameters<NonNullable<ResourceHandler['delete']>>[0], id: string) => {
        // The item is read only when a DHCP agent may need telling (none in the simulated default).
        const item = (await notifier.active()) ? await h.get(adminContext(ctx.requestId), id).catch(() => null) : null;
        await del(ctx, id);
        if (item) notifier.notify(resource, 'delete', item);
      },
    }),
  };
}

/** Registers the two dhcp_agent_scheduler reads. */
export function registerDhcpAgentScheduler(app: FastifyInstance, d: { db: Kysely<NeutronDB>; plugin: CorePlugin; clock: Clock; agentDownTime: number }): void {
  app.get('/v2.0/networks/:id/dhcp-agents', async (req) => {
    if (!req.ctx.isAdmin) throw new PolicyNotAuthorized('get_dhcp-agents');
    const { id } = req.params as { id: string };
    await d.plugin.networks.get(req.ctx, id);
    const agents = await dhcpAgentsOfNetwork(d.db, id);
    return { agents: agents.map((a) => agentToWire(a, d.clock.now(), d.agentDownTime)) };
  });
  app.get('/v2.0/agents/:id/dhcp-networks', async (req) => {
    if (!req.ctx.isAdmin) throw new PolicyNotAuthorized('get_dhcp-networks');
    const { id } = req.params as { id: string };
    await getAgent(d.db, id);
    const networks = [];
    for (const n of await networksOfDhcpAgent(d.db, id)) networks.push(await d.plugin.networks.get(req.ctx, n).catch(() => null));
    return { networks: networks.filter((n) => n !== null) };
  });
}
