/**
 * GET /os-migrations (nova/api/openstack/compute/migrations.py) and
 * /servers/{id}/migrations[/{migration_id}] (server_migrations.py): the migrations
 * table through nova's filters, paging (2.59: newest first, marker = a migration uuid)
 * and microversioned fields (2.23 migration_type, 2.59 uuid, 2.80 user_id/project_id).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { novaContext } from '../context.js';
import { InstanceInvalidState, InstanceIsLocked, InvalidMigrationState, MarkerNotFound, MigrationNotFoundForInstance } from '../errors.js';
import { LiveMigrateAPI } from '../live-migrate-api.js';
import { LIVE_MIGRATION_IN_PROGRESS, type Migration, type MigrationFilters, MigrationStore, MigrationType } from '../objects/migration.js';
import { collectionLinks, limitAndMarker, resourceLinks } from './links.js';
import type { Microversion } from './microversion.js';
import type { ComputeApiDeps } from './app.js';
import { HttpFault, badRequest } from './faults.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { getInstance } from './servers.js';
import { invalidStateConflict } from './server-actions.js';
import { COMMON_QUERY_PARAM, type JsonSchema, P, lastParam, queryLists, validateBody, validateQuery } from './validation.js';
import { sendEmpty, sendNova, versionNotFound } from './wire.js';

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

/** A stored time as nova's JSON shows a datetime: microseconds, no zone. */
const naive = (t: string | null): string | null => (t === null ? null : t.replace(/Z$/, ''));

/**
 * migrations.py _output: the Migration's primitive without deleted/hidden/cross_cell_move
 * and the live-migration detail counters; uuid from 2.59, user_id and project_id from
 * 2.80; migration_type and, for a live migration in progress, links from 2.23.
 */
function migrationView(req: FastifyRequest, m: Migration, o: { addLink: boolean; addUuid: boolean; addUserProject: boolean }): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: m.id,
    source_compute: m.sourceCompute,
    dest_compute: m.destCompute,
    source_node: m.sourceNode,
    dest_node: m.destNode,
    dest_host: m.destHost,
    old_instance_type_id: m.oldInstanceTypeId,
    new_instance_type_id: m.newInstanceTypeId,
    instance_uuid: m.instanceUuid,
    status: m.status,
    created_at: naive(m.createdAt),
    updated_at: naive(m.updatedAt),
  };
  if (o.addUuid) out.uuid = m.uuid;
  if (o.addUserProject) Object.assign(out, { user_id: m.userId, project_id: m.projectId });
  if (o.addLink) {
    out.migration_type = m.migrationType;
    if (m.migrationType === MigrationType.LIVE_MIGRATION && (LIVE_MIGRATION_IN_PROGRESS as readonly string[]).includes(m.status)) out.links = resourceLinks(req, `servers/${m.instanceUuid}/migrations`, m.id);
  }
  return out;
}

/** The search options nova's migration_get_all_by_filters reads (req.GET, last value per key). */
function filtersOf(q: Record<string, string[]>, mv: Microversion): MigrationFilters {
  const f: MigrationFilters = {};
  const v = (k: string) => lastParam(q, k);
  if (v('status') !== undefined) f.status = v('status');
  if (v('host') !== undefined) f.host = v('host');
  if (v('source_compute') !== undefined) f.sourceCompute = v('source_compute');
  if (v('instance_uuid') !== undefined) f.instanceUuid = v('instance_uuid');
  if (v('migration_type') !== undefined) f.migrationType = v('migration_type');
  // Before 2.59 changes-since/-before are dropped; before 2.80 user_id/project_id are unknown keys the DB ignores.
  if (atLeast(mv, '2.59') && v('changes-since') !== undefined) f.changesSince = isoStored(v('changes-since')!);
  if (atLeast(mv, '2.66') && v('changes-before') !== undefined) f.changesBefore = isoStored(v('changes-before')!);
  if (atLeast(mv, '2.80')) {
    if (v('user_id') !== undefined) f.userId = v('user_id');
    if (v('project_id') !== undefined) f.projectId = v('project_id');
  }
  return f;
}

