/**
 * Nimbus's operator API, served by nova-api beside the compute API (embedded and
 * distributed alike) under /nimbus/v1: what real OpenStack leaves to log greps and
 * hand-run scripts (diagnosis, VIF repair, traces, fault injection, snapshots). Admin
 * only, as nova's own admin APIs are by default; the `nimbus` CLI (src/cli/ops/) and the
 * dashboard are its clients. Each resource registers itself from its own file.
 */
import type { FastifyInstance } from 'fastify';
import type { ComputeApiDeps } from '../app.js';
import { OPS_PREFIX, requireAdmin } from './access.js';
import { registerDiagnose } from './diagnose.js';
import { registerHostDevices } from './host-devices.js';
import { registerRepairVifs } from './repair-vifs.js';
import { registerFaults } from './faults.js';
import { registerSnapshots } from './snapshots.js';
import { registerTraces } from './trace.js';

export function registerOps(app: FastifyInstance, d: ComputeApiDeps): void {
  // The index: which operator resources this nova-api serves.
  app.get(OPS_PREFIX, async (req) => {
    requireAdmin(req);
    return { resources: [...RESOURCES.keys()].sort() };
  });
  for (const register of RESOURCES.values()) register(app, d);
}

type Register = (app: FastifyInstance, d: ComputeApiDeps) => void;
const RESOURCES = new Map<string, Register>([
  ['hosts', registerHostDevices],
  ['diagnose', registerDiagnose],
  ['repair-vifs', registerRepairVifs],
  ['faults', registerFaults],
  ['snapshots', registerSnapshots],
  ['traces', registerTraces],
]);
