/** /v3/projects: list (name, domain_id, enabled filters), show, create, update, delete. */
import type { FastifyInstance } from 'fastify';
import { isoMicros, hexId } from '../../common/clock.js';
import type { ProjectRow } from '../db/schema.js';
import { DEFAULT_DOMAIN } from '../domain.js';
import { DomainNotFound, ProjectNotFound } from '../errors.js';
import { queryParam, v3Url, type ApiDeps } from './deps.js';
import { enforce } from './policy.js';
import { bodyObject, optBool, optString, requiredName } from './validate.js';
import { collectionLinks, projectView } from './views.js';

type P = { Params: { id: string } };

export function registerProjectRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const load = async (id: string): Promise<ProjectRow> => {
    const p = await deps.store.getProject(id);
    if (!p) throw new ProjectNotFound(id);
    return p;
  };

  app.get('/v3/projects', async (req) => {
    enforce(req, 'list_projects');
    const base = v3Url(req, deps);
    const enabled = queryParam(req, 'enabled');
    let rows = await deps.store.listProjects({ name: queryParam(req, 'name'), domainId: queryParam(req, 'domain_id') });
    if (enabled !== undefined) rows = rows.filter((r) => (r.enabled === 1) === !/^(0|false)$/i.test(enabled));
    return { projects: rows.map((r) => projectView(r, base)), links: collectionLinks(`${base}/projects`) };
  });

  app.get<P>('/v3/projects/:id', async (req) => {
    enforce(req, 'get_project', req.ctx.projectId === req.params.id);
    return { project: projectView(await load(req.params.id), v3Url(req, deps)) };
  });

  app.post('/v3/projects', async (req, reply) => {
    enforce(req, 'create_project');
    const b = bodyObject(req.body, 'project');
    const domainId = (optString(b, 'domain_id') as string | undefined) ?? DEFAULT_DOMAIN.id;
    if (domainId !== DEFAULT_DOMAIN.id) throw new DomainNotFound(domainId);
    const row: ProjectRow = {
      id: hexId(deps.random),
      name: requiredName(b, 64),
      domain_id: domainId,
      description: (optString(b, 'description', { nullable: true }) as string | null | undefined) ?? '',
      enabled: optBool(b, 'enabled') ?? 1,
      created_at: isoMicros(deps.clock.now()),
    };
    await deps.store.createProject(row);
    reply.code(201);
    return { project: projectView(row, v3Url(req, deps)) };
  });

  app.patch<P>('/v3/projects/:id', async (req) => {
    enforce(req, 'update_project');
    const before = await load(req.params.id);
    const b = bodyObject(req.body, 'project');
    const patch: Partial<ProjectRow> = {};
    const name = optString(b, 'name', { max: 64 });
    if (typeof name === 'string') patch.name = requiredName(b, 64);
    const description = optString(b, 'description', { nullable: true });
    if (description !== undefined) patch.description = description ?? '';
    const enabled = optBool(b, 'enabled');
    if (enabled !== undefined) patch.enabled = enabled;
    await deps.store.updateProject(before.id, patch);
    if (enabled === 0 && before.enabled === 1) await deps.revocations.revoke({ projectId: before.id });
    return { project: projectView(await load(before.id), v3Url(req, deps)) };
  });

  app.delete<P>('/v3/projects/:id', async (req, reply) => {
    enforce(req, 'delete_project');
    const p = await load(req.params.id);
    await deps.store.deleteProject(p.id);
    await deps.revocations.revoke({ projectId: p.id });
    reply.code(204).send();
  });
}
