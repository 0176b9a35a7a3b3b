/**
 * The resource tracker's reads (nova/compute/resource_tracker.py
 * _update_available_resource): what the live instances on a host add up to, and the
 * moves that touch it. The counting itself is objects/host-usage.ts's.
 */
import type { Kysely } from 'kysely';
import type { NovaDB } from './schema.js';

type Db = Kysely<NovaDB>;

/** The sums over a host's live instances (SUM is NULL when there are none). */
export interface HostInstanceSums {
  n: number;
  vcpus: number | null;
  ram: number | null;
  disk: number | null;
}

/** Count, vcpus, memory_mb and root_gb + ephemeral_gb of the host's non-deleted instances. */
export function sumInstancesOnHost(db: Db, host: string): Promise<HostInstanceSums> {
  return db
    .selectFrom('instances')
    .select((eb) => [
      eb.fn.countAll<number>().as('n'),
      eb.fn.sum<number>('vcpus').as('vcpus'),
      eb.fn.sum<number>('memory_mb').as('ram'),
      eb.fn.sum<number>(eb('root_gb', '+', eb.ref('ephemeral_gb'))).as('disk'),
    ])
    .where('host', '=', host)
    .where('deleted', '=', 0)
    .executeTakeFirstOrThrow();
}

/** A move touching a host, with its live instance's current host and flavors (JSON text). */
export interface HostMoveRow {
  source_compute: string | null;
  dest_compute: string | null;
  host: string | null;
  flavor: string;
  old_flavor?: string | null;
  new_flavor?: string | null;
}

/** The non-deleted migrations from or to the host whose status is not one of `doneStatuses`, joined to their live instance. */
export function selectMovesTouchingHost(db: Db, host: string, doneStatuses: readonly string[]): Promise<HostMoveRow[]> {
  return db
    .selectFrom('migrations')
    .innerJoin('instances', 'instances.uuid', 'migrations.instance_uuid')
    .select(['migrations.source_compute', 'migrations.dest_compute', 'instances.host', 'instances.flavor', 'instances.old_flavor', 'instances.new_flavor'])
    .where((eb) => eb.or([eb('migrations.source_compute', '=', host), eb('migrations.dest_compute', '=', host)]))
    .where('migrations.status', 'not in', [...doneStatuses])
    .where('migrations.deleted', '=', 0)
    .where('instances.deleted', '=', 0)
    .execute();
}
