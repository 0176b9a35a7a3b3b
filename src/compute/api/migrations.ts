/**
 * GET /os-migrations (nova/api/openstack/compute/migrations.py) and
 * /servers/{id}/migrations[/{migration_id}] (server_migrations.py). Nimbus does not
 * migrate servers yet, so there is never a migration to show: the lists are empty,
 * but the query validation, paging errors, policies and microversion gates are
 * nova's, so clients (`nova migration-list`) see what they would on an idle cloud.
 */
import type { FastifyInstance } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { HttpFault, badRequest } from './faults.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { getInstance } from './servers.js';
import { COMMON_QUERY_PARAM, type JsonSchema, P, lastParam, queryLists, validateQuery } from './validation.js';
import { sendNova, versionNotFound } from './wire.js';

/** schemas/migrations.py list_query_schema_v20: known filters, anything else tolerated. */
const QUERY_V20: JsonSchema = {
  type: 'object',
  properties: {
    hidden: COMMON_QUERY_PARAM,
    host: COMMON_QUERY_PARAM,
    instance_uuid: COMMON_QUERY_PARAM,
    source_compute: COMMON_QUERY_PARAM,
    status: COMMON_QUERY_PARAM,
    migration_type: COMMON_QUERY_PARAM,
  },
  additionalProperties: true,
};
const V259_PROPS = {
  ...(QUERY_V20.properties as Record<string, JsonSchema>),
  limit: P.singleParam(P.nonNegativeInteger),
  marker: P.singleParam({ type: 'string' }),
  'changes-since': P.singleParam({ type: 'string', format: 'date-time' }),
};
/** 2.59 adds paging and changes-since and refuses unknown parameters. */
const QUERY_V259: JsonSchema = { type: 'object', properties: V259_PROPS, additionalProperties: false };
const V266_PROPS = { ...V259_PROPS, 'changes-before': P.singleParam({ type: 'string', format: 'date-time' }) };
const QUERY_V266: JsonSchema = { type: 'object', properties: V266_PROPS, additionalProperties: false };
/** 2.80 adds the user_id and project_id filters. */
const QUERY_V280: JsonSchema = {
  type: 'object',
  properties: { ...V266_PROPS, user_id: P.singleParam({ type: 'string' }), project_id: P.singleParam({ type: 'string' }) },
  additionalProperties: false,
};

/** Routes GET /os-migrations, /servers/{id}/migrations and /servers/{id}/migrations/{migration_id}. */
export function registerMigrations(app: FastifyInstance, d: ComputeApiDeps): void {
  app.get('/v2.1/os-migrations', async (req, reply) => {
    const mv = req.mv;
    const schema = atLeast(mv, '2.80') ? QUERY_V280 : atLeast(mv, '2.66') ? QUERY_V266 : atLeast(mv, '2.59') ? QUERY_V259 : QUERY_V20;
    const q = validateQuery(schema, queryLists(req.query));
    authorize(req.ctx, 'os_compute_api:os-migrations:index', {});
    if (atLeast(mv, '2.66')) {
      const since = lastParam(q, 'changes-since');
      const before = lastParam(q, 'changes-before');
      if (since && before && Date.parse(isoUtc(before)) < Date.parse(isoUtc(since))) {
        throw badRequest('The value of changes-since must be less than or equal to changes-before.');
      }
    }
    if (atLeast(mv, '2.59')) {
      // get_migration_objects_sorted: a marker must name a migration, and there is none.
      const marker = lastParam(q, 'marker');
      if (marker !== undefined) throw badRequest(`Marker ${marker} could not be found.`);
    }
    // With no migrations there are no migrations_links either (only a full page has one).
    return sendNova(reply, 200, { migrations: [] });
  });

  app.get<{ Params: { id: string } }>('/v2.1/servers/:id/migrations', async (req, reply) => {
    if (!atLeast(req.mv, '2.23')) throw versionNotFound();
    const i = await getInstance(d, req, req.params.id);
    authorize(req.ctx, 'os_compute_api:servers:migrations:index', { project_id: i.projectId });
    return sendNova(reply, 200, { migrations: [] });
  });

  app.get<{ Params: { id: string; mid: string } }>('/v2.1/servers/:id/migrations/:mid', async (req) => {
    if (!atLeast(req.mv, '2.23')) throw versionNotFound();
    const i = await getInstance(d, req, req.params.id);
    authorize(req.ctx, 'os_compute_api:servers:migrations:show', { project_id: i.projectId });
    throw new HttpFault(404, `In-progress live migration ${req.params.mid} is not found for server ${req.params.id}.`);
  });
}

/** An ISO 8601 time without an offset is UTC to nova (parse_isotime then naive comparison). */
function isoUtc(s: string): string {
  return /(Z|[+-]\d{2}(:?\d{2})?)$/.test(s) || !s.includes('T') ? s : `${s}Z`;
}
