/**
 * The statement behind GET /servers (instance_get_all_by_filters' base query): the
 * instances of one project, or of all, live, deleted or both. The remaining filters,
 * sorting and paging of nova's DB layer run over the result in api/server-list.ts,
 * which needs the network info cache and Python's regex semantics for them.
 */
import type { Kysely, Selectable } from 'kysely';
import type { InstancesTable, NovaDB } from './schema.js';

/** Which instances a list starts from. */
export interface InstanceListScope {
  /** false: live only; true: deleted only; null: both (changes-since/before without `deleted`). */
  deleted: boolean | null;
  /** The project whose instances are listed; null lists every project's (all_tenants). */
  projectId: string | null;
}

/** Every instances row in the scope, in no particular order (the caller sorts). */
export function selectInstancesForList(db: Kysely<NovaDB>, scope: InstanceListScope): Promise<Selectable<InstancesTable>[]> {
  let query = db.selectFrom('instances').selectAll();
  if (scope.deleted === false) query = query.where('deleted', '=', 0);
  else if (scope.deleted === true) query = query.where('deleted', '!=', 0);
  if (scope.projectId !== null) query = query.where('project_id', '=', scope.projectId);
  return query.execute();
}
