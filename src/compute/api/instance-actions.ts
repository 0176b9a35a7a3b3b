/**
 * /servers/{id}/os-instance-actions (instance_actions.py): the actions recorded for a
 * server and, for one request id, its events. Members see events without traceback,
 * host or details (2.51+); hostId from 2.62, updated_at from 2.58, details from 2.84.
 * The trace of a boot is read here (`openstack server event show`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { getInstance } from './servers.js';
import { InstanceActionNotFound } from '../errors.js';
import type { ActionRow, EventRow } from '../objects/actions.js';
import type { ComputeApiDeps } from './app.js';
import { HttpFault } from './faults.js';
import { type Microversion, atLeast } from './microversion.js';
import { hostId } from './views.js';

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
    const i = await instanceFor(req, (req.params as { id: string }).id);
    const rows = await actions.list(i.uuid);
    return { instanceActions: rows.map((a) => actionView(a, req.mv)) };
  });

  app.get('/v2.1/servers/:id/os-instance-actions/:rid', async (req) => {
    const { id, rid } = req.params as { id: string; rid: string };
    const i = await instanceFor(req, id);
    const a = await actions.get(i.uuid, rid);
    if (!a) throw new HttpFault(404, new InstanceActionNotFound(rid, i.uuid).message);
    const v = actionView(a, req.mv);
    const admin = req.ctx.isAdmin;
    if (admin || atLeast(req.mv, '2.51')) {
      const events = await actions.events(a.id);
      v.events = events.map((e: EventRow) => {
        const ev: Record<string, unknown> = { event: e.event, start_time: dbTime(e.start_time), finish_time: dbTime(e.finish_time), result: e.result };
        if (admin) ev.traceback = e.traceback;
        if (atLeast(req.mv, '2.62')) {
          if (admin) ev.host = e.host ?? '';
          ev.hostId = hostId(e.host, i.projectId);
        }
        if (atLeast(req.mv, '2.84') && admin) ev.details = e.details;
        return ev;
      });
    }
    return { instanceAction: v };
  });
}
