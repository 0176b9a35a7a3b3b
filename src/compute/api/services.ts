/**
 * os-services (nova/api/openstack/compute/services.py): the nova services and their
 * health, for admins. Before 2.53 a service is named by host and binary in the body of
 * PUT /os-services/{enable|disable|disable-log-reason|force-down}; from 2.53 by its
 * uuid in the path, with status / disabled_reason / forced_down in the body. Only
 * nova-compute services may be changed. forced_down is shown from 2.11.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { badRequest, conflict, notFound } from './faults.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { COMMON_QUERY_PARAM, type JsonSchema, P, boolFromString, isUuidLike, lastParam, queryLists, validateBody, validateInteger, validateQuery } from './validation.js';
import { requestBody, sendEmpty, sendNova } from './wire.js';
import { ServiceNotFound } from '../errors.js';
import { type ServiceRow, ServiceStore, serviceAvailabilityZone } from '../objects/services.js';

/** Services nova-api does not list: they do not heartbeat (bug 1543625). */
const API_SERVICES = new Set(['nova-osapi_compute', 'nova-metadata']);

const INDEX_QUERY: JsonSchema = { type: 'object', properties: { host: COMMON_QUERY_PARAM, binary: COMMON_QUERY_PARAM }, additionalProperties: true };
const INDEX_QUERY_275: JsonSchema = { ...INDEX_QUERY, additionalProperties: false };

const reasonSchema: JsonSchema = { type: 'string', minLength: 1, maxLength: 255 };
const UPDATE_V20: JsonSchema = {
  type: 'object',
  properties: { host: P.fqdn, binary: { type: 'string', minLength: 1, maxLength: 255 }, disabled_reason: reasonSchema },
  required: ['host', 'binary'],
  additionalProperties: false,
};
const UPDATE_V211: JsonSchema = {
  type: 'object',
  properties: { host: P.fqdn, binary: { type: 'string', minLength: 1, maxLength: 255 }, disabled_reason: reasonSchema, forced_down: P.boolean },
  required: ['host', 'binary'],
  additionalProperties: false,
};
const UPDATE_V253: JsonSchema = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['enabled', 'disabled'] }, disabled_reason: reasonSchema, forced_down: P.boolean },
  additionalProperties: false,
};

/** A DATETIME as nova's JSON serialiser writes it; MySQL keeps whole seconds. */
export function dbTime(iso: string | null): string | null {
  return iso ? `${iso.slice(0, 19)}.000000` : null;
}

/** nova's availability_zones.set_availability_zones without aggregates: compute hosts in the default zone, the rest internal. */
export function serviceZone(d: ComputeApiDeps, svc: Pick<ServiceRow, 'topic'>): string {
  return serviceAvailabilityZone(svc, d.cfg.compute.default_availability_zone);
}

/** Routes GET /os-services, PUT /os-services/{action|uuid} and DELETE /os-services/{id}. */
/**
 * The id in an os-services or os-hypervisors path: a uuid from 2.53 (else 400 "Invalid
 * uuid X"), the integer id before; `notInteger` is each API's answer to anything else.
 */
export function serviceIdKey(req: FastifyRequest, id: string, notInteger: (e: Error) => Error): number | string {
  if (atLeast(req.mv, '2.53')) {
    if (!isUuidLike(id)) throw badRequest(`Invalid uuid ${id}`);
    return id;
  }
  try {
    return validateInteger(id, 'id');
  } catch (e) {
    throw notInteger(e as Error);
  }
}

