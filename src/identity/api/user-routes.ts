/** /v3/users: list (name, domain_id filters), show, create, update, delete, and the user's projects. */
import type { FastifyInstance } from 'fastify';
import { hexId, isoMicros } from '../../common/clock.js';
import type { UserRow } from '../db/schema.js';
import { DEFAULT_DOMAIN } from '../domain.js';
import { DomainNotFound, ProjectNotFound, UserNotFound } from '../errors.js';
import { hashPassword } from '../password.js';
import { queryParam, v3Url, type ApiDeps } from './deps.js';
import { enforce } from './policy.js';
import { bodyObject, optBool, optString, requiredName } from './validate.js';
import { collectionLinks, projectView, userView } from './views.js';

type P = { Params: { id: string } };

export function registerUserRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const load = async (id: string): Promise<UserRow> => {
    const u = await deps.store.getUser(id);
    if (!u) throw new UserNotFound(id);
    return u;
  };
  const checkProject = async (id: string | null | undefined) => {
    if (id && !(await deps.store.getProject(id))) throw new ProjectNotFound(id);
  };

  app.get('/v3/users', async (req) => {
    enforce(req, 'list_users');
    const base = v3Url(req, deps);
    const rows = await deps.store.listUsers({ name: queryParam(req, 'name'), domainId: queryParam(req, 'domain_id') });
    return { users: rows.map((r) => userView(r, base)), links: collectionLinks(`${base}/users`) };
  });

  app.get<P>('/v3/users/:id', async (req) => {
    enforce(req, 'get_user', req.ctx.userId === req.params.id);
    return { user: userView(await load(req.params.id), v3Url(req, deps)) };
  });

  app.get<P>('/v3/users/:id/projects', async (req) => {
    enforce(req, 'list_user_projects', req.ctx.userId === req.params.id);
    const user = await load(req.params.id);
    const base = v3Url(req, deps);
    const ids = [...new Set((await deps.store.listAssignments({ userId: user.id })).map((a) => a.project_id))].sort();
    const projects = [];
    for (const id of ids) {
      const p = await deps.store.getProject(id);
      if (p) projects.push(projectView(p, base));
    }
    return { projects, links: collectionLinks(`${base}/users/${user.id}/projects`) };
  });

  app.post('/v3/users', async (req, reply) => {
    enforce(req, 'create_user');
    const b = bodyObject(req.body, 'user');
    const domainId = (optString(b, 'domain_id') as string | undefined) ?? DEFAULT_DOMAIN.id;
    if (domainId !== DEFAULT_DOMAIN.id) throw new DomainNotFound(domainId);
    const password = optString(b, 'password', { nullable: true });
    const defaultProject = optString(b, 'default_project_id', { nullable: true }) ?? null;
    await checkProject(defaultProject);
    const row: UserRow = {
      id: hexId(deps.random),
      name: requiredName(b, 255),
      domain_id: domainId,
      password_hash: password ? await hashPassword(password, deps.random) : null,
      enabled: optBool(b, 'enabled') ?? 1,
      default_project_id: defaultProject,
      description: optString(b, 'description', { nullable: true }) ?? null,
      email: optString(b, 'email', { nullable: true }) ?? null,
      created_at: isoMicros(deps.clock.now()),
    };
    await deps.store.createUser(row);
    reply.code(201);
    return { user: userView(row, v3Url(req, deps)) };
  });

  app.patch<P>('/v3/users/:id', async (req) => {
    enforce(req, 'update_user');
    const before = await load(req.params.id);
    const b = bodyObject(req.body, 'user');
    const patch: Partial<UserRow> = {};
    if (optString(b, 'name', { max: 255 }) !== undefined) patch.name = requiredName(b, 255);
    const password = optString(b, 'password', { nullable: true });
    if (password !== undefined) patch.password_hash = password ? await hashPassword(password, deps.random) : null;
    const enabled = optBool(b, 'enabled');
    if (enabled !== undefined) patch.enabled = enabled;
    for (const f of ['description', 'email', 'default_project_id'] as const) {
      const v = optString(b, f, { nullable: true });
      if (v !== undefined) patch[f] = v;
    }
    await checkProject(patch.default_project_id);
    await deps.store.updateUser(before.id, patch);
    // keystone revokes a user's tokens when it is disabled or its password changes.
    if ((enabled === 0 && before.enabled === 1) || password !== undefined) await deps.revocations.revoke({ userId: before.id });
    return { user: userView(await load(before.id), v3Url(req, deps)) };
  });

  app.delete<P>('/v3/users/:id', async (req, reply) => {
    enforce(req, 'delete_user');
    const u = await load(req.params.id);
    await deps.store.deleteUser(u.id);
    await deps.revocations.revoke({ userId: u.id });
    reply.code(204).send();
  });
}
