/**
 * The allocation tables of the vlan and vxlan type drivers, as neutron's helpers.py and
 * type_vlan/type_tunnel use them. Safe under concurrency without locks: a random free
 * row is chosen, then claimed with `UPDATE ... SET allocated=1 WHERE key AND
 * allocated=0`; zero rows changed means someone else won, so another row is tried.
 * Every function takes the caller's connection or transaction.
 */
import type { Kysely } from 'kysely';
import type { Random } from '../../../common/clock.js';
import { guardUnique, isUniqueViolation } from '../../../db/database.js';
import type { NeutronDB } from '../../db/schema.js';
import { NoNetworkFoundInMaximumAllowedAttempts } from '../errors.js';

/** How often a partially specified allocation retries after losing a race (neutron's retry_db_errors). */
export const MAX_ALLOCATION_ATTEMPTS = 10;
const BULK_SIZE = 100;

type Db = Kysely<NeutronDB>;

/** Runs fn in a transaction, reusing the caller's when there is one. */
export async function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

function chunks<T>(items: T[], size = BULK_SIZE): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const changed = (r: { numUpdatedRows?: bigint; numDeletedRows?: bigint } | undefined): number =>
  Number(r?.numUpdatedRows ?? r?.numDeletedRows ?? 0n);

// ---- vxlan ----------------------------------------------------------------------

/** Makes ml2_vxlan_allocations hold exactly the configured VNIs plus allocated ones (type_tunnel.sync_allocations). */
export async function syncVxlanAllocations(db: Db, ranges: [number, number][]): Promise<void> {
  const wanted = new Set<number>();
  for (const [lo, hi] of ranges) for (let v = lo; v <= hi; v++) wanted.add(v);
  await inTransaction(db, async (trx) => {
    const rows = await trx.selectFrom('ml2_vxlan_allocations').select(['vxlan_vni', 'allocated']).execute();
    const remove = rows.filter((r) => !r.allocated && !wanted.has(r.vxlan_vni)).map((r) => r.vxlan_vni);
    for (const c of chunks(remove)) {
      await trx.deleteFrom('ml2_vxlan_allocations').where('vxlan_vni', 'in', c).where('allocated', '=', 0).execute();
    }
    const existing = new Set(rows.map((r) => r.vxlan_vni));
    const missing = [...wanted].filter((v) => !existing.has(v));
    for (const c of chunks(missing)) {
      await trx
        .insertInto('ml2_vxlan_allocations')
        .values(c.map((v) => ({ vxlan_vni: v, allocated: 0 })))
        .execute();
    }
  });
}

