/**
 * The ml2_port_bindings table (neutron/plugins/ml2/db.py and the PortBinding object):
 * one row per (port, host), exactly one of a port's rows ACTIVE. Every function takes
 * the connection or transaction to run in; the caller owns atomicity.
 */
import type { Kysely } from 'kysely';
import type { NeutronDB, PortBindingRow } from '../../db/schema.js';

type Db = Kysely<NeutronDB>;

/** A binding's status (neutron_lib constants.ACTIVE / INACTIVE). */
export const BindingStatuses = { active: 'ACTIVE', inactive: 'INACTIVE' } as const;
export type BindingStatus = (typeof BindingStatuses)[keyof typeof BindingStatuses];

/** What get_port_bindings may filter on (the attribute map's is_filter columns). */
export interface PortBindingFilters {
  host?: string[];
  vif_type?: string[];
  vnic_type?: string[];
  status?: string[];
}

/** All bindings of a port, by host, narrowed by `filters`. */
export async function selectPortBindings(db: Db, portId: string, filters: PortBindingFilters = {}): Promise<PortBindingRow[]> {
  let q = db.selectFrom('ml2_port_bindings').selectAll().where('port_id', '=', portId);
  for (const k of ['host', 'vif_type', 'vnic_type', 'status'] as const) {
    const v = filters[k];
    if (v && !v.length) return [];
    if (v) q = q.where(k, 'in', v);
  }
  return q.orderBy('host').execute();
}

/** The binding of a port for one host, if any. */
export async function selectPortBinding(db: Db, portId: string, host: string): Promise<PortBindingRow | undefined> {
  return db.selectFrom('ml2_port_bindings').selectAll().where('port_id', '=', portId).where('host', '=', host).executeTakeFirst();
}

/** The port's ACTIVE binding; every port has one from its creation on. */
export async function selectActiveBinding(db: Db, portId: string): Promise<PortBindingRow | undefined> {
  return db.selectFrom('ml2_port_bindings').selectAll().where('port_id', '=', portId).where('status', '=', BindingStatuses.active).executeTakeFirst();
}

/** Inserts one binding; (port_id, host) must be free. */
export async function insertPortBinding(db: Db, row: PortBindingRow): Promise<void> {
  await db.insertInto('ml2_port_bindings').values(row).execute();
}

/** Rewrites the binding of a port that was on `host` (its host may change: the active binding's rebind). */
export async function updatePortBinding(db: Db, portId: string, host: string, row: Partial<PortBindingRow>): Promise<void> {
  await db.updateTable('ml2_port_bindings').set(row).where('port_id', '=', portId).where('host', '=', host).execute();
}

/** Deletes a port's binding for one host; returns whether there was one. */
export async function deletePortBinding(db: Db, portId: string, host: string): Promise<boolean> {
  const r = await db.deleteFrom('ml2_port_bindings').where('port_id', '=', portId).where('host', '=', host).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Active port bindings (one a port) counted by vif_type: unbound, binding_failed or the bound driver's type. */
export async function countActiveBindingsByVifType(db: Db): Promise<{ vifType: string; count: number }[]> {
  const rows = await db
    .selectFrom('ml2_port_bindings')
    .select(['vif_type', (eb) => eb.fn.countAll().as('n')])
    .where('status', '=', BindingStatuses.active)
    .groupBy('vif_type')
    .execute();
  // PostgreSQL's count is a bigint, which the driver hands over as a string.
  return rows.map((r) => ({ vifType: r.vif_type, count: Number(r.n) }));
}
