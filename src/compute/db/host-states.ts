/**
 * The rows the scheduler builds its HostStates from: the compute nodes and their
 * nova-compute services (usage comes from allocations.ts).
 */
import type { Kysely, Selectable } from 'kysely';
import type { ComputeNodesTable, NovaDB, ServicesTable } from './schema.js';

/** Every compute node, in creation order (the order hosts are weighed from). */
export function selectComputeNodes(db: Kysely<NovaDB>): Promise<Selectable<ComputeNodesTable>[]> {
  return db.selectFrom('compute_nodes').selectAll().orderBy('id').execute();
}

/** Every nova-compute service row. */
export function selectComputeServices(db: Kysely<NovaDB>): Promise<Selectable<ServicesTable>[]> {
  return db.selectFrom('services').selectAll().where('binary', '=', 'nova-compute').execute();
}
