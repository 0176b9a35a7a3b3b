/**
 * /servers/{id}/os-instance-actions (instance_actions.py): the actions recorded for a
 * server and, for one request id, its events. Members see events without traceback,
 * host or details (2.51+); hostId from 2.62, updated_at from 2.58, details from 2.84.
 * The trace of a boot is read here (`openstack server event show`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { getInstance } from './servers.js';
import type { ActionRow, EventRow } from '../objects/actions.js';
import type { ComputeApiDeps } from './app.js';
import { HttpFault, badRequest } from './faults.js';
import { collectionLinks, limitAndMarker } from './links.js';
import { type Microversion, atLeast } from './microversion.js';
import { type JsonSchema, P, lastParam, queryLists, validateQuery } from './validation.js';
import { hostId } from './views.js';

/** schemas/instance_actions.py: 2.58 pages and filters by changes-since, 2.66 adds changes-before; nothing else. */
const QUERY_V258_PROPS = {
  limit: P.singleParam(P.nonNegativeInteger),
  marker: P.singleParam({ type: 'string' }),
  'changes-since': P.singleParam({ type: 'string', format: 'date-time' }),
};
const QUERY_V258: JsonSchema = { type: 'object', properties: QUERY_V258_PROPS, additionalProperties: false };
const QUERY_V266: JsonSchema = {
  type: 'object',
  properties: { ...QUERY_V258_PROPS, 'changes-before': P.singleParam({ type: 'string', format: 'date-time' }) },
  additionalProperties: false,
};

/** An ISO 8601 time as a number; a time without an offset is UTC (nova compares naive UTC). */
const isoMs = (s: string) => Date.parse(/(Z|[+-]\d{2}(:?\d{2})?)$/.test(s) || !s.includes('T') ? s : `${s}Z`);

/** A DATETIME as nova serialises it (whole seconds, as MySQL keeps them). */
const dbTime = (iso: string | null) => (iso ? `${iso.slice(0, 19)}.000000` : null);

export function registerInstanceActions(app: FastifyInstance, d: ComputeApiDeps): void {
  const actions = d.compute.d.actions;

  // 2.21+: actions of a deleted server are still readable.
  const instanceFor = (req: FastifyRequest, id: string) => getInstance(d, req, id, { readDeleted: atLeast(req.mv, '2.21') });

  const actionView = (a: ActionRow, mv: Microversion) => {
    const v: Record<string, unknown> = {
      action: a.action,
      instance_uuid: a.instance_uuid,
      request_id: a.request_id,
      user_id: a.user_id,
      project_id: a.project_id,
      start_time: dbTime(a.start_time),
      message: a.message,
    };
    if (atLeast(mv, '2.58')) v.updated_at = dbTime(a.updated_at ?? a.start_time);
    return v;
  };

  app.get('/v2.1/servers/:id/os-instance-actions', async (req) => {
    const serverId = (req.params as { id: string }).id;
    const paged = atLeast(req.mv, '2.58');
    const q = paged ? validateQuery(atLeast(req.mv, '2.66') ? QUERY_V266 : QUERY_V258, queryLists(req.query)) : {};
    const i = await instanceFor(req, serverId);
    const all = await actions.list(i.uuid);
    let rows = all;
    if (!paged) return { instanceActions: rows.map((a) => actionView(a, req.mv)) };
    const since = lastParam(q, 'changes-since');
    const before = lastParam(q, 'changes-before');
    if (since && before && isoMs(before) < isoMs(since)) throw badRequest('The value of changes-since must be less than or equal to changes-before.');
    // The action's updated_at, as nova's filters read it.
    const updated = (a: ActionRow) => Date.parse(a.updated_at ?? a.start_time);
    if (since) rows = rows.filter((a) => updated(a) >= isoMs(since));
    if (before) rows = rows.filter((a) => updated(a) <= isoMs(before));
    const { limit, marker } = limitAndMarker(q);
    if (marker !== undefined) {
      // The marker is a request id of this instance, looked up before the filters apply.
      const at = all.find((a) => a.request_id === marker);
      if (!at) throw badRequest(`Marker ${marker} could not be found.`);
      const after = new Set(all.slice(all.indexOf(at) + 1).map((a) => a.id));
      rows = rows.filter((a) => after.has(a.id));
    }
    const page = rows.slice(0, limit);
    const body: Record<string, unknown> = { instanceActions: page.map((a) => actionView(a, req.mv)) };
    const links = collectionLinks(req, q, page.length, page.at(-1)?.request_id, `servers/${serverId}/os-instance-actions`);
    if (links.length) body.links = links;
    return body;
  });

  app.get('/v2.1/servers/:id/os-instance-actions/:rid', async (req) => {
    const { id, rid } = req.params as { id: string; rid: string };
    const i = await instanceFor(req, id);
    const a = await actions.get(i.uuid, rid);
    if (!a) throw new HttpFault(404, `Action ${rid} not found`);
    const v = actionView(a, req.mv);
    const admin = req.ctx.isAdmin;
    if (admin || atLeast(req.mv, '2.51')) {
      const events = await actions.events(a.id);
      v.events = events.map((e: EventRow) => {
        const ev: Record<string, unknown> = { event: e.event, start_time: dbTime(e.start_time), finish_time: dbTime(e.finish_time), result: e.result };
        if (admin) ev.traceback = e.traceback;
        if (atLeast(req.mv, '2.62')) {
          if (admin) ev.host = e.host;
          ev.hostId = hostId(e.host, i.projectId);
        }
        if (atLeast(req.mv, '2.84') && admin) ev.details = e.details;
        return ev;
      });
    }
    return { instanceAction: v };
  });
}
