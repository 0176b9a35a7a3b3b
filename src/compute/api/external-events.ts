/**
 * POST /os-server-external-events (server_external_events.py): how neutron tells nova a
 * port is plugged, unplugged, changed or deleted. Admin only. Each event is answered
 * on its own (200, 404 unknown server, 422 server without a host) and the accepted
 * ones are cast to the servers' hosts — and, for a server being moved, to its move's
 * source and destination too (_get_relevant_hosts: the spawn of an evacuation waits on
 * the destination while instance.host is still the source); any refusal makes the
 * response a 207.
 */
import type { FastifyInstance } from 'fastify';
import { novaContext } from '../context.js';
import { PolicyNotAuthorized } from '../errors.js';
import { MigrationStore } from '../objects/migration.js';
import type { ExternalEvent } from '../rpc.js';
import type { ComputeApiDeps } from './app.js';
import { HttpFault } from './faults.js';
import { atLeast } from './microversion.js';
import { type JsonSchema, validateBody } from './validation.js';

const EVENT_NAMES = ['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted'];

function schema(mv: Parameters<typeof atLeast>[0]): JsonSchema {
  const names = [...EVENT_NAMES];
  if (atLeast(mv, '2.51')) names.push('volume-extended');
  if (atLeast(mv, '2.76')) names.push('power-update');
  if (atLeast(mv, '2.82')) names.push('accelerator-request-bound');
  if (atLeast(mv, '2.93')) names.push('volume-reimaged');
  return {
    type: 'object',
    properties: {
      events: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          properties: {
            server_uuid: { type: 'string', format: 'uuid' },
            name: { type: 'string', enum: names },
            status: { type: 'string', enum: ['failed', 'completed', 'in-progress'] },
            tag: { type: 'string', maxLength: 255 },
          },
          required: ['server_uuid', 'name'],
          additionalProperties: false,
        },
      },
    },
    required: ['events'],
    additionalProperties: false,
  };
}

export function registerExternalEvents(app: FastifyInstance, d: ComputeApiDeps): void {
  app.post('/v2.1/os-server-external-events', async (req, reply) => {
    if (!req.ctx.isAdmin) throw new HttpFault(403, new PolicyNotAuthorized('os_compute_api:os-server-external-events:create').message);
    validateBody(schema(req.mv), req.body);
    const body = req.body as { events: Record<string, unknown>[] };
    let status = 200;
    const byHost = new Map<string, ExternalEvent[]>();
    const uuids = [...new Set(body.events.map((e) => e.server_uuid as string))];
    const instances = new Map((await Promise.all(uuids.map((u) => d.instances.find(u)))).filter((i) => i !== null).map((i) => [i!.uuid, i!]));
    // nova finds the move through instance.migration_context; here, a migration still under way.
    const relevant = new Map([...instances.values()].map((i) => [i.uuid, new Set(i.host ? [i.host] : [])]));
    for (const m of await new MigrationStore(d.db, () => d.clock.now()).unfinishedByInstances([...instances.keys()])) {
      for (const h of [m.sourceCompute, m.destCompute]) if (h) relevant.get(m.instanceUuid)?.add(h);
    }
    const response = body.events.map((raw) => {
      const ev: Record<string, unknown> = { ...raw };
      const instance = instances.get(raw.server_uuid as string);
      const name = raw.name as string;
      const tag = (raw.tag as string | undefined) ?? null;
      if (!instance) {
        d.log.debug(`Dropping event ${name}:${tag} for unknown instance ${raw.server_uuid}`);
        status = 207;
        return { ...ev, status: 'failed', code: 404 };
      }
      if (!instance.host) {
        d.log.debug(`Unable to find a host for instance ${instance.uuid}. Dropping event ${name}`);
        status = 207;
        return { ...ev, status: 'failed', code: 422 };
      }
      d.log.info(`Creating event ${name}:${tag} for instance ${instance.uuid} on ${instance.host}`);
      for (const host of relevant.get(instance.uuid)!) {
        const list = byHost.get(host) ?? [];
        list.push({ name, tag, status: ((raw.status as ExternalEvent['status'] | undefined) ?? 'completed'), serverUuid: instance.uuid });
        byHost.set(host, list);
      }
      return { ...ev, status: 'completed', code: 200 };
    });
    const trace = d.compute.d.trace;
    if (trace?.enabled) {
      for (const r of response as Record<string, unknown>[]) trace.point({ requestId: req.requestId, instanceUuid: r.server_uuid as string }, 'nova-api', 'external_event_received', { name: r.name, tag: r.tag ?? null, status: r.status, code: r.code });
    }
    await d.compute.externalInstanceEvent(novaContext(req.ctx), byHost);
    reply.code(status);
    return { events: response };
  });
}
