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
 * status_findings: PortStatusFinding[], binding_history }; 404 PortNotFound for an
 * unknown port. binding_history: each binding ML2 made of the port while it belonged to
 * its current device, oldest first, from the steps `nimbus trace` records (neutron keeps
 * no history of its own; [trace] enabled = false or max_age_s bound it).
 * GET /nimbus/v1/diagnosis/networks/{id}?host=H: the same binding diagnosis for a new
 * port of that network bound to H ({ network_id, host, segments, agents, binding_findings }).
 */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import { agentToWire, agentsOnHost } from '../agents/index.js';
import type { TraceEvent } from '../../common/trace.js';
import { type PortFacts, type SegmentFacts, diagnoseBinding, diagnosePortStatus } from '../diagnosis/index.js';
import { AdminRequired, InvalidInput } from '../errors.js';
import type { CorePlugin } from '../plugin/plugin.js';
import type { Dict } from './resource.js';

export function registerOpsDiagnosis(app: FastifyInstance, d: { cfg: Config; clock: Clock; plugin: CorePlugin; traceOfDevice?: (deviceId: string) => Promise<TraceEvent[]> }): void {
  const p = d.plugin;
  const downTime = d.cfg.network.agent_down_time;

  /** The binding diagnosis of `facts` on the network `net`, with what it was judged on. */
  const judge = async (net: Dict, facts: PortFacts, status: string | null) => {
    const segments: SegmentFacts[] = ((net.segments as Dict[] | undefined) ?? [net]).map((s) => ({
      network_type: s['provider:network_type'] as string,
      physical_network: (s['provider:physical_network'] as string | null) ?? null,
      segmentation_id: (s['provider:segmentation_id'] as number | null) ?? null,
    }));
    const host = facts.host_id ?? '';
    const agents = host ? (await agentsOnHost(p.deps.db, host)).map((r) => agentToWire(r, d.clock.now(), downTime)) : [];
    const agentFacts = agents.map((a) => ({ id: a.id, agent_type: a.agent_type, host: a.host, alive: a.alive, heartbeat_timestamp: a.heartbeat_timestamp, configurations: a.configurations }));
    // A port ML2 has not tried to bind (unbound) is judged as it would be bound now.
    const failed = facts.vif_type === 'binding_failed' || facts.vif_type === 'unbound';
    const binding = failed ? diagnoseBinding({ port: facts, segments, agents: agentFacts, ml2: d.cfg.ml2, agentDownTime: downTime }) : [];
    const statusFindings = status === null ? [] : diagnosePortStatus({ port: { ...facts, status }, agents: agentFacts, agentDownTime: downTime });
    return { segments, agents, binding_findings: binding, status_findings: statusFindings };
  };

  app.get('/nimbus/v1/diagnosis/ports/:id', async (req) => {
    if (!req.ctx.isAdmin) throw new AdminRequired('diagnosis is for admins');
    const port = await p.ports.get(req.ctx, (req.params as { id: string }).id);
    const net = await p.networks.get(req.ctx, port.network_id as string);
    const facts: PortFacts = {
      id: port.id as string,
      host_id: (port['binding:host_id'] as string | null) ?? '',
      vnic_type: port['binding:vnic_type'] as string,
      vif_type: port['binding:vif_type'] as string,
      admin_state_up: port.admin_state_up as boolean,
      profile: (port['binding:profile'] as Record<string, unknown> | undefined) ?? {},
    };
    return { port, ...(await judge(net, facts, port.status as string)), binding_history: d.traceOfDevice ? await bindingHistory(d.traceOfDevice, port) : [] };
  });

  // A port of this network bound to ?host= now: for a build whose ports went with it (nova deletes the ports it made).
  app.get('/nimbus/v1/diagnosis/networks/:id', async (req) => {
    if (!req.ctx.isAdmin) throw new AdminRequired('diagnosis is for admins');
    const host = (req.query as { host?: string }).host;
    if (!host) throw new InvalidInput('host is required');
    const net = await p.networks.get(req.ctx, (req.params as { id: string }).id);
    return { network_id: net.id, host, ...(await judge(net, { id: '(a new port)', host_id: host, vnic_type: 'normal', vif_type: 'unbound' }, null)) };
  });
}

/** One binding ML2 made of a port, as the trace recorded it. */
export interface BindingHistoryEntry {
  at: string;
  host: string | null;
  vif_type: string | null;
  vnic_type: string | null;
  request_id: string;
}

/** The port's bindings recorded under its device (the trace keys neutron's steps by device). */
async function bindingHistory(traceOfDevice: (deviceId: string) => Promise<TraceEvent[]>, port: Dict): Promise<BindingHistoryEntry[]> {
  const device = port.device_id as string;
  if (!device) return [];
  const steps = await traceOfDevice(device);
  return steps
    .filter((e) => e.step === 'port_binding' && e.detail?.port === port.id)
    .map((e) => ({
      at: new Date(e.startedAt).toISOString(),
      host: (e.detail?.host as string | undefined) ?? null,
      vif_type: (e.detail?.vif_type as string | undefined) ?? null,
      vnic_type: (e.detail?.vnic_type as string | undefined) ?? null,
      request_id: e.requestId,
    }));
}
