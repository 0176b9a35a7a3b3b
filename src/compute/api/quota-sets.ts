/**
 * os-quota-sets (nova/api/openstack/compute/quota_sets.py): a project's quotas, their
 * usage (detail), the defaults, and an admin's changes. The nova-network resources
 * (fixed_ips, floating_ips, security_groups, security_group_rules) disappear at 2.36,
 * the injected-file ones at 2.57. `openstack quota show` (OSC 6.0) reads
 * GET /os-quota-sets/{project}. ?user_id= scopes show, detail, update and delete to one
 * user's limits inside the project (nova's project_user_quotas).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { badRequest } from './faults.js';
import { verifyProjectId } from './identity.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { type JsonSchema, P, boolFromString, lastParam, pyInt, pyStr, queryLists, validateBody, validateQuery } from './validation.js';
import { requestBody, sendEmpty, sendNova } from './wire.js';
import { QUOTA_RESOURCES, QuotaEngine, type QuotaResource, type QuotaValue } from '../objects/quotas.js';

const FILTERED_2_36 = ['fixed_ips', 'floating_ips', 'security_group_rules', 'security_groups'];
const FILTERED_2_57 = [...FILTERED_2_36, 'injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];

/** The resources a microversion hides. */
function filteredQuotas(req: FastifyRequest): string[] {
  if (atLeast(req.mv, '2.57')) return FILTERED_2_57;
  if (atLeast(req.mv, '2.36')) return FILTERED_2_36;
  return [];
}

/** urlparse.parse_qs(...).get('user_id', [None])[0]: the first value; a blank one is dropped. (detail reads req.GET: the last.) */
const firstParam = (q: Record<string, string[]>, key: string) => q[key]?.find((v) => v !== '');

const QUERY: JsonSchema = { type: 'object', properties: { user_id: P.multiParams({ type: 'string' }) }, additionalProperties: true };
const QUERY_275: JsonSchema = { ...QUERY, additionalProperties: false };

/** common_quota: an integer (or its string) from -1 to 2^31-1. */
export const COMMON_QUOTA: JsonSchema = { type: ['integer', 'string'], pattern: '^-?[0-9]+$', minimum: -1, maximum: 0x7fffffff };
/** quota_sets.quota_resources: the keys an update body may carry (os-quota-class-sets uses them too). */
export const UPDATE_RESOURCES = [
  'instances',
  'cores',
  'ram',
  'floating_ips',
  'fixed_ips',
  'metadata_items',
  'key_pairs',
  'security_groups',
  'security_group_rules',
  'injected_files',
  'injected_file_content_bytes',
  'injected_file_path_bytes',
  'server_groups',
  'server_group_members',
  'networks',
];

/** quota_sets.update, update_v236, update_v257 (nova's schema has a stray 'type' property; kept). */
function updateSchema(filtered: string[]): JsonSchema {
  const removed = filtered.length ? [...filtered, 'networks'] : [];
  const props: Record<string, JsonSchema> = {};
  for (const r of UPDATE_RESOURCES) if (!removed.includes(r)) props[r] = COMMON_QUOTA;
  props.force = P.boolean;
  return {
    type: 'object',
    properties: { type: 'object' as unknown as JsonSchema, quota_set: { properties: props, additionalProperties: false } },
    required: ['quota_set'],
    additionalProperties: false,
  };
}

