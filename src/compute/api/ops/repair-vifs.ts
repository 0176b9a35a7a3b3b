/**
 * /nimbus/v1/repair-vifs (`nimbus repair-vifs`, issue 12 point 2, seed §4.1):
 *
 * - GET ?host=&server=&port=&ip= — per host, each VIF whose devices differ from what
 *   nova's VIF driver makes, with the commands that fix it, and devices no instance owns;
 * - POST {"apply": true, host?, server?, port?, ip?, removeStale?} — plans each host
 *   afresh, runs the commands there through its nova-compute, and answers the plan
 *   before, every command's result and the plan after (empty when all is repaired).
 */
import type { FastifyInstance } from 'fastify';
import { novaContext } from '../../context.js';
import { RepairVifs, type RepairSelector } from '../../repair/repair-vifs.js';
import type { ComputeApiDeps } from '../app.js';
import { validateBody } from '../validation.js';
import { OPS_PREFIX, requireAdmin } from './access.js';

const SELECTORS = ['host', 'server', 'port', 'ip'] as const;

const name = { type: 'string', minLength: 1, maxLength: 255 };
const APPLY_BODY = {
  type: 'object',
  properties: { apply: { type: 'boolean', enum: [true] }, removeStale: { type: 'boolean' }, host: name, server: name, port: name, ip: name },
  required: ['apply'],
  additionalProperties: false,
};

export function registerRepairVifs(app: FastifyInstance, d: ComputeApiDeps): void {
  const repair = () => {
    const c = d.compute.d;
    return new RepairVifs({ db: d.db, instances: d.instances, network: c.network, compute: c.compute, log: d.log });
  };

  app.get(`${OPS_PREFIX}/repair-vifs`, async (req) => {
    requireAdmin(req);
    const q = req.query as Record<string, string | string[] | undefined>;
    const sel: RepairSelector = {};
    for (const k of SELECTORS) {
      const v = q[k];
      // webob's last value for a repeated parameter; an empty one is no selector.
      const last = Array.isArray(v) ? v[v.length - 1] : v;
      if (last) sel[k] = last;
    }
    return { hosts: await repair().plan(novaContext(req.ctx), sel) };
  });

  app.post(`${OPS_PREFIX}/repair-vifs`, async (req) => {
    requireAdmin(req);
    validateBody(APPLY_BODY, req.body);
    const b = req.body as RepairSelector & { removeStale?: boolean };
    const sel: RepairSelector = {};
    for (const k of SELECTORS) if (b[k] !== undefined) sel[k] = b[k];
    return { hosts: await repair().apply(novaContext(req.ctx), sel, b.removeStale === true) };
  });
}