export function registerServices(app: FastifyInstance, d: ComputeApiDeps): void {
  const store = new ServiceStore(d.db, { clock: d.clock, random: d.random, serviceDownTimeS: d.cfg.compute.service_down_time });

  function detail(req: FastifyRequest, svc: ServiceRow, forcedDown: boolean) {
    const v: Record<string, unknown> = {
      binary: svc.binary,
      host: svc.host,
      id: atLeast(req.mv, '2.53') ? svc.uuid : svc.id,
      zone: serviceZone(d, svc),
      status: svc.disabled ? 'disabled' : 'enabled',
      state: store.isUp(svc) ? 'up' : 'down',
      updated_at: dbTime(svc.updated_at),
      disabled_reason: svc.disabled_reason,
    };
    if (forcedDown) v.forced_down = svc.forced_down === 1;
    return v;
  }

  app.get('/v2.1/os-services', async (req, reply) => {
    const query = validateQuery(atLeast(req.mv, '2.75') ? INDEX_QUERY_275 : INDEX_QUERY, queryLists(req.query));
    authorize(req.ctx, 'os_compute_api:os-services:list', {});
    const host = lastParam(query, 'host') ?? '';
    const binary = lastParam(query, 'binary') ?? '';
    let services = (await store.list()).filter((s) => !API_SERVICES.has(s.binary));
    if (host) services = services.filter((s) => s.host === host);
    if (binary) services = services.filter((s) => s.binary === binary);
    return sendNova(reply, 200, { services: services.map((s) => detail(req, s, atLeast(req.mv, '2.11'))) });
  });

  /** The host-and-binary update of 2.1-2.52; HostMappingNotFound's text for a host without nova-compute. */
  async function updateByHost(host: string, binary: string, changes: Parameters<ServiceStore['update']>[1]): Promise<void> {
    if (binary !== 'nova-compute') throw badRequest(`Updating a ${binary} service is not supported. Only nova-compute services can be updated.`);
    const svc = (await store.list({ host, binary }))[0];
    if (!svc) throw notFound(`Host '${host}' is not mapped to any cell`);
    await store.update(svc.id, changes);
  }

  app.put<{ Params: { id: string } }>('/v2.1/os-services/:id', async (req, reply) => {
    const body = requestBody(req);
    const id = req.params.id;
    if (!atLeast(req.mv, '2.53')) {
      validateBody(atLeast(req.mv, '2.11') ? UPDATE_V211 : UPDATE_V20, body);
      authorize(req.ctx, 'os_compute_api:os-services:update', {});
      const b = body as { host: string; binary: string; disabled_reason?: string; forced_down?: unknown };
      switch (id) {
        case 'enable':
          await updateByHost(b.host, b.binary, { disabled: false, disabledReason: null });
          return sendNova(reply, 200, { service: { host: b.host, binary: b.binary, status: 'enabled' } });
        case 'disable':
        case 'disable-log-reason': {
          let reason: string | null = null;
          if (id === 'disable-log-reason') {
            if (b.disabled_reason === undefined) throw badRequest('Missing disabled reason field');
            reason = b.disabled_reason;
          }
          await updateByHost(b.host, b.binary, { disabled: true, disabledReason: reason });
          return sendNova(reply, 200, { service: { host: b.host, binary: b.binary, status: 'disabled', ...(reason ? { disabled_reason: reason } : {}) } });
        }
        case 'force-down':
          if (atLeast(req.mv, '2.11')) {
            if (b.forced_down === undefined) throw badRequest('Missing forced_down field');
            const forcedDown = boolFromString(b.forced_down);
            await updateByHost(b.host, b.binary, { forcedDown });
            return sendNova(reply, 200, { service: { host: b.host, binary: b.binary, forced_down: forcedDown } });
          }
          break;
        default:
          break;
      }
      throw notFound('Unknown action');
    }

    validateBody(UPDATE_V253, body);
    if (!isUuidLike(id)) throw badRequest(`Invalid uuid ${id}`);
    authorize(req.ctx, 'os_compute_api:os-services:update', {});
    let svc: ServiceRow;
    try {
      svc = await store.get(id);
    } catch (e) {
      if (e instanceof ServiceNotFound) throw notFound(e.message);
      throw e;
    }
    if (svc.binary !== 'nova-compute') throw badRequest(`Updating a ${svc.binary} service is not supported. Only nova-compute services can be updated.`);
    const b = (body ?? {}) as { status?: string; disabled_reason?: string; forced_down?: unknown };
    const changes: Parameters<ServiceStore['update']>[1] = {};
    if (b.status === 'enabled') {
      if (b.disabled_reason) throw badRequest("Specifying 'disabled_reason' with status 'enabled' is invalid.");
      changes.disabled = false;
      changes.disabledReason = null;
    } else if (b.status === 'disabled') {
      changes.disabled = true;
      changes.disabledReason = b.disabled_reason ?? null;
    }
    if (b.forced_down !== undefined) changes.forcedDown = boolFromString(b.forced_down, true);
    if (Object.keys(changes).length === 0) throw badRequest("No updates were requested. Fields 'status' or 'forced_down' should be specified.");
    svc = await store.update(svc.id, changes);
    return sendNova(reply, 200, { service: detail(req, svc, true) });
  });

  app.delete<{ Params: { id: string } }>('/v2.1/os-services/:id', async (req, reply) => {
    authorize(req.ctx, 'os_compute_api:os-services:delete', {});
    const id = req.params.id;
    const key = serviceIdKey(req, id, (e) => badRequest(`Invalid input received: ${e.message}`));
    let svc: ServiceRow;
    try {
      svc = await store.get(key);
    } catch (e) {
      if (e instanceof ServiceNotFound) throw notFound(`Service ${id} not found.`);
      throw e;
    }
    if (svc.binary === 'nova-compute' && (await store.instancesOnHost(svc.host)).length) {
      throw conflict('Unable to delete compute service that is hosting instances. Migrate or delete the instances first.');
    }
    await store.delete(svc.id);
    return sendEmpty(reply, 204);
  });
}