/** Routes /os-quota-sets/{project} (GET, PUT, DELETE), /detail and /defaults. */
export function registerQuotaSets(app: FastifyInstance, d: ComputeApiDeps): void {
  const quotas = new QuotaEngine(d.db, d.cfg);

  const query = (req: FastifyRequest) => validateQuery(atLeast(req.mv, '2.75') ? QUERY_275 : QUERY, queryLists(req.query));

  /** _format_quota_set: id first (when given), then the resources in sorted order. */
  function format(projectId: string | null, values: Record<QuotaResource, unknown>, filtered: string[]) {
    const out: Record<string, unknown> = projectId !== null ? { id: projectId } : {};
    for (const r of [...QUOTA_RESOURCES].sort()) if (!filtered.includes(r)) out[r] = values[r];
    return { quota_set: out };
  }

  const limitsOf = (q: Record<QuotaResource, QuotaValue>) => Object.fromEntries(Object.entries(q).map(([k, v]) => [k, v.limit])) as Record<QuotaResource, number>;

  app.get<{ Params: { id: string } }>('/v2.1/os-quota-sets/:id', async (req, reply) => {
    const q = query(req);
    const id = req.params.id;
    authorize(req.ctx, 'os_compute_api:os-quota-sets:show', { project_id: id });
    await verifyProjectId(d, req, id);
    return sendNova(reply, 200, format(id, limitsOf(await quotas.projectQuotas(id, { userId: firstParam(q, 'user_id') })), filteredQuotas(req)));
  });

  app.get<{ Params: { id: string } }>('/v2.1/os-quota-sets/:id/detail', async (req, reply) => {
    const q = query(req);
    const id = req.params.id;
    authorize(req.ctx, 'os_compute_api:os-quota-sets:detail', { project_id: id });
    await verifyProjectId(d, req, id);
    const values = await quotas.projectQuotas(id, { usages: true, userId: lastParam(q, 'user_id') || undefined });
    const detailed = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { limit: v.limit, in_use: v.in_use ?? 0, reserved: 0 }])) as Record<QuotaResource, unknown>;
    return sendNova(reply, 200, format(id, detailed, filteredQuotas(req)));
  });

  app.get<{ Params: { id: string } }>('/v2.1/os-quota-sets/:id/defaults', async (req, reply) => {
    const id = req.params.id;
    authorize(req.ctx, 'os_compute_api:os-quota-sets:defaults', { project_id: id });
    await verifyProjectId(d, req, id);
    return sendNova(reply, 200, format(id, await quotas.defaults(), filteredQuotas(req)));
  });

  app.put<{ Params: { id: string } }>('/v2.1/os-quota-sets/:id', async (req, reply) => {
    const filtered = filteredQuotas(req);
    const body = requestBody(req);
    validateBody(updateSchema(filtered), body);
    const q = query(req);
    const id = req.params.id;
    authorize(req.ctx, 'os_compute_api:os-quota-sets:update', { project_id: id });
    await verifyProjectId(d, req, id);
    const userId = firstParam(q, 'user_id');
    const quotaSet = (body as { quota_set: Record<string, unknown> }).quota_set;
    if ('networks' in quotaSet) throw badRequest('The networks quota has been removed');
    const force = boolFromString(quotaSet.force ?? 'False');
    const settable = await quotas.settableQuotas(id, userId);
    const inf = (v: number) => (v === -1 ? Number.POSITIVE_INFINITY : v);
    const valid = new Map<QuotaResource, number>();
    for (const [key, raw] of Object.entries(quotaSet)) {
      if (key === 'force' || raw === null || raw === '') continue;
      const value = Number(pyInt(pyStr(raw)));
      const resource = key as QuotaResource;
      if (!force) {
        const { minimum, maximum } = settable[resource];
        if (inf(value) < inf(minimum)) throw badRequest(`Quota limit ${value} for ${key} must be greater than or equal to already used and reserved ${minimum}.`);
        if (inf(value) > inf(maximum)) throw badRequest(`Quota limit ${value} for ${key} must be less than or equal to ${maximum}.`);
      }
      valid.set(resource, value);
    }
    for (const [resource, value] of valid) await quotas.setLimit(id, resource, value, userId);
    return sendNova(reply, 200, format(null, limitsOf(await quotas.projectQuotas(id, { userId })), filtered));
  });

  app.delete<{ Params: { id: string } }>('/v2.1/os-quota-sets/:id', async (req, reply) => {
    const q = query(req);
    const id = req.params.id;
    authorize(req.ctx, 'os_compute_api:os-quota-sets:delete', { project_id: id });
    const userId = firstParam(q, 'user_id');
    if (userId !== undefined) await quotas.destroyAllByProjectAndUser(id, userId);
    else await quotas.destroyAllByProject(id);
    return sendEmpty(reply, 202);
  });
}
