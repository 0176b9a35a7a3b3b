/**
 * GET /nimbus/v1/diagnose/{servers,ports,hosts}/{id}: the answer to the seed's FAQ for
 * one object from live state and recorded events (issue 12 point 1), in the stable
 * shape documented in src/compute/diagnosis/findings.ts:
 * { object: {kind, id}, status: 'ok'|'problem', findings: [{cause, severity, detail, fix?, subject?}], facts }.
 * Always 200 when the object exists (a problem is a finding, not an HTTP error); 404 as
 * nova's InstanceNotFound / PortNotFound / ComputeHostNotFound otherwise.
 */
import type { FastifyInstance } from 'fastify';
import { novaContext } from '../../context.js';
import { Diagnoser } from '../../diagnosis/gather.js';
import type { ComputeApiDeps } from '../app.js';
import { OPS_PREFIX, requireAdmin } from './access.js';

export function registerDiagnose(app: FastifyInstance, d: ComputeApiDeps): void {
  const diagnoser = new Diagnoser(d.compute.d);
  const id = (req: { params: unknown }) => (req.params as { id: string }).id;
  app.get(`${OPS_PREFIX}/diagnose/servers/:id`, async (req) => {
    requireAdmin(req);
    return diagnoser.server(novaContext(req.ctx), id(req));
  });
  app.get(`${OPS_PREFIX}/diagnose/ports/:id`, async (req) => {
    requireAdmin(req);
    return diagnoser.port(novaContext(req.ctx), id(req));
  });
  app.get(`${OPS_PREFIX}/diagnose/hosts/:id`, async (req) => {
    requireAdmin(req);
    return diagnoser.host(novaContext(req.ctx), id(req));
  });
}
