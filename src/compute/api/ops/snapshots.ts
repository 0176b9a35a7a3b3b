/**
 * /nimbus/v1/snapshots: `nimbus snapshot save|load|list|delete|reset` (issue 12 point 4).
 * GET lists the snapshots, POST {"snapshot": {"name"}} saves one (201, replacing one of
 * that name), POST /snapshots/{name}/load puts the cloud back as it was, DELETE
 * /snapshots/{name} removes one, POST /snapshots/reset returns to the state right after
 * start-up. The work is the embedded cloud's (src/deploy/snapshots.ts), which fills the
 * slot once every service runs; a nova-api without it (a distributed deployment, server
 * databases) answers 501 saying why, never a pretend success.
 */
import type { FastifyInstance } from 'fastify';
import { SnapshotsUnsupported, ValidationError } from '../../errors.js';
import type { ComputeApiDeps } from '../app.js';
import { OPS_PREFIX, requireAdmin } from './access.js';

export interface SnapshotInfo {
  name: string;
  created_at: string;
}

/** What the embedded cloud offers (src/deploy/snapshots.ts CloudSnapshots). */
export interface SnapshotService {
  list(): SnapshotInfo[];
  save(name: string): Promise<SnapshotInfo>;
  load(name: string): Promise<SnapshotInfo>;
  remove(name: string): void;
  reset(): Promise<SnapshotInfo>;
}

/** Filled by the embedded cloud after start-up: the service, or why there is none. */
export interface SnapshotSlot {
  service?: SnapshotService;
  unsupported?: string;
  /** A name check whose message says what a name may be (null: fine). */
  checkName?: (name: unknown) => string | null;
}

const DISTRIBUTED = 'Snapshots need the embedded cloud (nimbus up): in a distributed deployment the databases and hosts belong to other processes.';

export function registerSnapshots(app: FastifyInstance, d: ComputeApiDeps): void {
  const service = (): SnapshotService => {
    const slot = d.snapshots;
    if (slot?.service) return slot.service;
    throw new SnapshotsUnsupported(slot?.unsupported ?? DISTRIBUTED);
  };
  const name = (v: unknown): string => {
    const problem = d.snapshots?.checkName?.(v) ?? (typeof v === 'string' && v ? null : 'A snapshot needs a name.');
    if (problem) throw new ValidationError(problem);
    return v as string;
  };
  app.get(`${OPS_PREFIX}/snapshots`, async (req) => {
    requireAdmin(req);
    return { snapshots: service().list() };
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
    s.remove(name((req.params as { name: string }).name));
    reply.code(204);
  });
}
