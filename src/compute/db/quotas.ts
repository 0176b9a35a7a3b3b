/**
 * The quota statements (nova/db/api's quota_* over quotas, project_user_quotas and
 * quota_classes) and the usage counts nova's CountableResources take from instances and
 * instance_groups. QuotaEngine turns them into limits; these only read and write rows.
 */
import type { Kysely } from 'kysely';
import type { NovaDB } from './schema.js';

type Db = Kysely<NovaDB>;

/** One stored limit. */
export interface QuotaLimitRow {
  resource: string;
  hard_limit: number;
}

/** A quota class's own limits (quota_class_get_all_by_name). */
export function selectClassLimits(db: Db, className: string): Promise<QuotaLimitRow[]> {
  return db.selectFrom('quota_classes').select(['resource', 'hard_limit']).where('class_name', '=', className).execute();
}

/** quota_class_update, else quota_class_create: sets one limit of a class. */
export async function upsertClassLimit(db: Db, className: string, resource: string, hardLimit: number): Promise<void> {
  const r = await db.updateTable('quota_classes').set({ hard_limit: hardLimit }).where('class_name', '=', className).where('resource', '=', resource).executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) await db.insertInto('quota_classes').values({ class_name: className, resource, hard_limit: hardLimit }).execute();
}

/** Count, vCPUs and RAM of a project's (or one user's) live instances. */
export async function countInstanceResources(db: Db, projectId: string, userId?: string): Promise<{ instances: number; cores: number; ram: number }> {
  let q = db
    .selectFrom('instances')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('vcpus').as('cores'), eb.fn.sum<number>('memory_mb').as('ram')])
    .where('project_id', '=', projectId)
    .where('deleted', '=', 0);
  if (userId !== undefined) q = q.where('user_id', '=', userId);
  const r = await q.executeTakeFirstOrThrow();
  return { instances: Number(r.n), cores: Number(r.cores ?? 0), ram: Number(r.ram ?? 0) };
}

/** How many server groups a project (or one of its users) has. */
export async function countServerGroups(db: Db, projectId: string, userId?: string): Promise<number> {
  let g = db.selectFrom('instance_groups').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', projectId);
  if (userId !== undefined) g = g.where('user_id', '=', userId);
  const groups = await g.executeTakeFirstOrThrow();
  return Number(groups.n);
}

/** A project's own limits (quota_get_all_by_project). */
export function selectProjectLimits(db: Db, projectId: string): Promise<QuotaLimitRow[]> {
  return db.selectFrom('quotas').select(['resource', 'hard_limit']).where('project_id', '=', projectId).execute();
}

/** One user's own limits in a project (quota_get_all_by_project_and_user). */
export function selectUserLimits(db: Db, projectId: string, userId: string): Promise<QuotaLimitRow[]> {
  return db.selectFrom('project_user_quotas').select(['resource', 'hard_limit']).where('project_id', '=', projectId).where('user_id', '=', userId).execute();
}

/** The limits given to every user of a project (quota_get_all). */
export function selectProjectUserLimits(db: Db, projectId: string): Promise<QuotaLimitRow[]> {
  return db.selectFrom('project_user_quotas').select(['resource', 'hard_limit']).where('project_id', '=', projectId).execute();
}

/** quota_update, else quota_create: sets a project's limit. */
export async function upsertProjectLimit(db: Db, projectId: string, resource: string, hardLimit: number): Promise<void> {
  const r = await db.updateTable('quotas').set({ hard_limit: hardLimit }).where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) await db.insertInto('quotas').values({ project_id: projectId, resource, hard_limit: hardLimit }).execute();
}

/** quota_update, else quota_create, for one user of a project. */
export async function upsertUserLimit(db: Db, projectId: string, userId: string, resource: string, hardLimit: number): Promise<void> {
  const r = await db
    .updateTable('project_user_quotas')
    .set({ hard_limit: hardLimit })
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .where('resource', '=', resource)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) await db.insertInto('project_user_quotas').values({ project_id: projectId, user_id: userId, resource, hard_limit: hardLimit }).execute();
}

/** quota_destroy_all_by_project: a project's limits and its users'. */
export async function deleteProjectLimits(db: Db, projectId: string): Promise<void> {
  await db.deleteFrom('quotas').where('project_id', '=', projectId).execute();
  await db.deleteFrom('project_user_quotas').where('project_id', '=', projectId).execute();
}

/** quota_destroy_all_by_project_and_user: one user's limits in a project. */
export async function deleteUserLimits(db: Db, projectId: string, userId: string): Promise<void> {
  await db.deleteFrom('project_user_quotas').where('project_id', '=', projectId).where('user_id', '=', userId).execute();
}
