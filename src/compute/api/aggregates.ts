/**
 * GET /os-aggregates (nova/api/openstack/compute/aggregates.py index), read-only:
 * Nimbus has no host aggregates — every compute host is in the default availability
 * zone — so the list is always empty. It exists because `openstack hypervisor show`
 * (OSC 6.0) lists aggregates to fill its "aggregates" field and fails without it.
 */
import type { FastifyInstance } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { authorize } from './policy.js';
import { sendNova } from './wire.js';

/** Routes GET /os-aggregates. */
export function registerAggregates(app: FastifyInstance, _d: ComputeApiDeps): void {
  app.get('/v2.1/os-aggregates', async (req, reply) => {
    authorize(req.ctx, 'os_compute_api:os-aggregates:index', {});
    return sendNova(reply, 200, { aggregates: [] });
  });
}
