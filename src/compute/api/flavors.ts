/**
 * Flavors (nova/api/openstack/compute/flavors.py, flavor_manage.py, flavor_access.py,
 * flavors_extraspecs.py): list, detail and show for everyone; create, update (2.55),
 * delete, access and extra-spec changes for admins. The view follows the microversion:
 * description from 2.55, extra_specs from 2.61 (when the extra-specs index policy
 * allows), swap 0 instead of "" from 2.75, unknown query parameters refused from 2.75,
 * extra-spec names and values checked from 2.86. As in nova, the body schema is
 * checked before the policy, and the policy before the flavor is looked up.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { EXTRA_SPEC_NAMESPACES, EXTRA_SPEC_VALIDATORS, type ExtraSpecValidatorData } from './extra-spec-validators.js';
import { badRequest, conflict, notFound } from './faults.js';
import { verifyProjectId } from './identity.js';
import { collectionLinks, limitAndMarker, resourceLinks } from './links.js';
import { atLeast } from './microversion.js';
import { authorize, can } from './policy.js';
import {
  type JsonSchema,
  P,
  boolFromString,
  descriptionPattern,
  lastParam,
  pyInt,
  pyStr,
  queryLists,
  validateBody,
  validateQuery,
} from './validation.js';
import { pyFloat, requestBody, sendEmpty, sendNova, versionNotFound } from './wire.js';
import { FLAVOR_SORT_KEYS, type Flavor, type FlavorCaller, type FlavorSortKey, FlavorStore } from '../objects/flavors.js';
import { FlavorAccessExists, FlavorAccessNotFound, FlavorExists, FlavorIdExists, FlavorNotFound, MarkerNotFound, NovaException, ValidationError } from '../errors.js';

// ---------------------------------------------------------------- schemas

const INDEX_QUERY: JsonSchema = {
  type: 'object',
  properties: {
    limit: P.multiParams(P.nonNegativeInteger),
    marker: P.multiParams({ type: 'string' }),
    is_public: P.multiParams({ type: 'string' }),
    minRam: P.multiParams({ type: 'string' }),
    minDisk: P.multiParams({ type: 'string' }),
    sort_key: P.multiParams({ type: 'string', enum: [...FLAVOR_SORT_KEYS] }),
    sort_dir: P.multiParams({ type: 'string', enum: ['asc', 'desc'] }),
  },
  additionalProperties: true,
};
const INDEX_QUERY_275: JsonSchema = { ...INDEX_QUERY, additionalProperties: false };

function createSchema(withDescription: boolean): JsonSchema {
  const props: Record<string, JsonSchema> = {
    name: P.name,
    id: { type: ['string', 'number', 'null'], minLength: 1, maxLength: 255, pattern: '^(?! )[a-zA-Z0-9. _-]+(?<! )$' },
    ram: P.flavorParamPositive,
    vcpus: P.flavorParamPositive,
    disk: P.flavorParamNonNegative,
    'OS-FLV-EXT-DATA:ephemeral': P.flavorParamNonNegative,
    swap: P.flavorParamNonNegative,
    rxtx_factor: { type: ['number', 'string'], pattern: '^[0-9]+(\\.[0-9]+)?$', minimum: 0, exclusiveMinimum: true, maximum: 3.40282e38 },
    'os-flavor-access:is_public': P.boolean,
  };
  if (withDescription) props.description = descriptionSchema();
  return {
    type: 'object',
    properties: { flavor: { type: 'object', properties: props, required: ['name', 'ram', 'vcpus', 'disk'], additionalProperties: false } },
    required: ['flavor'],
    additionalProperties: false,
  };
}

let descSchema: JsonSchema | null = null;
function descriptionSchema(): JsonSchema {
  descSchema ??= { type: ['string', 'null'], minLength: 0, maxLength: 65535, pattern: descriptionPattern() };
  return descSchema;
}

const CREATE_V21 = createSchema(false);
let createV255: JsonSchema | null = null;
let updateV255: JsonSchema | null = null;

function updateSchema(): JsonSchema {
  updateV255 ??= {
    type: 'object',
    properties: { flavor: { type: 'object', properties: { description: descriptionSchema() }, required: ['description'], additionalProperties: false } },
    required: ['flavor'],
    additionalProperties: false,
  };
  return updateV255;
}

function tenantAccessSchema(action: string): JsonSchema {
  return {
    type: 'object',
    properties: {
      [action]: {
        type: 'object',
        properties: { tenant: { type: 'string', minLength: 1, maxLength: 255 } },
        required: ['tenant'],
        additionalProperties: false,
      },
    },
    required: [action],
    additionalProperties: false,
  };
}
const ADD_TENANT_ACCESS = tenantAccessSchema('addTenantAccess');
const REMOVE_TENANT_ACCESS = tenantAccessSchema('removeTenantAccess');

const EXTRA_SPECS_METADATA = P.metadata(['string', 'number']);
const EXTRA_SPECS_CREATE: JsonSchema = {
  type: 'object',
  properties: { extra_specs: EXTRA_SPECS_METADATA },
  required: ['extra_specs'],
  additionalProperties: false,
};
const EXTRA_SPECS_UPDATE: JsonSchema = { ...EXTRA_SPECS_METADATA, minProperties: 1, maxProperties: 1 };

// ---------------------------------------------------------------- extra-spec checks (2.86)

function fullMatch(pattern: string, s: string): boolean {
  return new RegExp(`^(?:${pattern.replace(/\(\?P</g, '(?<')})$`).test(s);
}

function checkSpecValue(v: ExtraSpecValidatorData, value: string): void {
  const fail = (m: string) => new ValidationError(`Validation failed; ${m}`);
  if (v.type === 'int') {
    const n = pyInt(value);
    if (n === null) throw fail(`'${value}' is not a valid integer value.`);
    if (v.max !== undefined && v.max < n) throw fail(`'${n}' is greater than the max value of '${v.max}'.`);
    if (v.min !== undefined && v.min > n) throw fail(`'${n}' is less than the min value of '${v.min}'.`);
  } else if (v.type === 'bool') {
    try {
      boolFromString(value, true);
    } catch {
      throw fail(`'${value}' is not a valid boolean-like value.`);
    }
  } else if (v.pattern !== undefined) {
    if (!fullMatch(v.pattern, value)) throw fail(`'${value}' is not of the format '${v.pattern}'.`);
  } else if (v.enum !== undefined && !v.enum.includes(value)) {
    throw fail(`'${value}' is not one of: ${v.enum.join(', ')}.`);
  }
}

/** nova's extra_specs validators.validate: known names checked, unknown ones refused only in a known namespace. */
export function validateExtraSpec(name: string, value: string): void {
  const exact = EXTRA_SPEC_VALIDATORS.find((v) => v.re === undefined && v.name === name);
  const v = exact ?? EXTRA_SPEC_VALIDATORS.find((x) => fullMatch(x.re ?? x.name, name));
  if (v) return checkSpecValue(v, value);
  if (!name.includes(':')) return;
  const ns = name.split(':', 1)[0]!;
  if (!EXTRA_SPEC_NAMESPACES.some((p) => fullMatch(p, ns))) return;
  throw new ValidationError(`Validation failed; extra spec '${name}' does not appear to be a valid extra spec.`);
}

