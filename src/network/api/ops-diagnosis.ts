/**
 * GET /nimbus/v1/diagnosis/ports/{id} on neutron-server (admin only): the binding and
 * status diagnosis of one port (src/network/diagnosis/), with the facts it was judged on
 * (the port, its network's segments, the agents on its host, the [ml2] options).
 *
 * Why a neutron route rather than nova-api judging from /v2.0: the causes are ML2's own
 * predicates (mechanism drivers, agent configurations, [ml2] options), which live in
 * neutron's code; nova's code never imports neutron's (it speaks REST), so neutron
 * judges and nova-api's `diagnose` (src/compute/diagnosis/) asks it over HTTP.
 *
 * Answer: { port, segments, agents, binding_findings: BindingFinding[],
 * status_findings: PortStatusFinding[] }; 404 PortNotFound for an unknown port.
 */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import { agentToWire, agentsOnHost } from '../agents/index.js';
import { type SegmentFacts, diagnoseBinding, diagnosePortStatus } from '../diagnosis/index.js';
import { AdminRequired } from '../errors.js';
import type { CorePlugin } from '../plugin/plugin.js';
import type { Dict } from './resource.js';

export function registerOpsDiagnosis(app: FastifyInstance, d: { cfg: Config; clock: Clock; plugin: CorePlugin }): void {
  app.get('/nimbus/v1/diagnosis/ports/:id', async (req) => {
    if (!req.ctx.isAdmin) throw new AdminRequired('diagnosis is for admins');
    const p = d.plugin;
    const port = await p.ports.get(req.ctx, (req.params as { id: string }).id);
    const net = await p.networks.get(req.ctx, port.network_id as string);
    const segments: SegmentFacts[] = ((net.segments as Dict[] | undefined) ?? [net]).map((s) => ({
      network_type: s['provider:network_type'] as string,
      physical_network: (s['provider:physical_network'] as string | null) ?? null,
      segmentation_id: (s['provider:segmentation_id'] as number | null) ?? null,
    }));
    const host = (port['binding:host_id'] as string | null) ?? '';
    const downTime = d.cfg.network.agent_down_time;
    const agents = host ? (await agentsOnHost(p.deps.db, host)).map((r) => agentToWire(r, d.clock.now(), downTime)) : [];
    const facts = {
      id: port.id as string,
      host_id: host,
      vnic_type: port['binding:vnic_type'] as string,
      vif_type: port['binding:vif_type'] as string,
      admin_state_up: port.admin_state_up as boolean,
      profile: (port['binding:profile'] as Record<string, unknown> | undefined) ?? {},
    };
    const agentFacts = agents.map((a) => ({ id: a.id, agent_type: a.agent_type, host: a.host, alive: a.alive, heartbeat_timestamp: a.heartbeat_timestamp, configurations: a.configurations }));
    // A port ML2 has not tried to bind (unbound) is judged as it would be bound now.
    const binding = facts.vif_type === 'binding_failed' || facts.vif_type === 'unbound' ? diagnoseBinding({ port: facts, segments, agents: agentFacts, ml2: d.cfg.ml2, agentDownTime: downTime }) : [];
    const status = diagnosePortStatus({ port: { ...facts, status: port.status as string }, agents: agentFacts, agentDownTime: downTime });
    return { port, segments, agents, binding_findings: binding, status_findings: status };
  });
}
