/**
 * The admin's evacuate action of POST /servers/{id}/action
 * (nova/api/openstack/compute/evacuate.py, schemas/evacuate.py): the body per
 * microversion (onSharedStorage required before 2.14 and gone from it; force from 2.29
 * to 2.67), the target host looked up (404) and compared with the server's (400), and
 * the answer nova keeps "for backwards compatibility": 200, with {adminPass} only
 * before 2.14 ([api] enable_instance_password is on), else no body.
 */
import type { FastifyRequest } from 'fastify';
import { novaContext } from '../context.js';
import { ComputeServiceInUse } from '../errors.js';
import { EvacuateAPI } from '../evacuate-api.js';
import { ServiceStore } from '../objects/services.js';
import { HttpFault, badRequest } from './faults.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { actionFault, addServerAction } from './server-actions.js';
import { generatePassword } from './servers.js';
import { type JsonSchema, P } from './validation.js';

/** schemas/evacuate.py: evacuate (2.1), evacuate_v214, evacuate_v2_29 and evacuate_v2_68. */
function evacuateSchema(req: FastifyRequest): JsonSchema {
  const props: Record<string, unknown> = { host: P.fqdn, adminPass: { type: 'string' } };
  const inner: Record<string, unknown> = { type: 'object', properties: props, additionalProperties: false };
  if (!atLeast(req.mv, '2.14')) {
    props.onSharedStorage = P.boolean;
    inner.required = ['onSharedStorage'];
  } else if (atLeast(req.mv, '2.29') && !atLeast(req.mv, '2.68')) {
    props.force = P.boolean;
  }
  return { type: 'object', properties: { evacuate: inner }, required: ['evacuate'], additionalProperties: false };
}

/** oslo's bool_from_string over the schema's accepted spellings. */
const truthy = (v: unknown): boolean => v === true || (typeof v === 'string' && ['true', '1', 'on', 'yes'].includes(v.toLowerCase()));

addServerAction('evacuate', (d) => ({
  schema: evacuateSchema,
  handle: async (req, reply, instance, body) => {
    authorize(req.ctx, 'os_compute_api:os-evacuate', { user_id: instance.userId, project_id: instance.projectId });
    const e = (body as { evacuate: { host?: string; onSharedStorage?: unknown; adminPass?: string; force?: unknown } }).evacuate;
    const host = e.host ?? null;
    let force: boolean | null = null;
    if (atLeast(req.mv, '2.29')) {
      force = truthy(e.force ?? false);
      if (force && !host) throw badRequest("Can't force to a non-provided destination");
    }
    let password: string | null;
    if (atLeast(req.mv, '2.14')) {
      password = e.adminPass ?? generatePassword(d);
    } else {
      const onSharedStorage = truthy(e.onSharedStorage);
      if (e.adminPass !== undefined && onSharedStorage) throw badRequest("admin password can't be changed on existing disk");
      password = e.adminPass ?? (onSharedStorage ? null : generatePassword(d));
    }
    if (host !== null) {
      const services = new ServiceStore(d.db, { clock: d.clock, random: d.random, serviceDownTimeS: d.cfg.compute.service_down_time });
      if (!(await services.getComputeByHost(host).catch(() => null))) throw new HttpFault(404, `Compute host ${host} not found.`);
    }
    if (instance.host === host) throw badRequest("The target host can't be the same one.");
    try {
      await new EvacuateAPI(d.compute).evacuate(novaContext(req.ctx), instance, host, force);
    } catch (err) {
      if (err instanceof ComputeServiceInUse) throw badRequest(err.message);
      throw actionFault(err, 'evacuate', instance.uuid);
    }
    // No @wsgi.response: nova answers 200 although the evacuation runs on.
    reply.code(200);
    if (!atLeast(req.mv, '2.14')) return { adminPass: password };
    return undefined;
  },
}));