function checkExtraSpecsValues(req: FastifyRequest, specs: Record<string, unknown>): void {
  if (!atLeast(req.mv, '2.86')) return;
  for (const [name, value] of Object.entries(specs)) validateExtraSpec(name, pyStr(value));
}

// ---------------------------------------------------------------- views

interface ViewOpts {
  description: boolean;
  extraSpecs: boolean;
}

function showView(req: FastifyRequest, f: Flavor, o: ViewOpts): Record<string, unknown> {
  const v: Record<string, unknown> = {
    id: f.flavorid,
    name: f.name,
    ram: f.memory_mb,
    disk: f.root_gb,
    swap: f.swap || '',
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral_gb,
    'OS-FLV-DISABLED:disabled': f.disabled,
    vcpus: f.vcpus,
    'os-flavor-access:is_public': f.is_public,
    rxtx_factor: f.rxtx_factor ? pyFloat(f.rxtx_factor) : '',
    links: resourceLinks(req, 'flavors', f.flavorid),
  };
  if (o.description) v.description = f.description;
  if (o.extraSpecs) v.extra_specs = f.extra_specs;
  if (atLeast(req.mv, '2.75')) v.swap = f.swap || 0;
  return v;
}

function basicView(req: FastifyRequest, f: Flavor, o: ViewOpts): Record<string, unknown> {
  const v: Record<string, unknown> = { id: f.flavorid, name: f.name, links: resourceLinks(req, 'flavors', f.flavorid) };
  if (o.description) v.description = f.description;
  return v;
}

