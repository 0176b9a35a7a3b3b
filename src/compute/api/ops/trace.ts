/**
 * GET /nimbus/v1/traces/{server}[?request_id=R]: the timelines of what happened to a
 * server across services (`nimbus trace`): nova's steps from nova's nimbus_trace_events,
 * neutron's from neutron's, read with nova's neutron admin client (GET
 * /v2.0/nimbus/trace-events, src/network/trace.ts) as nova reads everything else of
 * neutron's — so it works the same embedded and with neutron-server in its own process.
 * Buffered steps are flushed first, so a trace read right after a boot is complete.
 */
import type { FastifyInstance } from 'fastify';
import type { TraceEvent } from '../../../common/trace.js';
import { listTraceEvents } from '../../../db/trace-events.js';
import { serviceContext } from '../../context.js';
import { InstanceNotFound } from '../../errors.js';
import type { ComputeApiDeps } from '../app.js';
import { encodeQuery } from '../../network/neutron-client.js';
import { OPS_PREFIX, requireAdmin } from './access.js';
import { buildTimelines } from './trace-timeline.js';

export function registerTraces(app: FastifyInstance, d: ComputeApiDeps): void {
  app.get(`${OPS_PREFIX}/traces/:server`, async (req) => {
    requireAdmin(req);
    const server = (req.params as { server: string }).server;
    const q = req.query as { request_id?: string };
    const requestId = typeof q.request_id === 'string' && q.request_id ? q.request_id : undefined;
    await d.compute.d.trace?.flush();
    // Steps on the instance, then those of its requests that name no instance (neutron calls).
    const own = await listTraceEvents(d.db, { instanceUuid: server });
    const requestIds = [...new Set(own.map((e) => e.requestId))];
    const nova = requestIds.length ? await listTraceEvents(d.db, { instanceUuid: server, requestIds }) : own;
    const warnings: string[] = [];
    let neutron: TraceEvent[] = [];
    try {
      const path = `/nimbus/trace-events${encodeQuery({ device_id: server, request_id: requestIds })}`;
      neutron = (await d.compute.d.network.client(serviceContext(req.requestId), true, false).request<{ trace_events: TraceEvent[] }>('GET', path)).trace_events;
    } catch (e) {
      warnings.push(`neutron's steps are missing: ${(e as Error).message}`);
    }
    if (!nova.length && !neutron.length && !(await d.instances.find(server, { readDeleted: true }))) throw new InstanceNotFound(server);
    const timelines = buildTimelines([...nova, ...neutron], requestId);
    return { server, timelines, ...(warnings.length ? { warnings } : {}) };
  });
}
