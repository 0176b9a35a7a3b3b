/**
 * /v3/roles (list, show, create, delete), grants on projects
 * (PUT/HEAD/GET/DELETE /v3/projects/{p}/users/{u}/roles[/{r}]) and /v3/role_assignments.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hexId } from '../../common/clock.js';
import type { AssignmentRow, RoleRow } from '../db/schema.js';
import { DEFAULT_DOMAIN } from '../domain.js';
import { ProjectNotFound, RoleAssignmentNotFound, RoleNotFound, SchemaValidationError, UserNotFound } from '../errors.js';
import { queryFlag, queryParam, v3Url, type ApiDeps } from './deps.js';
import { enforce } from './policy.js';
import { bodyObject, optString, requiredName } from './validate.js';
import { collectionLinks, roleView } from './views.js';

type Grant = { Params: { project: string; user: string; role: string } };

export function registerRoleRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const loadRole = async (id: string): Promise<RoleRow> => {
    const r = await deps.store.getRole(id);
    if (!r) throw new RoleNotFound(id);
    return r;
  };
  const loadGrant = async (req: FastifyRequest<Grant>): Promise<AssignmentRow> => {
    const { project, user, role } = req.params;
    if (!(await deps.store.getProject(project))) throw new ProjectNotFound(project);
    if (!(await deps.store.getUser(user))) throw new UserNotFound(user);
    await loadRole(role);
    return { user_id: user, project_id: project, role_id: role };
  };

  app.get('/v3/roles', async (req) => {
    enforce(req, 'list_roles');
    const base = v3Url(req, deps);
    const rows = await deps.store.listRoles({ name: queryParam(req, 'name') });
    return { roles: rows.map((r) => roleView(r, base)), links: collectionLinks(`${base}/roles`) };
  });

  app.get<{ Params: { id: string } }>('/v3/roles/:id', async (req) => {
    enforce(req, 'get_role');
    return { role: roleView(await loadRole(req.params.id), v3Url(req, deps)) };
  });

  app.post('/v3/roles', async (req, reply) => {
    enforce(req, 'create_role');
    const b = bodyObject(req.body, 'role');
    const row: RoleRow = {
      id: hexId(deps.random),
      name: requiredName(b, 255),
      description: optString(b, 'description', { nullable: true }) ?? null,
      immutable: 0,
    };
    await deps.store.createRole(row);
    reply.code(201);
    return { role: roleView(row, v3Url(req, deps)) };
  });

  app.delete<{ Params: { id: string } }>('/v3/roles/:id', async (req, reply) => {
    enforce(req, 'delete_role');
    const r = await loadRole(req.params.id);
    if (r.immutable === 1) {
      throw new SchemaValidationError(
        `Cannot modify/delete resource ${r.id} (${r.name}): resource option "immutable" is set to True.`,
      );
    }
    const removed = await deps.store.deleteRole(r.id);
    for (const g of removed) await deps.revocations.revoke({ userId: g.user_id, projectId: g.project_id });
    reply.code(204).send();
  });

  // Grants. HEAD first so Fastify keeps ours rather than deriving one from a GET.
  app.route<Grant>({
    method: 'HEAD',
    url: '/v3/projects/:project/users/:user/roles/:role',
    handler: async (req, reply) => {
      enforce(req, 'check_grant');
      const g = await loadGrant(req);
      if (!(await deps.store.hasAssignment(g))) throw new RoleAssignmentNotFound(g.role_id, g.user_id, g.project_id);
      reply.code(204).send();
    },
  });
  app.get<Grant>('/v3/projects/:project/users/:user/roles/:role', async (req, reply) => {
    enforce(req, 'check_grant');
    const g = await loadGrant(req);
    if (!(await deps.store.hasAssignment(g))) throw new RoleAssignmentNotFound(g.role_id, g.user_id, g.project_id);
    reply.code(204).send();
  });

  app.put<Grant>('/v3/projects/:project/users/:user/roles/:role', async (req, reply) => {
    enforce(req, 'create_grant');
    await deps.store.addAssignment(await loadGrant(req));
    reply.code(204).send();
  });

  app.delete<Grant>('/v3/projects/:project/users/:user/roles/:role', async (req, reply) => {
    enforce(req, 'revoke_grant');
    const g = await loadGrant(req);
    if (!(await deps.store.removeAssignment(g))) throw new RoleAssignmentNotFound(g.role_id, g.user_id, g.project_id);
    await deps.revocations.revoke({ userId: g.user_id, projectId: g.project_id });
    reply.code(204).send();
  });

  app.get<{ Params: { project: string; user: string } }>('/v3/projects/:project/users/:user/roles', async (req) => {
    enforce(req, 'list_grants');
    const { project, user } = req.params;
    if (!(await deps.store.getProject(project))) throw new ProjectNotFound(project);
    if (!(await deps.store.getUser(user))) throw new UserNotFound(user);
    const base = v3Url(req, deps);
    const roles: ReturnType<typeof roleView>[] = [];
    for (const a of await deps.store.listAssignments({ userId: user, projectId: project })) {
      const r = await deps.store.getRole(a.role_id);
      if (r) roles.push(roleView(r, base));
    }
    return { roles, links: collectionLinks(`${base}/projects/${project}/users/${user}/roles`) };
  });

  app.get('/v3/role_assignments', async (req) => {
    enforce(req, 'list_role_assignments');
    const base = v3Url(req, deps);
    const names = queryFlag(req, 'include_names');
    if (queryParam(req, 'scope.domain.id') !== undefined || queryParam(req, 'group.id') !== undefined || queryFlag(req, 'scope.system')) {
      // Nimbus grants only users on projects: nothing matches a domain, group or system filter.
      return { role_assignments: [], links: collectionLinks(`${base}/role_assignments`) };
    }
    const rows = await deps.store.listAssignments({
      userId: queryParam(req, 'user.id'),
      projectId: queryParam(req, 'scope.project.id'),
      roleId: queryParam(req, 'role.id'),
    });
    const domain = { id: DEFAULT_DOMAIN.id, name: DEFAULT_DOMAIN.name };
    const out = [];
    for (const a of rows) {
      const entry: Record<string, unknown> = {};
      if (names) {
        const [p, u, r] = await Promise.all([deps.store.getProject(a.project_id), deps.store.getUser(a.user_id), deps.store.getRole(a.role_id)]);
        entry.scope = { project: { id: a.project_id, name: p?.name, domain } };
        entry.user = { id: a.user_id, name: u?.name, domain };
        entry.role = { id: a.role_id, name: r?.name };
      } else {
        entry.scope = { project: { id: a.project_id } };
        entry.user = { id: a.user_id };
        entry.role = { id: a.role_id };
      }
      entry.links = { assignment: `${base}/projects/${a.project_id}/users/${a.user_id}/roles/${a.role_id}` };
      out.push(entry);
    }
    return { role_assignments: out, links: collectionLinks(`${base}/role_assignments`) };
  });
}
