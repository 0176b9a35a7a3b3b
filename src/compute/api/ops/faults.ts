/**
 * /nimbus/v1/faults: fault injection (issue 12 point 4). GET lists the faults in force,
 * POST {"fault": {kind, host?, count?, ttl?, ...params}} adds one (201), DELETE
 * /faults/{id} removes one and DELETE /faults all of them. The faults themselves live in
 * the fault book of every process (src/common/faults.ts); this nova-api's book tells
 * the others.
 */
import type { FastifyInstance } from 'fastify';
import { type FaultBook, FaultRequestError, type FaultRequest, buildFault } from '../../../common/faults.js';
import { FaultNotFound, ValidationError } from '../../errors.js';
import type { ComputeApiDeps } from '../app.js';
import { OPS_PREFIX, requireAdmin } from './access.js';

export function registerFaults(app: FastifyInstance, d: ComputeApiDeps): void {
  const book = (): FaultBook => {
    if (!d.faults) throw new ValidationError('This nova-api has no fault book.');
    return d.faults;
  };
  app.get(`${OPS_PREFIX}/faults`, async (req) => {
    requireAdmin(req);
    return { faults: book().list() };
  });
  app.post(`${OPS_PREFIX}/faults`, async (req, reply) => {
    requireAdmin(req);
    const body = req.body as { fault?: FaultRequest } | null;
    let fault;
    try {
      fault = buildFault(body?.fault as FaultRequest, d.random.uuid(), d.clock.now());
    } catch (e) {
      if (e instanceof FaultRequestError) throw new ValidationError(e.message);
      throw e;
    }
    d.log.warn({ fault }, `fault injected: ${fault.kind}${fault.host ? ` on ${fault.host}` : ''}`);
    reply.code(201);
    return { fault: await book().add(fault) };
  });
  app.delete(`${OPS_PREFIX}/faults/:id`, async (req, reply) => {
    requireAdmin(req);
    const id = (req.params as { id: string }).id;
    if (!(await book().clear(id))) throw new FaultNotFound(id);
    reply.code(204);
  });
  app.delete(`${OPS_PREFIX}/faults`, async (req, reply) => {
    requireAdmin(req);
    await book().clear();
    reply.code(204);
  });
}
