/**
 * The shelve actions of POST /servers/{id}/action (nova/api/openstack/compute/shelve.py):
 * shelve, shelveOffload (admin) and unshelve (an availability zone from 2.77, a host from
 * 2.91 for admins), with nova's schemas, policies and error statuses.
 */
import { novaContext } from '../context.js';
import { ComputeHostNotFound, InvalidRequest, UnshelveHostNotInAZ, UnshelveInstanceInvalidState } from '../errors.js';
import { type UnshelveOptions, ShelveAPI } from '../shelve-api.js';
import { HttpFault, badRequest } from './faults.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { actionFault, addServerAction } from './server-actions.js';
import { type JsonSchema, P } from './validation.js';

/** schemas/shelve.py unshelve_v277: null, or an object with exactly availability_zone. */
const UNSHELVE_V277: JsonSchema = {
  type: 'object',
  properties: { unshelve: { type: ['object', 'null'], properties: { availability_zone: P.name }, required: ['availability_zone'], additionalProperties: false } },
  required: ['unshelve'],
  additionalProperties: false,
};

/** schemas/shelve.py unshelve_v291: null, or availability_zone (string or null) and/or host. */
const UNSHELVE_V291: JsonSchema = {
  type: 'object',
  properties: {
    unshelve: {
      oneOf: [
        { type: ['object'], properties: { availability_zone: { oneOf: [{ type: ['null'] }, { type: 'string' }] }, host: { type: 'string' } }, additionalProperties: false },
        { type: ['null'] },
      ],
    },
  },
  required: ['unshelve'],
  additionalProperties: false,
};

addServerAction('shelve', (d) => ({
  handle: async (req, _reply, instance) => {
    authorize(req.ctx, 'os_compute_api:os-shelve:shelve', { project_id: instance.projectId, user_id: instance.userId });
    try {
      await new ShelveAPI(d.compute).shelve(novaContext(req.ctx), instance);
    } catch (e) {
      throw actionFault(e, 'shelve', instance.uuid);
    }
  },
}));

addServerAction('shelveOffload', (d) => ({
  handle: async (req, _reply, instance) => {
    authorize(req.ctx, 'os_compute_api:os-shelve:shelve_offload', { project_id: instance.projectId, user_id: instance.userId });
    try {
      await new ShelveAPI(d.compute).shelveOffload(novaContext(req.ctx), instance);
    } catch (e) {
      throw actionFault(e, 'shelveOffload', instance.uuid);
    }
  },
}));

addServerAction('unshelve', (d) => ({
  // Before 2.77 the body is not validated (body=null).
  schema: (req) => (atLeast(req.mv, '2.91') ? UNSHELVE_V291 : atLeast(req.mv, '2.77') ? UNSHELVE_V277 : null),
  handle: async (req, _reply, instance, body) => {
    authorize(req.ctx, 'os_compute_api:os-shelve:unshelve', { project_id: instance.projectId });
    const u = (body as { unshelve: { availability_zone?: string | null; host?: string } | null }).unshelve;
    const o: UnshelveOptions = {};
    if (u && typeof u === 'object') {
      if (atLeast(req.mv, '2.77') && 'availability_zone' in u) o.newAz = u.availability_zone ?? null;
      if (atLeast(req.mv, '2.91')) o.host = u.host ?? null;
    }
    o.authorizeHost = () => authorize(req.ctx, 'os_compute_api:os-shelve:unshelve_to_host', { project_id: instance.projectId, user_id: instance.userId });
    try {
      await new ShelveAPI(d.compute).unshelve(novaContext(req.ctx), instance, o);
    } catch (e) {
      if (e instanceof UnshelveInstanceInvalidState || e instanceof UnshelveHostNotInAZ) throw new HttpFault(409, e.message);
      if (e instanceof InvalidRequest || e instanceof ComputeHostNotFound) throw badRequest(e.message);
      throw actionFault(e, 'unshelve', instance.uuid);
    }
  },
}));
