/**
 * The statements neutron-server's Prometheus exporter (api/metrics.ts) runs at each
 * scrape: read-only counts of ports (bindings: ml2/db/port-bindings.ts).
 */
import type { Kysely } from 'kysely';
import type { NeutronDB } from './schema.js';

type Db = Kysely<NeutronDB>;

/** Ports counted by status and device_owner. */
export async function countPortsByStatusAndOwner(db: Db): Promise<{ status: string; deviceOwner: string; count: number }[]> {
  const rows = await db
    .selectFrom('ports')
    .select(['status', 'device_owner', (eb) => eb.fn.countAll().as('n')])
    .groupBy(['status', 'device_owner'])
    .execute();
  // PostgreSQL's count is a bigint, which the driver hands over as a string.
  return rows.map((r) => ({ status: r.status, deviceOwner: r.device_owner, count: Number(r.n) }));
}
