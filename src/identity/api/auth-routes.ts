/** /v3/auth/*: issue, validate, check and revoke tokens; the token's projects and catalog. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { renderTokenCatalog } from '../catalog.js';
import { Forbidden, TokenNotFound } from '../errors.js';
import { enforce } from './policy.js';
import { projectView, tokenView, collectionLinks } from './views.js';
import { queryParam, v3Url, type ApiDeps } from './deps.js';

function subjectToken(req: FastifyRequest): string {
  const t = req.headers['x-subject-token'];
  if (typeof t !== 'string' || t === '') throw new TokenNotFound('No token in the request');
  return t;
}

export function registerAuthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const withCatalog = (req: FastifyRequest) => queryParam(req, 'nocatalog') === undefined;

  app.post('/v3/auth/tokens', async (req, reply) => {
    const body = (req.body ?? {}) as { auth?: unknown };
    const { token, info } = await deps.issuer.authenticate(body.auth);
    reply.code(201).header('x-subject-token', token);
    return tokenView(info, withCatalog(req) ? renderTokenCatalog(deps.catalog()) : null);
  });

  const validate = async (req: FastifyRequest, action: string) => {
    const token = subjectToken(req);
    // keystone checks policy against the subject token's owner, so validate first.
    const info = await deps.validator.check(token);
    enforce(req, action, info.userId === req.ctx.userId);
    return { token, info };
  };

  // HEAD is registered explicitly: keystone answers 200 with no body (before GET, so Fastify does not add its own).
  app.route({
    method: 'HEAD',
    url: '/v3/auth/tokens',
    handler: async (req, reply) => {
      const { token } = await validate(req, 'check_token');
      reply.code(200).header('x-subject-token', token).send();
    },
  });

  app.get('/v3/auth/tokens', async (req, reply) => {
    const { token, info } = await validate(req, 'validate_token');
    reply.header('x-subject-token', token);
    return tokenView(info, withCatalog(req) ? renderTokenCatalog(deps.catalog()) : null);
  });

  app.delete('/v3/auth/tokens', async (req, reply) => {
    const { token, info } = await validate(req, 'revoke_token');
    await deps.revocations.revoke({ auditId: info.auditIds[0]! });
    deps.validator.forget(token);
    reply.code(204).send();
  });

  app.get('/v3/auth/projects', async (req) => {
    const base = v3Url(req, deps);
    const grants = await deps.store.listAssignments({ userId: req.ctx.userId });
    const ids = [...new Set(grants.map((g) => g.project_id))];
    const projects = [];
    for (const id of ids.sort()) {
      const p = await deps.store.getProject(id);
      if (p && p.enabled === 1) projects.push(projectView(p, base));
    }
    return { projects, links: collectionLinks(`${base}/auth/projects`) };
  });

  app.get('/v3/auth/catalog', async (req) => {
    if (!req.ctx.projectId) throw new Forbidden('A project-scoped token is required to produce a service catalog.');
    return { catalog: renderTokenCatalog(deps.catalog()), links: { self: `${v3Url(req, deps)}/auth/catalog` } };
  });
}
