/**
 * /nimbus/v1/snapshots: `nimbus snapshot save|load|list|delete|reset` (issue 12 point 4).
 * GET lists the snapshots, POST {"snapshot": {"name"}} saves one (201, replacing one of
 * that name), POST /snapshots/{name}/load puts the cloud back as it was, DELETE
 * /snapshots/{name} removes one, POST /snapshots/reset returns to the state right after
 * start-up. The work is src/deploy/snapshots.ts's, which the embedded cloud and a
 * distributed nova-api put in the slot once they run; a nova-api without it (real
 * hosts, or not started by either) answers 501 saying why, never a pretend success.
 * Every answer names the parts a snapshot holds and what it leaves out.
 */
import type { FastifyInstance } from 'fastify';
import { SnapshotsUnsupported, ValidationError } from '../../errors.js';
import type { ComputeApiDeps } from '../app.js';
import { OPS_PREFIX, requireAdmin } from './access.js';

export interface SnapshotInfo {
  name: string;
  created_at: string;
  /** What it holds: "nova", "neutron", "host compute1"... */
  parts: string[];
  /** What this cloud's snapshots leave out. */
  excluded: string[];
}

/** What src/deploy/snapshots.ts CloudSnapshots offers. */
export interface SnapshotService {
  list(): Promise<SnapshotInfo[]>;
  save(name: string): Promise<SnapshotInfo>;
  load(name: string): Promise<SnapshotInfo>;
  remove(name: string): Promise<void>;
  reset(): Promise<SnapshotInfo>;
}

/** Filled after start-up (embedded cloud, distributed nova-api): the service, or why there is none. */
export interface SnapshotSlot {
  service?: SnapshotService;
  unsupported?: string;
  /** A name check whose message says what a name may be (null: fine). */
  checkName?: (name: unknown) => string | null;
}

const NOT_OFFERED = 'Snapshots are not offered by this nova-api: it was started neither by the embedded cloud (nimbus up) nor as nimbus nova-api.';

export function registerSnapshots(app: FastifyInstance, d: ComputeApiDeps): void {
  const service = (): SnapshotService => {
    const slot = d.snapshots;
    if (slot?.service) return slot.service;
    throw new SnapshotsUnsupported(slot?.unsupported ?? NOT_OFFERED);
  };
  const name = (v: unknown): string => {
    const problem = d.snapshots?.checkName?.(v) ?? (typeof v === 'string' && v ? null : 'A snapshot needs a name.');
    if (problem) throw new ValidationError(problem);
    return v as string;
  };
  app.get(`${OPS_PREFIX}/snapshots`, async (req) => {
    requireAdmin(req);
    return { snapshots: await service().list() };
  });
  app.post(`${OPS_PREFIX}/snapshots`, async (req, reply) => {
    requireAdmin(req);
    const s = service();
    const snapshot = await s.save(name((req.body as { snapshot?: { name?: unknown } } | null)?.snapshot?.name));
    reply.code(201);
    return { snapshot };
  });
  app.post(`${OPS_PREFIX}/snapshots/reset`, async (req) => {
    requireAdmin(req);
    return { snapshot: await service().reset() };
  });
  app.post(`${OPS_PREFIX}/snapshots/:name/load`, async (req) => {
    requireAdmin(req);
    const s = service();
    return { snapshot: await s.load(name((req.params as { name: string }).name)) };
  });
  app.delete(`${OPS_PREFIX}/snapshots/:name`, async (req, reply) => {
    requireAdmin(req);
    const s = service();
    await s.remove(name((req.params as { name: string }).name));
    reply.code(204);
  });
}
