/**
 * GET /nimbus/v1/hosts/{host}/devices: every network device on a compute host now
 * (links, Linux bridges, OVS bridges with their ports and external-ids), read from the
 * host's nova-compute over compute.<host> — the operator's `ip link`, `brctl show` and
 * `ovs-vsctl show` in one answer, for the CLI and the dashboard.
 */
import type { FastifyInstance } from 'fastify';
import { novaContext } from '../../context.js';
import { findServiceByHostAndBinary } from '../../db/services.js';
import { ComputeHostNotFound } from '../../errors.js';
import type { ComputeApiDeps } from '../app.js';
import { OPS_PREFIX, requireAdmin } from './access.js';

export function registerHostDevices(app: FastifyInstance, d: ComputeApiDeps): void {
  app.get(`${OPS_PREFIX}/hosts/:host/devices`, async (req) => {
    requireAdmin(req);
    const host = (req.params as { host: string }).host;
    if (!(await findServiceByHostAndBinary(d.db, host, 'nova-compute'))) throw new ComputeHostNotFound(host);
    return { devices: await d.compute.d.compute.hostDevices(host, novaContext(req.ctx)) };
  });
}
