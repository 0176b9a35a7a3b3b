/** Where the operator API lives and who may call it (shared by every resource of src/compute/api/ops/). */
import type { FastifyRequest } from 'fastify';
import { PolicyNotAuthorized } from '../../errors.js';

/** On nova-api's port, outside /v2.1 (so no microversions). */
export const OPS_PREFIX = '/nimbus/v1';

/** The one rule of the operator API: an admin token, else nova's 403 naming the rule. */
export function requireAdmin(req: FastifyRequest, rule = 'nimbus:ops'): void {
  if (!req.ctx.isAdmin) throw new PolicyNotAuthorized(rule);
}