/** extra_specs appear from 2.61 for whoever the extra-specs index policy lets read them. */
function includeExtraSpecs(req: FastifyRequest): boolean {
  return atLeast(req.mv, '2.61') && can(req.ctx, 'os_compute_api:os-flavor-extra-specs:index');
}

function accessView(flavorid: string, projects: string[]) {
  return { flavor_access: projects.map((p) => ({ flavor_id: flavorid, tenant_id: p })) };
}

// ---------------------------------------------------------------- routes

export function registerFlavors(app: FastifyInstance, d: ComputeApiDeps): void {
  const store = new FlavorStore(d.db, { clock: d.clock, random: d.random });
  const caller = (req: FastifyRequest): FlavorCaller => ({ projectId: req.ctx.projectId, isAdmin: req.ctx.isAdmin });

  /** common.get_flavor: the flavor as the caller may see it, else 404 with nova's message. */
  async function getFlavor(req: FastifyRequest, id: string): Promise<Flavor> {
    try {
      return await store.get(id, caller(req));
    } catch (e) {
      if (e instanceof FlavorNotFound) throw notFound(e.message);
      throw e;
    }
  }

  async function list(req: FastifyRequest, detail: boolean) {
    const query = validateQuery(atLeast(req.mv, '2.75') ? INDEX_QUERY_275 : INDEX_QUERY, queryLists(req.query));
    const sortKey = (lastParam(query, 'sort_key') || 'flavorid') as FlavorSortKey;
    const sortDir = (lastParam(query, 'sort_dir') || 'asc') as 'asc' | 'desc';
    const { limit, marker } = limitAndMarker(query);
    let isPublic: boolean | null = true;
    let disabled: boolean | undefined;
    if (req.ctx.isAdmin) {
      const raw = lastParam(query, 'is_public');
      if (raw !== undefined) {
        if (raw.toLowerCase() === 'none') isPublic = null;
        else {
          try {
            isPublic = boolFromString(raw, true);
          } catch {
            throw badRequest(`Invalid is_public filter [${raw}]`);
          }
        }
      }
    } else {
      disabled = false;
    }
    const minFilter = (param: string) => {
      const raw = lastParam(query, param);
      if (raw === undefined) return undefined;
      const n = pyInt(raw);
      if (n === null) throw badRequest(`Invalid ${param} filter [${raw}]`);
      return n;
    };
    const minMemoryMb = minFilter('minRam');
    const minRootGb = minFilter('minDisk');
    let flavors: Flavor[];
    try {
      flavors = await store.list(caller(req), { isPublic, disabled, minMemoryMb, minRootGb, sortKey, sortDir, limit, marker });
    } catch (e) {
      if (e instanceof MarkerNotFound) throw badRequest(`marker [${marker}] not found`);
      throw e;
    }
    const o: ViewOpts = { description: atLeast(req.mv, '2.55'), extraSpecs: detail && includeExtraSpecs(req) };
    const body: Record<string, unknown> = { flavors: flavors.map((f) => (detail ? showView(req, f, o) : basicView(req, f, o))) };
    const links = collectionLinks(req, query, flavors.length, flavors.at(-1)?.flavorid, detail ? 'flavors/detail' : 'flavors');
    if (links.length) body.flavors_links = links;
    return body;
  }

  app.get('/v2.1/flavors', async (req, reply) => sendNova(reply, 200, await list(req, false)));
  app.get('/v2.1/flavors/detail', async (req, reply) => sendNova(reply, 200, await list(req, true)));

  app.get<{ Params: { id: string } }>('/v2.1/flavors/:id', async (req, reply) => {
    const f = await getFlavor(req, req.params.id);
    return sendNova(reply, 200, { flavor: showView(req, f, { description: atLeast(req.mv, '2.55'), extraSpecs: includeExtraSpecs(req) }) });
  });

  app.post('/v2.1/flavors', async (req, reply) => {
    const body = requestBody(req);
    const v255 = atLeast(req.mv, '2.55');
    validateBody(v255 ? (createV255 ??= createSchema(true)) : CREATE_V21, body);
    authorize(req.ctx, 'os_compute_api:os-flavor-manage:create', {});
    const vals = (body as { flavor: Record<string, unknown> }).flavor;
    const int = (k: string, dflt: number) => (vals[k] === undefined ? dflt : Number(pyInt(pyStr(vals[k]))));
    const rxtx = vals.rxtx_factor === undefined ? 1.0 : Number(vals.rxtx_factor);
    const isPublic = vals['os-flavor-access:is_public'] === undefined ? true : boolFromString(vals['os-flavor-access:is_public'], true);
    let flavor: Flavor;
    try {
      flavor = await store.create({
        name: vals.name as string,
        flavorid: vals.id === undefined || vals.id === null ? null : pyStr(vals.id),
        memory_mb: int('ram', 0),
        vcpus: int('vcpus', 0),
        root_gb: int('disk', 0),
        ephemeral_gb: int('OS-FLV-EXT-DATA:ephemeral', 0),
        swap: int('swap', 0),
        rxtx_factor: rxtx,
        is_public: isPublic,
        description: v255 ? ((vals.description as string | null | undefined) ?? null) : null,
      });
    } catch (e) {
      if (e instanceof FlavorExists || e instanceof FlavorIdExists) throw conflict(e.message);
      throw e;
    }
    return sendNova(reply, 200, { flavor: showView(req, flavor, { description: v255, extraSpecs: includeExtraSpecs(req) }) });
  });

  app.put<{ Params: { id: string } }>('/v2.1/flavors/:id', async (req, reply) => {
    if (!atLeast(req.mv, '2.55')) throw versionNotFound();
    const body = requestBody(req);
    validateBody(updateSchema(), body);
    authorize(req.ctx, 'os_compute_api:os-flavor-manage:update', {});
    await getFlavor(req, req.params.id);
    const f = await store.updateDescription(req.params.id, (body as { flavor: { description: string | null } }).flavor.description);
    return sendNova(reply, 200, { flavor: showView(req, f, { description: true, extraSpecs: includeExtraSpecs(req) }) });
  });

  app.delete<{ Params: { id: string } }>('/v2.1/flavors/:id', async (req, reply) => {
    authorize(req.ctx, 'os_compute_api:os-flavor-manage:delete', {});
    try {
      await store.destroy(req.params.id);
    } catch (e) {
      if (e instanceof FlavorNotFound) throw notFound(e.message);
      throw e;
    }
    return sendEmpty(reply, 202);
  });

  // POST /flavors/{id}/action: addTenantAccess / removeTenantAccess.
  app.post<{ Params: { id: string } }>('/v2.1/flavors/:id/action', async (req, reply) => {
    const body = requestBody(req);
    if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length !== 1) throw badRequest('Malformed request body');
    const action = Object.keys(body)[0]!;
    if (action === 'addTenantAccess') {
      validateBody(ADD_TENANT_ACCESS, body);
      authorize(req.ctx, 'os_compute_api:os-flavor-access:add_tenant_access', {});
      const tenant = (body as { addTenantAccess: { tenant: string } }).addTenantAccess.tenant;
      await verifyProjectId(d, req, tenant);
      const flavor = await getFlavor(req, req.params.id);
      if (atLeast(req.mv, '2.7') && flavor.is_public) throw conflict('Can not add access to a public flavor.');
      try {
        return sendNova(reply, 200, accessView(flavor.flavorid, await store.addAccess(flavor, tenant)));
      } catch (e) {
        if (e instanceof FlavorAccessExists) throw conflict(e.message);
        throw e;
      }
    }
    if (action === 'removeTenantAccess') {
      validateBody(REMOVE_TENANT_ACCESS, body);
      authorize(req.ctx, 'os_compute_api:os-flavor-access:remove_tenant_access', {});
      const tenant = (body as { removeTenantAccess: { tenant: string } }).removeTenantAccess.tenant;
      // An unknown project may still be removed from the list, as in nova.
      const flavor = await getFlavor(req, req.params.id);
      try {
        return sendNova(reply, 200, accessView(flavor.flavorid, await store.removeAccess(flavor, tenant)));
      } catch (e) {
        if (e instanceof FlavorAccessNotFound || e instanceof FlavorNotFound) throw notFound(e.message);
        throw e;
      }
    }
    throw badRequest(`There is no such action: ${action}`);
  });

  app.get<{ Params: { id: string } }>('/v2.1/flavors/:id/os-flavor-access', async (req, reply) => {
    authorize(req.ctx, 'os_compute_api:os-flavor-access');
    const flavor = await getFlavor(req, req.params.id);
    if (flavor.is_public) throw notFound('Access list not available for public flavors.');
    return sendNova(reply, 200, accessView(flavor.flavorid, await store.projects(flavor)));
  });

  // os-extra_specs
  const noSuchKey = (flavorId: string, key: string) => notFound(`Flavor ${flavorId} has no extra specs with key ${key}.`);

  app.get<{ Params: { id: string } }>('/v2.1/flavors/:id/os-extra_specs', async (req, reply) => {
    authorize(req.ctx, 'os_compute_api:os-flavor-extra-specs:index', { project_id: req.ctx.projectId });
    const flavor = await getFlavor(req, req.params.id);
    return sendNova(reply, 200, { extra_specs: flavor.extra_specs });
  });

  app.post<{ Params: { id: string } }>('/v2.1/flavors/:id/os-extra_specs', async (req, reply) => {
    const body = requestBody(req);
    validateBody(EXTRA_SPECS_CREATE, body);
    authorize(req.ctx, 'os_compute_api:os-flavor-extra-specs:create', {});
    const specs = (body as { extra_specs: Record<string, string | number> }).extra_specs;
    checkExtraSpecsValues(req, specs);
    const flavor = await getFlavor(req, req.params.id);
    await setSpecs(flavor, specs);
    return sendNova(reply, 200, body);
  });

  app.put<{ Params: { id: string; key: string } }>('/v2.1/flavors/:id/os-extra_specs/:key', async (req, reply) => {
    const body = requestBody(req);
    validateBody(EXTRA_SPECS_UPDATE, body);
    authorize(req.ctx, 'os_compute_api:os-flavor-extra-specs:update', {});
    const specs = body as Record<string, string | number>;
    checkExtraSpecsValues(req, specs);
    if (!Object.hasOwn(specs, req.params.key)) throw badRequest('Request body and URI mismatch');
    const flavor = await getFlavor(req, req.params.id);
    await setSpecs(flavor, specs);
    return sendNova(reply, 200, body);
  });

  app.get<{ Params: { id: string; key: string } }>('/v2.1/flavors/:id/os-extra_specs/:key', async (req, reply) => {
    authorize(req.ctx, 'os_compute_api:os-flavor-extra-specs:show', { project_id: req.ctx.projectId });
    const flavor = await getFlavor(req, req.params.id);
    if (!Object.hasOwn(flavor.extra_specs, req.params.key)) throw noSuchKey(req.params.id, req.params.key);
    return sendNova(reply, 200, { [req.params.key]: flavor.extra_specs[req.params.key] });
  });

  app.delete<{ Params: { id: string; key: string } }>('/v2.1/flavors/:id/os-extra_specs/:key', async (req, reply) => {
    authorize(req.ctx, 'os_compute_api:os-flavor-extra-specs:delete', {});
    const flavor = await getFlavor(req, req.params.id);
    try {
      await store.deleteExtraSpec(flavor.flavorid, req.params.key);
    } catch (e) {
      if (e instanceof NovaException && e.status === 404) throw noSuchKey(req.params.id, req.params.key);
      throw e;
    }
    return sendEmpty(reply, 200);
  });

  /** Stored values are strings (nova's DictOfStringsField turns 1 into "1"). */
  async function setSpecs(flavor: Flavor, specs: Record<string, string | number>): Promise<void> {
    try {
      await store.setExtraSpecs(flavor.flavorid, Object.fromEntries(Object.entries(specs).map(([k, v]) => [k, pyStr(v)])));
    } catch (e) {
      if (e instanceof FlavorNotFound) throw notFound(e.message);
      throw e;
    }
  }
}

