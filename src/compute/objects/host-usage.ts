/**
 * The resource tracker's usage of one compute node (nova/compute/resource_tracker.py
 * _update_available_resource): the instances on the host, plus the moves that hold
 * resources there without the instance being there (_update_usage_from_migrations): an
 * unconfirmed resize keeps its old flavor on the source, and a move under way holds its
 * new flavor on the destination before the instance arrives.
 *
 * Reads the database (db/host-usage.ts), so it runs on the conductor's side of the
 * object indirection: nova-compute asks for it (ComputeServices.updateHostUsage) and
 * holds no database handle.
 */
import type { Kysely } from 'kysely';
import { selectMovesTouchingHost, sumInstancesOnHost } from '../db/host-usage.js';
import type { NovaDB } from '../db/schema.js';
import type { InstanceFlavor } from './instance.js';
import { MIGRATION_DONE_STATUSES } from './migration.js';
import type { ServiceStore } from './services.js';

/** reserved_host_memory_mb, counted as used as nova does. */
const RESERVED_HOST_MEMORY_MB = 512;

/**
 * Recomputes and stores the host's compute_nodes usage. Idempotent: any process may run
 * it for any host (a move's last step refreshes the other host too, since Nimbus has
 * no periodic update_available_resource).
 */
export async function updateHostUsage(db: Kysely<NovaDB>, services: ServiceStore, host: string): Promise<void> {
  const u = await sumInstancesOnHost(db, host);
  let [vcpus, ram, disk, n] = [u.vcpus, u.ram, u.disk, u.n].map((x) => Number(x ?? 0)) as [number, number, number, number];
  const moving = await selectMovesTouchingHost(db, host, MIGRATION_DONE_STATUSES);
  for (const m of moving) {
    if (m.host === host) continue;
    const current = JSON.parse(m.flavor) as InstanceFlavor;
    // Outgoing: the flavor the source ran (old_flavor once the instance has moved);
    // incoming: the flavor the destination claimed.
    const f = m.source_compute === host ? (m.old_flavor ? (JSON.parse(m.old_flavor) as InstanceFlavor) : current) : m.new_flavor ? (JSON.parse(m.new_flavor) as InstanceFlavor) : current;
    vcpus += f.vcpus;
    ram += f.memory_mb;
    disk += f.root_gb + f.ephemeral_gb;
  }
  await services.updateUsage(host, { vcpus_used: vcpus, memory_mb_used: ram + RESERVED_HOST_MEMORY_MB, local_gb_used: disk, running_vms: n });
}
