/**
 * The move actions of POST /servers/{id}/action: resize, confirmResize and revertResize
 * (nova/api/openstack/compute/servers.py) and the admin's migrate
 * (migrate_server.py, with a target host from 2.56), each with nova's schema, policy
 * and the status and text each of its expected errors gets.
 */
import type { FastifyRequest } from 'fastify';
import { novaContext } from '../context.js';
import { diskConfigFromApi } from '../disk-config.js';
import {
  AutoDiskConfigDisabledByImage,
  CannotMigrateToSameHost,
  CannotResizeDisk,
  CannotResizeToSameFlavor,
  ComputeHostNotFound,
  FlavorDiskTooSmall,
  FlavorMemoryTooSmall,
  FlavorNotFound,
  InstanceNotReady,
  MigrationNotFoundByStatus,
  OverQuota,
  ServiceUnavailable,
} from '../errors.js';
import { ResizeAPI } from '../resize-api.js';
import { HttpFault, badRequest } from './faults.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { actionFault, addServerAction } from './server-actions.js';
import { type JsonSchema, P } from './validation.js';

/** schemas/servers.py resize: flavor_ref (string or integer, not empty) and OS-DCF:diskConfig. */
const RESIZE_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    resize: {
      type: 'object',
      properties: { flavorRef: { type: ['string', 'integer'], minLength: 1 }, 'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] } },
      required: ['flavorRef'],
      additionalProperties: false,
    },
  },
  required: ['resize'],
  additionalProperties: false,
};

/** schemas/migrate_server.py migrate_v2_56: an optional host (an FQDN, or null). */
const MIGRATE_V256: JsonSchema = {
  type: 'object',
  properties: { migrate: { type: ['object', 'null'], properties: { host: { ...(P.fqdn as object), type: ['string', 'null'] } }, additionalProperties: false } },
  required: ['migrate'],
  additionalProperties: false,
};

/** The except-clauses resize (servers.py _resize) and migrate share; `action` names the 409's verb. */
function moveFault(e: unknown, action: string, serverId: string): unknown {
  if (e instanceof OverQuota) return new HttpFault(403, e.message);
  if (e instanceof InstanceNotReady || e instanceof ServiceUnavailable) return new HttpFault(409, e.message);
  if (e instanceof CannotResizeDisk || e instanceof CannotResizeToSameFlavor || e instanceof FlavorNotFound || e instanceof FlavorDiskTooSmall || e instanceof FlavorMemoryTooSmall) return badRequest(e.message);
  if (e instanceof ComputeHostNotFound || e instanceof CannotMigrateToSameHost || e instanceof AutoDiskConfigDisabledByImage) return badRequest(e.message);
  return actionFault(e, action, serverId);
}

addServerAction('resize', (d) => ({
  schema: () => RESIZE_SCHEMA,
  handle: async (req, _reply, instance, body) => {
    authorize(req.ctx, 'os_compute_api:servers:resize', { project_id: instance.projectId, user_id: instance.userId });
    const r = (body as { resize: { flavorRef: string | number; 'OS-DCF:diskConfig'?: string } }).resize;
    try {
      await new ResizeAPI(d.compute).resize(novaContext(req.ctx), instance, String(r.flavorRef), null, diskConfigFromApi(r['OS-DCF:diskConfig']));
    } catch (e) {
      throw moveFault(e, 'resize', instance.uuid);
    }
  },
}));

addServerAction('migrate', (d) => ({
  // Before 2.56 the body is not validated (and a host in it is ignored).
  schema: (req: FastifyRequest) => (atLeast(req.mv, '2.56') ? MIGRATE_V256 : null),
  handle: async (req, _reply, instance, body) => {
    authorize(req.ctx, 'os_compute_api:os-migrate-server:migrate', { project_id: instance.projectId });
    const migrate = (body as { migrate: { host?: string | null } | null }).migrate;
    const host = atLeast(req.mv, '2.56') && migrate ? (migrate.host ?? null) : null;
    try {
      await new ResizeAPI(d.compute).resize(novaContext(req.ctx), instance, null, host);
    } catch (e) {
      throw moveFault(e, 'migrate', instance.uuid);
    }
  },
}));

addServerAction('confirmResize', (d) => ({
  // @wsgi.response(204): kept "for backwards compatibility" although the confirm is asynchronous.
  handle: async (req, reply, instance) => {
    reply.code(204);
    authorize(req.ctx, 'os_compute_api:servers:confirm_resize', { project_id: instance.projectId });
    try {
      await new ResizeAPI(d.compute).confirmResize(novaContext(req.ctx), instance);
    } catch (e) {
      if (e instanceof MigrationNotFoundByStatus) throw badRequest('Instance has not been resized.');
      if (e instanceof ServiceUnavailable) throw new HttpFault(409, e.message);
      throw actionFault(e, 'confirmResize', instance.uuid);
    }
  },
}));

addServerAction('revertResize', (d) => ({
  handle: async (req, _reply, instance) => {
    authorize(req.ctx, 'os_compute_api:servers:revert_resize', { project_id: instance.projectId });
    try {
      await new ResizeAPI(d.compute).revertResize(novaContext(req.ctx), instance);
    } catch (e) {
      if (e instanceof MigrationNotFoundByStatus) throw badRequest('Instance has not been resized.');
      if (e instanceof FlavorNotFound) throw badRequest('Flavor used by the instance could not be found.');
      throw actionFault(e, 'revertResize', instance.uuid);
    }
  },
}));
