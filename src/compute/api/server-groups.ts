/**
 * os-server-groups (nova/api/openstack/compute/server_groups.py): create, list, show
 * and delete server groups. Before 2.64 a group has `policies` (one of them) and an
 * always-empty `metadata`; from 2.64 a `policy` and `rules` (max_server_per_host, for
 * anti-affinity only). The soft policies exist from 2.15; project_id and user_id are
 * shown from 2.13; unknown list parameters are refused from 2.75. Members are listed
 * only while their instance lives. Quota: server_groups per project.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isoMicros } from '../../common/clock.js';
import type { ComputeApiDeps } from './app.js';
import { badRequest, forbidden } from './faults.js';
import { MAX_LIMIT } from './links.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { type JsonSchema, P, lastParam, queryLists, validateBody, validateQuery } from './validation.js';
import { requestBody, sendEmpty, sendNova } from './wire.js';
import { type GroupPolicy, type ServerGroup, ServerGroupStore } from '../objects/server-groups.js';
import { QuotaEngine } from '../objects/quotas.js';

// ---------------------------------------------------------------- schemas

function createSchema(req: FastifyRequest): JsonSchema {
  const props: Record<string, JsonSchema> = { name: P.name };
  let required: string[];
  if (atLeast(req.mv, '2.64')) {
    props.policy = { type: 'string', enum: ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity'] };
    props.rules = { type: 'object', properties: { max_server_per_host: P.positiveInteger }, additionalProperties: false };
    required = ['name', 'policy'];
  } else {
    const policies = atLeast(req.mv, '2.15') ? ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity'] : ['anti-affinity', 'affinity'];
    // One policy only; a tuple schema, as nova's (additionalItems never reports first: maxItems does).
    props.policies = { type: 'array', items: [{ type: 'string', enum: policies }], uniqueItems: true, minItems: 1, maxItems: 1 };
    required = ['name', 'policies'];
  }
  return {
    type: 'object',
    properties: { server_group: { type: 'object', properties: props, required, additionalProperties: false } },
    required: ['server_group'],
    additionalProperties: false,
  };
}

function indexQuery(req: FastifyRequest): JsonSchema {
  return {
    type: 'object',
    properties: {
      all_projects: P.multiParams({ type: 'string' }),
      limit: P.multiParams(P.nonNegativeInteger),
      offset: P.multiParams(P.nonNegativeInteger),
    },
    additionalProperties: !atLeast(req.mv, '2.75'),
  };
}

// ---------------------------------------------------------------- view

/** _format_server_group: members that still exist, fields per microversion. */
async function view(store: ServerGroupStore, req: FastifyRequest, g: ServerGroup): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { id: g.uuid, name: g.name };
  if (atLeast(req.mv, '2.64')) {
    out.policy = g.policy;
    out.rules = g.rules;
  } else {
    out.policies = [g.policy];
    out.metadata = {};
  }
  const live = await store.liveInstances(g.members);
  out.members = g.members.filter((m) => live.has(m));
  if (atLeast(req.mv, '2.13')) {
    out.project_id = g.projectId;
    out.user_id = g.userId;
  }
  return out;
}

// ---------------------------------------------------------------- routes

/** Routes /os-server-groups and /os-server-groups/{id}. */
export function registerServerGroups(app: FastifyInstance, d: ComputeApiDeps): void {
  const store = () => new ServerGroupStore(d.db);

  app.post('/v2.1/os-server-groups', async (req, reply) => {
    const body = requestBody(req);
    validateBody(createSchema(req), body);
    authorize(req.ctx, 'os_compute_api:os-server-groups:create', { project_id: req.ctx.projectId });
    const limit = (await new QuotaEngine(d.db, d.cfg).projectQuotas(req.ctx.projectId)).server_groups.limit;
    if (limit >= 0 && (await store().countByProject(req.ctx.projectId)) + 1 > limit) throw forbidden('Quota exceeded, too many server groups.');
    const v = (body as { server_group: { name: string; policies?: GroupPolicy[]; policy?: GroupPolicy; rules?: { max_server_per_host?: number | string } } }).server_group;
    let policy: GroupPolicy;
    let rules: ServerGroup['rules'] = {};
    if (atLeast(req.mv, '2.64')) {
      policy = v.policy!;
      const given = v.rules ?? {};
      if (policy !== 'anti-affinity' && Object.keys(given).length > 0) throw badRequest('Only anti-affinity policy supports rules.');
      if (given.max_server_per_host !== undefined) rules = { max_server_per_host: Number(given.max_server_per_host) };
    } else {
      policy = v.policies![0]!;
    }
    const g = await store().create({ uuid: d.random.uuid(), name: v.name, projectId: req.ctx.projectId, userId: req.ctx.userId, policy, rules }, isoMicros(d.clock.now()));
    return sendNova(reply, 200, { server_group: await view(store(), req, g) });
  });

  app.get('/v2.1/os-server-groups', async (req, reply) => {
    const q = validateQuery(indexQuery(req), queryLists(req.query));
    authorize(req.ctx, 'os_compute_api:os-server-groups:index', { project_id: req.ctx.projectId });
    let groups: ServerGroup[];
    if ('all_projects' in q && req.ctx.isAdmin) {
      authorize(req.ctx, 'os_compute_api:os-server-groups:index:all_projects', { project_id: req.ctx.projectId });
      groups = await store().list();
    } else {
      groups = await store().list(req.ctx.projectId);
    }
    // common.limited: offset, then at most limit (0 or none: max_limit).
    const offset = Number(lastParam(q, 'offset') ?? 0);
    const limit = Math.min(MAX_LIMIT, Number(lastParam(q, 'limit') ?? 0) || MAX_LIMIT);
    const page = groups.slice(offset, offset + limit);
    const s = store();
    return sendNova(reply, 200, { server_groups: await Promise.all(page.map((g) => view(s, req, g))) });
  });

  app.get('/v2.1/os-server-groups/:id', async (req, reply) => {
    const g = await store().getByUuid((req.params as { id: string }).id);
    authorize(req.ctx, 'os_compute_api:os-server-groups:show', { project_id: g.projectId });
    return sendNova(reply, 200, { server_group: await view(store(), req, g) });
  });

  app.delete('/v2.1/os-server-groups/:id', async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const g = await store().getByUuid(id);
    authorize(req.ctx, 'os_compute_api:os-server-groups:delete', { project_id: g.projectId });
    await store().destroy(id);
    return sendEmpty(reply, 204);
  });
}
