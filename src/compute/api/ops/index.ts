/**
 * Nimbus's operator API, served by nova-api beside the compute API (embedded and
 * distributed alike) under /nimbus/v1: what real OpenStack leaves to log greps and
 * hand-run scripts (diagnosis, VIF repair, traces, fault injection, snapshots). Admin
 * only, as nova's own admin APIs are by default; the `nimbus` CLI (src/cli/ops/) and the
 * dashboard are its clients. Each resource registers itself from its own file.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PolicyNotAuthorized } from '../../errors.js';
import type { ComputeApiDeps } from '../app.js';

/** Where the operator API lives on nova-api's port (outside /v2.1, so no microversions). */
export const OPS_PREFIX = '/nimbus/v1';

/** The one rule of the operator API: an admin token, else nova's 403 naming the rule. */
export function requireAdmin(req: FastifyRequest, rule = 'nimbus:ops'): void {
  if (!req.ctx.isAdmin) throw new PolicyNotAuthorized(rule);
}

export function registerOps(app: FastifyInstance, d: ComputeApiDeps): void {
  // The index: which operator resources this nova-api serves.
  app.get(OPS_PREFIX, async (req) => {
    requireAdmin(req);
    return { resources: [...RESOURCES.keys()].sort() };
  });
  for (const register of RESOURCES.values()) register(app, d);
}

type Register = (app: FastifyInstance, d: ComputeApiDeps) => void;
const RESOURCES = new Map<string, Register>([]);
