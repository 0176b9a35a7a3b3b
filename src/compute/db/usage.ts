/**
 * The rows os-simple-tenant-usage reads (nova's InstanceList.get_active_by_window_joined):
 * every instance ever launched, deleted ones included, with its flavor at boot. The
 * window test is done by the caller on parsed times, because the stored timestamps do
 * not all share one text form.
 */
import type { Kysely } from 'kysely';
import type { NovaDB } from './schema.js';
import type { InstanceFlavor } from '../objects/instance.js';

/** What usage needs of one instance. */
export interface UsageRow {
  uuid: string;
  projectId: string;
  name: string;
  vmState: string;
  flavor: InstanceFlavor;
  launchedAt: string;
  terminatedAt: string | null;
}

/** Launched instances (of one project when given), deleted or not, sorted by project_id then uuid as nova pages them. */
export async function launchedInstances(db: Kysely<NovaDB>, projectId?: string): Promise<UsageRow[]> {
  let q = db
    .selectFrom('instances')
    .select(['uuid', 'project_id', 'display_name', 'vm_state', 'flavor', 'launched_at', 'terminated_at'])
    .where('launched_at', 'is not', null);
  if (projectId !== undefined) q = q.where('project_id', '=', projectId);
  const rows = await q.orderBy('project_id').orderBy('uuid').execute();
  return rows.map((r) => ({
    uuid: r.uuid,
    projectId: r.project_id,
    name: r.display_name,
    vmState: r.vm_state,
    flavor: JSON.parse(r.flavor) as InstanceFlavor,
    launchedAt: r.launched_at!,
    terminatedAt: r.terminated_at,
  }));
}

/** Does an instance with this uuid exist, deleted or not (the marker lookup, read_deleted=yes)? */
export async function instanceExists(db: Kysely<NovaDB>, uuid: string): Promise<{ projectId: string } | undefined> {
  const r = await db.selectFrom('instances').select(['project_id']).where('uuid', '=', uuid).executeTakeFirst();
  return r ? { projectId: r.project_id } : undefined;
}