/** Claims a random free VNI; null when none is free. Throws NoNetworkFoundInMaximumAllowedAttempts after losing too many races. */
export async function allocateFreeVni(db: Db, random: Random): Promise<number | null> {
  for (let attempt = 0; attempt < MAX_ALLOCATION_ATTEMPTS; attempt++) {
    const { n } = await db
      .selectFrom('ml2_vxlan_allocations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('allocated', '=', 0)
      .executeTakeFirstOrThrow();
    if (Number(n) === 0) return null;
    const row = await db
      .selectFrom('ml2_vxlan_allocations')
      .select('vxlan_vni')
      .where('allocated', '=', 0)
      .orderBy('vxlan_vni')
      .limit(1)
      .offset(random.int(Number(n)))
      .executeTakeFirst();
    if (!row) continue;
    const r = await db
      .updateTable('ml2_vxlan_allocations')
      .set({ allocated: 1 })
      .where('vxlan_vni', '=', row.vxlan_vni)
      .where('allocated', '=', 0)
      .executeTakeFirst();
    if (changed(r) === 1) return row.vxlan_vni;
  }
  throw new NoNetworkFoundInMaximumAllowedAttempts();
}

/** Claims one given VNI, inserting its row when outside the ranges; false when it is already in use. */
export async function allocateVni(db: Db, vni: number): Promise<boolean> {
  const r = await db
    .updateTable('ml2_vxlan_allocations')
    .set({ allocated: 1 })
    .where('vxlan_vni', '=', vni)
    .where('allocated', '=', 0)
    .executeTakeFirst();
  if (changed(r) === 1) return true;
  return insertAllocated(db, () => db.insertInto('ml2_vxlan_allocations').values({ vxlan_vni: vni, allocated: 1 }).execute());
}

/** Frees a VNI: back to the pool inside the ranges, row deleted outside them. False when no row was found. */
export async function releaseVni(db: Db, vni: number, inside: boolean): Promise<boolean> {
  const q = inside
    ? await db.updateTable('ml2_vxlan_allocations').set({ allocated: 0 }).where('vxlan_vni', '=', vni).executeTakeFirst()
    : await db.deleteFrom('ml2_vxlan_allocations').where('vxlan_vni', '=', vni).executeTakeFirst();
  return changed(q) > 0;
}

// ---- vlan -----------------------------------------------------------------------

/** Makes ml2_vlan_allocations match network_vlan_ranges (type_vlan._sync_vlan_allocations). */
export async function syncVlanAllocations(db: Db, ranges: Map<string, [number, number][]>): Promise<void> {
  await inTransaction(db, async (trx) => {
    const rows = await trx.selectFrom('ml2_vlan_allocations').select(['physical_network', 'vlan_id', 'allocated']).execute();
    const unconfigured = [...new Set(rows.map((r) => r.physical_network))].filter((p) => !ranges.has(p));
    if (unconfigured.length) {
      await trx.deleteFrom('ml2_vlan_allocations').where('physical_network', 'in', unconfigured).execute();
    }
    for (const [physnet, physRanges] of ranges) {
      const wanted = new Set<number>();
      for (const [lo, hi] of physRanges) for (let v = lo; v <= hi; v++) wanted.add(v);
      const mine = rows.filter((r) => r.physical_network === physnet);
      const remove = mine.filter((r) => !r.allocated && !wanted.has(r.vlan_id)).map((r) => r.vlan_id);
      for (const c of chunks(remove)) {
        await trx
          .deleteFrom('ml2_vlan_allocations')
          .where('physical_network', '=', physnet)
          .where('vlan_id', 'in', c)
          .where('allocated', '=', 0)
          .execute();
      }
      const existing = new Set(mine.map((r) => r.vlan_id));
      const missing = [...wanted].filter((v) => !existing.has(v));
      for (const c of chunks(missing)) {
        await trx
          .insertInto('ml2_vlan_allocations')
          .values(c.map((v) => ({ physical_network: physnet, vlan_id: v, allocated: 0 })))
          .execute();
      }
    }
  });
}

/** Claims a random free VLAN, on `physnet` when given; null when none is free. */
export async function allocateFreeVlan(
  db: Db,
  random: Random,
  physnet: string | null,
): Promise<{ physical_network: string; vlan_id: number } | null> {
  for (let attempt = 0; attempt < MAX_ALLOCATION_ATTEMPTS; attempt++) {
    let count = db.selectFrom('ml2_vlan_allocations').select((eb) => eb.fn.countAll<number>().as('n')).where('allocated', '=', 0);
    if (physnet !== null) count = count.where('physical_network', '=', physnet);
    const { n } = await count.executeTakeFirstOrThrow();
    if (Number(n) === 0) return null;
    let pick = db
      .selectFrom('ml2_vlan_allocations')
      .select(['physical_network', 'vlan_id'])
      .where('allocated', '=', 0)
      .orderBy('physical_network')
      .orderBy('vlan_id')
      .limit(1)
      .offset(random.int(Number(n)));
    if (physnet !== null) pick = pick.where('physical_network', '=', physnet);
    const row = await pick.executeTakeFirst();
    if (!row) continue;
    if (await claimVlan(db, row.physical_network, row.vlan_id)) return row;
  }
  throw new NoNetworkFoundInMaximumAllowedAttempts();
}

async function claimVlan(db: Db, physnet: string, vlanId: number): Promise<boolean> {
  const r = await db
    .updateTable('ml2_vlan_allocations')
    .set({ allocated: 1 })
    .where('physical_network', '=', physnet)
    .where('vlan_id', '=', vlanId)
    .where('allocated', '=', 0)
    .executeTakeFirst();
  return changed(r) === 1;
}

/** Claims one given VLAN, inserting its row when outside the ranges; false when it is already in use. */
export async function allocateVlan(db: Db, physnet: string, vlanId: number): Promise<boolean> {
  if (await claimVlan(db, physnet, vlanId)) return true;
  return insertAllocated(db, () =>
    db.insertInto('ml2_vlan_allocations').values({ physical_network: physnet, vlan_id: vlanId, allocated: 1 }).execute(),
  );
}

/** Frees a VLAN: back to the pool inside the ranges, row deleted outside them. False when no row was found. */
export async function releaseVlan(db: Db, physnet: string, vlanId: number, inside: boolean): Promise<boolean> {
  const base = { physnet, vlanId };
  const r = inside
    ? await db
        .updateTable('ml2_vlan_allocations')
        .set({ allocated: 0 })
        .where('physical_network', '=', base.physnet)
        .where('vlan_id', '=', base.vlanId)
        .executeTakeFirst()
    : await db
        .deleteFrom('ml2_vlan_allocations')
        .where('physical_network', '=', base.physnet)
        .where('vlan_id', '=', base.vlanId)
        .executeTakeFirst();
  return changed(r) > 0;
}

// ---- flat -----------------------------------------------------------------------

/** Records a flat network on `physnet`; false when the physnet already has one. */
export async function allocateFlat(db: Db, physnet: string): Promise<boolean> {
  return insertAllocated(db, () => db.insertInto('ml2_flat_allocations').values({ physical_network: physnet }).execute());
}

/** Forgets the flat network on `physnet`; false when there was none. */
export async function releaseFlat(db: Db, physnet: string): Promise<boolean> {
  const r = await db.deleteFrom('ml2_flat_allocations').where('physical_network', '=', physnet).executeTakeFirst();
  return changed(r) > 0;
}

async function insertAllocated(db: Db, insert: () => Promise<unknown>): Promise<boolean> {
  try {
    await guardUnique(db, insert);
    return true;
  } catch (e) {
    if (isUniqueViolation(e)) return false;
    throw e;
  }
}
