/**
 * nova/api/openstack/identity.py: does a project id name a real project? nova asks
 * keystone (GET /v3/projects/{id}) with the caller's own token; only a 404 makes the
 * request a 400 — a 403 (the caller may not look), any other answer or no answer at
 * all lets it through, as nova does. ComputeApiDeps.projectExists replaces the HTTP
 * call where one is given (tests, or a deployment without keystone).
 */
import type { FastifyRequest } from 'fastify';
import { restCall } from '../../common/rest-client.js';
import type { ComputeApiDeps } from './app.js';
import { badRequest } from './faults.js';

/** Throws 400 "Project ID X is not a valid project." when keystone says it does not exist. */
export async function verifyProjectId(d: ComputeApiDeps, req: FastifyRequest, projectId: string): Promise<void> {
  let exists: boolean | null;
  if (d.projectExists) {
    exists = await d.projectExists(projectId, req.ctx.authToken);
  } else {
    try {
      const r = await restCall('GET', `${d.authUri.replace(/\/+$/, '')}/projects/${encodeURIComponent(projectId)}`, { token: req.ctx.authToken });
      exists = r.status === 404 ? false : null;
    } catch (err) {
      d.log.info({ err }, 'Unable to contact keystone to verify project_id');
      exists = null;
    }
  }
  if (exists === false) throw badRequest(`Project ID ${projectId} is not a valid project.`);
}
