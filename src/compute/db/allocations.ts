/**
 * Placement's allocations, folded into nova's database: one row per consumer (an
 * instance, or a migration holding a resize's source), on one host. The scheduler
 * writes them when it claims; conductor and compute drop or move them.
 */
import type { Kysely } from 'kysely';
import { isoMicros } from '../../common/clock.js';
import type { NovaDB } from './schema.js';

type Db = Kysely<NovaDB>;

/** The resources of a flavor an allocation holds. */
export interface AllocatedFlavor {
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
}

/** What is allocated on one host, summed. */
export interface HostUsage {
  host: string;
  vcpus: number;
  ram: number;
  disk: number;
}

/**
 * Allocates a flavor's resources on `host` for a consumer, replacing what it held (the
 * scheduler's claim; claim_resources_on_destination for a forced live migration).
 */
export async function allocate(db: Db, consumerUuid: string, host: string, f: AllocatedFlavor, now: number): Promise<void> {
  await db.deleteFrom('allocations').where('consumer_uuid', '=', consumerUuid).execute();
  await db
    .insertInto('allocations')
    .values({ consumer_uuid: consumerUuid, host, vcpus: f.vcpus, memory_mb: f.memory_mb, disk_gb: f.root_gb + f.ephemeral_gb + Math.ceil(f.swap / 1024), created_at: isoMicros(now) })
    .execute();
}

/** Drops an instance's allocation (compute on delete, on a failed build, on reschedule). */
export async function deleteAllocation(db: Db, instanceUuid: string): Promise<void> {
  await db.deleteFrom('allocations').where('consumer_uuid', '=', instanceUuid).execute();
}

/** The instances holding an allocation on a host (placement's allocations of its provider). */
export async function allocationConsumers(db: Db, host: string): Promise<string[]> {
  return (await db.selectFrom('allocations').select('consumer_uuid').where('host', '=', host).execute()).map((r) => r.consumer_uuid);
}

/**
 * Placement's move_allocations: what `from` holds becomes `to`'s, replacing anything
 * `to` held (a resize's source allocation passes between the instance and its migration
 * record). False when `from` holds nothing.
 */
export async function moveAllocation(db: Db, from: string, to: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const held = await trx.selectFrom('allocations').select('consumer_uuid').where('consumer_uuid', '=', from).executeTakeFirst();
    if (!held) return false;
    await trx.deleteFrom('allocations').where('consumer_uuid', '=', to).execute();
    await trx.updateTable('allocations').set({ consumer_uuid: to }).where('consumer_uuid', '=', from).execute();
    return true;
  });
}

/** The host a consumer's allocation is on, or null (placement's get_allocations_for_consumer). */
export async function allocationHost(db: Db, consumerUuid: string): Promise<string | null> {
  return (await db.selectFrom('allocations').select('host').where('consumer_uuid', '=', consumerUuid).executeTakeFirst())?.host ?? null;
}

/** What every host has allocated, summed in the database (placement's usages per provider). */
export async function usageByHost(db: Db): Promise<HostUsage[]> {
  const rows = await db
    .selectFrom('allocations')
    .select((eb) => ['host', eb.fn.sum<number>('vcpus').as('vcpus'), eb.fn.sum<number>('memory_mb').as('ram'), eb.fn.sum<number>('disk_gb').as('disk')])
    .groupBy('host')
    .execute();
  // PostgreSQL's SUM of integers is a bigint, which pg hands over as a string.
  return rows.map((r) => ({ host: r.host, vcpus: Number(r.vcpus), ram: Number(r.ram), disk: Number(r.disk) }));
}

/** The consumers allocated on each of `hosts`. */
export async function consumersByHost(db: Db, hosts: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(hosts.map((h) => [h, []]));
  if (!hosts.length) return out;
  for (const r of await db.selectFrom('allocations').select(['host', 'consumer_uuid']).where('host', 'in', hosts).execute()) out.get(r.host)?.push(r.consumer_uuid);
  return out;
}
