/**
 * GET /servers/{id}/diagnostics (server_diagnostics.py): the compute host's
 * get_diagnostics (free-form counters) before 2.48, get_instance_diagnostics (the
 * Diagnostics object's view) from 2.48; admin only by default. A guest that is not
 * running is a 409 naming its power state, as nova words it.
 */
import type { FastifyInstance } from 'fastify';
import { RemoteError } from '../../bus/bus.js';
import { novaContext } from '../context.js';
import { InstanceNotReady } from '../errors.js';
import { ServerActionsAPI } from '../server-actions.js';
import type { ComputeApiDeps } from './app.js';
import { HttpFault } from './faults.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { getInstance } from './servers.js';

export function registerServerDiagnostics(app: FastifyInstance, d: ComputeApiDeps): void {
  app.get('/v2.1/servers/:id/diagnostics', async (req) => {
    const id = (req.params as { id: string }).id;
    const instance = await getInstance(d, req, id);
    authorize(req.ctx, 'os_compute_api:os-server-diagnostics', { project_id: instance.projectId });
    try {
      return await new ServerActionsAPI(d.compute).getDiagnostics(novaContext(req.ctx), instance, atLeast(req.mv, '2.48'));
    } catch (e) {
      if (e instanceof InstanceNotReady) throw new HttpFault(409, e.message);
      if (e instanceof RemoteError && e.excType === 'InstanceNotFound') throw new HttpFault(404, e.value);
      if (e instanceof RemoteError && e.excType === 'InstanceInvalidState') {
        // raise_http_conflict_for_instance_invalid_state with the exception's attr and state.
        const m = / in power state (\S+)\. Cannot /.exec(e.value);
        throw new HttpFault(409, m && m[1] !== 'null' ? `Cannot 'get_diagnostics' instance ${id} while it is in power state ${m[1]}` : `Instance ${id} is in an invalid state for 'get_diagnostics'`);
      }
      throw e;
    }
  });
}