/** Routes GET /os-migrations, /servers/{id}/migrations and /servers/{id}/migrations/{migration_id}. */
export function registerMigrations(app: FastifyInstance, d: ComputeApiDeps): void {
  const store = new MigrationStore(d.db, () => d.clock.now());

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
    const paged = atLeast(mv, '2.59');
    let found: Migration[];
    let limit = 0;
    if (paged) {
      const page = limitAndMarker(q);
      limit = page.limit;
      try {
        found = await store.list(filtersOf(q, mv), { limit: page.limit, marker: page.marker });
      } catch (e) {
        if (e instanceof MarkerNotFound) throw badRequest(e.message);
        throw e;
      }
    } else {
      found = await store.list(filtersOf(q, mv), { unsorted: true });
    }
    const shown = found.filter((m) => !m.hidden);
    const migrations = shown.map((m) => migrationView(req, m, { addLink: atLeast(mv, '2.23'), addUuid: paged, addUserProject: atLeast(mv, '2.80') }));
    const body: Record<string, unknown> = { migrations };
    if (paged && limit > 0) {
      const links = collectionLinks(req, q, shown.length, shown[shown.length - 1]?.uuid, 'os-migrations');
      if (links.length) body.migrations_links = links;
    }
    return sendNova(reply, 200, body);
  });

  // server_migrations.py: only live migrations in progress are shown there (Zed's
  // get_migrations_in_progress_by_instance(..., 'live-migration')); a resize or cold
  // migration never appears.
  app.get<{ Params: { id: string } }>('/v2.1/servers/:id/migrations', async (req, reply) => {
    if (!atLeast(req.mv, '2.23')) throw versionNotFound();
    const i = await getInstance(d, req, req.params.id);
    authorize(req.ctx, 'os_compute_api:servers:migrations:index', { project_id: i.projectId });
    const live = await store.inProgressByInstance(i.uuid, MigrationType.LIVE_MIGRATION);
    return sendNova(reply, 200, { migrations: live.map((m) => serverMigrationView(m, atLeast(req.mv, '2.59'), atLeast(req.mv, '2.80'))) });
  });

  app.get<{ Params: { id: string; mid: string } }>('/v2.1/servers/:id/migrations/:mid', async (req, reply) => {
    if (!atLeast(req.mv, '2.23')) throw versionNotFound();
    const i = await getInstance(d, req, req.params.id);
    authorize(req.ctx, 'os_compute_api:servers:migrations:show', { project_id: i.projectId });
    const mid = req.params.mid;
    const live = /^\d+$/.test(mid) ? await store.findByIdAndInstance(Number(mid), i.uuid) : null;
    if (!live) throw new HttpFault(404, `In-progress live migration ${mid} is not found for server ${req.params.id}.`);
    if (live.migrationType !== MigrationType.LIVE_MIGRATION) throw new HttpFault(404, `Migration ${mid} for server ${req.params.id} is not live-migration.`);
    if (!(LIVE_MIGRATION_IN_PROGRESS as readonly string[]).includes(live.status)) throw new HttpFault(404, `Live migration ${mid} for server ${req.params.id} is not in progress.`);
    return sendNova(reply, 200, { migration: serverMigrationView(live, atLeast(req.mv, '2.59'), atLeast(req.mv, '2.80')) });
  });

  // 2.22: POST /servers/{id}/migrations/{migration_id}/action {"force_complete": null}.
  app.post<{ Params: { id: string; mid: string } }>('/v2.1/servers/:id/migrations/:mid/action', async (req, reply) => {
    if (!atLeast(req.mv, '2.22')) throw versionNotFound();
    validateBody(FORCE_COMPLETE, req.body);
    const i = await getInstance(d, req, req.params.id);
    authorize(req.ctx, 'os_compute_api:servers:migrations:force_complete', { project_id: i.projectId });
    try {
      await new LiveMigrateAPI(d.compute).forceComplete(novaContext(req.ctx), i, req.params.mid);
    } catch (e) {
      if (e instanceof MigrationNotFoundForInstance || e instanceof InvalidMigrationState) throw badRequest(e.message);
      if (e instanceof InstanceIsLocked) throw new HttpFault(409, e.message);
      if (e instanceof InstanceInvalidState) throw invalidStateConflict(e, 'force_complete', req.params.id);
      throw e;
    }
    return sendEmpty(reply, 202);
  });

  // 2.24: DELETE /servers/{id}/migrations/{migration_id} aborts; 2.65 also a queued or preparing one.
  app.delete<{ Params: { id: string; mid: string } }>('/v2.1/servers/:id/migrations/:mid', async (req, reply) => {
    if (!atLeast(req.mv, '2.24')) throw versionNotFound();
    const i = await getInstance(d, req, req.params.id);
    authorize(req.ctx, 'os_compute_api:servers:migrations:delete', { project_id: i.projectId });
    try {
      await new LiveMigrateAPI(d.compute).abort(novaContext(req.ctx), i, req.params.mid, atLeast(req.mv, '2.65'));
    } catch (e) {
      if (e instanceof InstanceInvalidState) throw invalidStateConflict(e, 'abort live migration', req.params.id);
      if (e instanceof MigrationNotFoundForInstance) throw new HttpFault(404, e.message);
      if (e instanceof InvalidMigrationState) throw badRequest(e.message);
      if (e instanceof InstanceIsLocked) throw new HttpFault(409, e.message);
      throw e;
    }
    return sendEmpty(reply, 202);
  });
}

/** schemas/server_migrations.py force_complete: {"force_complete": null}. */
const FORCE_COMPLETE: JsonSchema = { type: 'object', properties: { force_complete: { type: 'null' } }, required: ['force_complete'], additionalProperties: false };

/** server_migrations.py output(): a live migration's progress counters (none recorded: zeros). */
function serverMigrationView(m: Migration, addUuid: boolean, addUserProject: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    created_at: naive(m.createdAt),
    dest_compute: m.destCompute,
    dest_host: m.destHost,
    dest_node: m.destNode,
    disk_processed_bytes: 0,
    disk_remaining_bytes: 0,
    disk_total_bytes: 0,
    id: m.id,
    memory_processed_bytes: 0,
    memory_remaining_bytes: 0,
    memory_total_bytes: 0,
    server_uuid: m.instanceUuid,
    source_compute: m.sourceCompute,
    source_node: m.sourceNode,
    status: m.status,
    updated_at: naive(m.updatedAt),
  };
  if (addUuid) out.uuid = m.uuid;
  if (addUserProject) Object.assign(out, { user_id: m.userId, project_id: m.projectId });
  return out;
}

/** A query time as the stored ISO text compares (UTC, microseconds, Z). */
function isoStored(s: string): string {
  const t = Date.parse(isoUtc(s));
  return Number.isNaN(t) ? s : new Date(t).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** An ISO 8601 time without an offset is UTC to nova (parse_isotime then naive comparison). */
function isoUtc(s: string): string {
  return /(Z|[+-]\d{2}(:?\d{2})?)$/.test(s) || !s.includes('T') ? s : `${s}Z`;
}
