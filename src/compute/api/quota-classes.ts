/**
 * os-quota-class-sets (nova/api/openstack/compute/quota_classes.py): the limits of a
 * quota class. Only the class named 'default' has an effect (it replaces the configured
 * defaults of every project); any other name answers its own stored limits or the
 * configured defaults, as nova's get_class_quotas does. Before 2.50 the server group
 * keys are hidden, from 2.50 the nova-network ones, from 2.57 the injected-file ones.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { badRequest } from './faults.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { COMMON_QUOTA, UPDATE_RESOURCES } from './quota-sets.js';
import { type JsonSchema, pyInt, pyStr, validateBody } from './validation.js';
import { requestBody, sendNova } from './wire.js';
import { QUOTA_RESOURCES, QuotaEngine } from '../objects/quotas.js';

const FILTERED_2_50 = ['fixed_ips', 'floating_ips', 'security_group_rules', 'security_groups'];
const FILTERED_2_57 = [...FILTERED_2_50, 'injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];
/** EXTENDED_QUOTAS: not shown before 2.50. */
const SERVER_GROUP_QUOTAS = ['server_groups', 'server_group_members'];

/** The resources a microversion hides from the response. */
function hidden(req: FastifyRequest): string[] {
  if (atLeast(req.mv, '2.57')) return FILTERED_2_57;
  if (atLeast(req.mv, '2.50')) return FILTERED_2_50;
  return SERVER_GROUP_QUOTAS;
}

/** quota_classes.update / update_v250 / update_v257 (nova's stray 'type' property kept). */
function updateSchema(req: FastifyRequest): JsonSchema {
  const removed = atLeast(req.mv, '2.57') ? [...FILTERED_2_57, 'networks'] : atLeast(req.mv, '2.50') ? [...FILTERED_2_50, 'networks'] : [];
  const props: Record<string, JsonSchema> = {};
  for (const r of UPDATE_RESOURCES) if (!removed.includes(r)) props[r] = COMMON_QUOTA;
  return {
    type: 'object',
    properties: { type: 'object' as unknown as JsonSchema, quota_class_set: { properties: props, additionalProperties: false } },
    required: ['quota_class_set'],
    additionalProperties: false,
  };
}

/** Routes GET and PUT /os-quota-class-sets/{id}. */
export function registerQuotaClasses(app: FastifyInstance, d: ComputeApiDeps): void {
  const quotas = new QuotaEngine(d.db, d.cfg);

  /** _format_quota_set: id first (when given), then the resources in sorted order (QUOTAS.resources sorts). */
  function format(id: string | null, values: Record<string, number>, filtered: string[]) {
    const out: Record<string, unknown> = id !== null ? { id } : {};
    for (const r of [...QUOTA_RESOURCES].sort()) if (!filtered.includes(r)) out[r] = values[r];
    return { quota_class_set: out };
  }

  app.get<{ Params: { id: string } }>('/v2.1/os-quota-class-sets/:id', async (req, reply) => {
    authorize(req.ctx, 'os_compute_api:os-quota-class-sets:show', {});
    return sendNova(reply, 200, format(req.params.id, await quotas.classQuotas(req.params.id), hidden(req)));
  });

  app.put<{ Params: { id: string } }>('/v2.1/os-quota-class-sets/:id', async (req, reply) => {
    const body = requestBody(req);
    validateBody(updateSchema(req), body);
    authorize(req.ctx, 'os_compute_api:os-quota-class-sets:update', {});
    const id = req.params.id;
    const length = [...id].length;
    if (length > 255) throw badRequest(`quota_class_name has ${length} characters, more than 255.`);
    const updates = (body as { quota_class_set: Record<string, unknown> }).quota_class_set;
    for (const [key, raw] of Object.entries(updates)) await quotas.setClassLimit(id, key, Number(pyInt(pyStr(raw))));
    return sendNova(reply, 200, format(null, await quotas.classQuotas(id), hidden(req)));
  });
}
