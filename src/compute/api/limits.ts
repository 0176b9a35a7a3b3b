/**
 * GET /limits (nova/api/openstack/compute/limits.py, views/limits.py): the caller's
 * absolute limits and what is used of them; an admin may ask for another project with
 * ?tenant_id=. The nova-network limits go at 2.36, maxImageMeta at 2.39, the personality
 * ones at 2.57. "rate" has been empty since rate limiting left nova.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { COMMON_QUERY_PARAM, type JsonSchema, lastParam, queryLists, validateQuery } from './validation.js';
import { sendNova } from './wire.js';
import { QuotaEngine, type QuotaResource, type QuotaValue } from '../objects/quotas.js';

const QUERY: JsonSchema = { type: 'object', properties: { tenant_id: COMMON_QUERY_PARAM }, additionalProperties: true };
const QUERY_275: JsonSchema = { ...QUERY, additionalProperties: false };

const FILTERED_2_36 = ['floating_ips', 'security_groups', 'security_group_rules'];
const FILTERED_2_57 = [...FILTERED_2_36, 'injected_files', 'injected_file_content_bytes'];

/** The view's names for each quota, in nova's order. */
const LIMIT_NAMES: Partial<Record<QuotaResource, string[]>> = {
  ram: ['maxTotalRAMSize'],
  instances: ['maxTotalInstances'],
  cores: ['maxTotalCores'],
  key_pairs: ['maxTotalKeypairs'],
  floating_ips: ['maxTotalFloatingIps'],
  metadata_items: ['maxServerMeta', 'maxImageMeta'],
  injected_files: ['maxPersonality'],
  injected_file_content_bytes: ['maxPersonalitySize'],
  security_groups: ['maxSecurityGroups'],
  security_group_rules: ['maxSecurityGroupRules'],
  server_groups: ['maxServerGroups'],
  server_group_members: ['maxServerGroupMembers'],
};

const USED_NAMES: [string, QuotaResource][] = [
  ['totalRAMUsed', 'ram'],
  ['totalCoresUsed', 'cores'],
  ['totalInstancesUsed', 'instances'],
  ['totalFloatingIpsUsed', 'floating_ips'],
  ['totalSecurityGroupsUsed', 'security_groups'],
  ['totalServerGroupsUsed', 'server_groups'],
];

/** limits' ViewBuilder.build. */
export function limitsView(quotas: Record<QuotaResource, QuotaValue>, filtered: string[], maxImageMeta: boolean) {
  const absolute: Record<string, number> = {};
  for (const [name, v] of Object.entries(quotas) as [QuotaResource, QuotaValue][]) {
    const names = LIMIT_NAMES[name];
    if (!names || filtered.includes(name)) continue;
    for (const n of names) if (maxImageMeta || n !== 'maxImageMeta') absolute[n] = v.limit;
  }
  for (const [display, key] of USED_NAMES) if (!filtered.includes(key)) absolute[display] = quotas[key].in_use ?? 0;
  return { limits: { rate: [], absolute } };
}

/** Routes GET /limits. */
export function registerLimits(app: FastifyInstance, d: ComputeApiDeps): void {
  const engine = new QuotaEngine(d.db, d.cfg);

  app.get('/v2.1/limits', async (req: FastifyRequest, reply) => {
    const query = validateQuery(atLeast(req.mv, '2.75') ? QUERY_275 : QUERY, queryLists(req.query));
    authorize(req.ctx, 'os_compute_api:limits', {});
    let projectId = req.ctx.projectId;
    const tenant = lastParam(query, 'tenant_id');
    if (tenant !== undefined) {
      projectId = tenant;
      authorize(req.ctx, 'os_compute_api:limits:other_project');
    }
    const filtered = atLeast(req.mv, '2.57') ? FILTERED_2_57 : atLeast(req.mv, '2.36') ? FILTERED_2_36 : [];
    const quotas = await engine.projectQuotas(projectId, { usages: true });
    return sendNova(reply, 200, limitsView(quotas, filtered, !atLeast(req.mv, '2.39')));
  });
}
