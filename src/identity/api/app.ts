/**
 * The keystone v3 HTTP app: the shared HTTP core with keystone's error body
 * {"error": {"code", "message", "title"}}, the public routes (version discovery and
 * token issue) and every identity route.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../common/log.js';
import { createHttpApp } from '../../common/http.js';
import { MalformedBody, ResourceNotFound } from '../errors.js';
import { registerAuthRoutes } from './auth-routes.js';
import { registerCatalogRoutes } from './catalog-routes.js';
import type { ApiDeps } from './deps.js';
import { registerProjectRoutes } from './project-routes.js';
import { registerRoleRoutes } from './role-routes.js';
import { registerUserRoutes } from './user-routes.js';

/** Routes reachable without X-Auth-Token. */
function isPublic(method: string, path: string): boolean {
  const p = path.replace(/\/+$/, '');
  if ((method === 'GET' || method === 'HEAD') && (p === '' || p === '/v3')) return true;
  return method === 'POST' && p === '/v3/auth/tokens';
}

/** Builds the identity app; the caller listens. */
export function createIdentityApp(deps: ApiDeps, log: Logger): FastifyInstance {
  const app = createHttpApp({
    name: 'keystone',
    log,
    random: deps.random,
    validator: deps.validator,
    isPublic,
    authUri: deps.publicRoot,
    renderError: (e) => ({
      status: e.status,
      body: { error: { code: e.status, message: e.message, title: STATUS_CODES[e.status] ?? 'Error' } },
    }),
    malformedBody: () => new MalformedBody(),
    notFound: () => new ResourceNotFound(),
  });
  // Keystone has no trailing-slash-sensitive routes; the shared core already ignores them.
  registerCatalogRoutes(app, deps);
  registerAuthRoutes(app, deps);
  registerProjectRoutes(app, deps);
  registerUserRoutes(app, deps);
  registerRoleRoutes(app, deps);
  return app;
}
