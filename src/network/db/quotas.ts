/**
 * The quotas table (neutron's quota DbQuotaDriver): a project's explicit limits, one row
 * per (project, resource), and the counts of what a project holds. Every function takes
 * the connection or transaction to run in; the caller owns atomicity.
 */
import type { Kysely } from 'kysely';
import type { CoreTables, NeutronDB } from './schema.js';

type Db = Kysely<NeutronDB>;

/** A table whose rows count against a quota (each has a project_id). */
export type QuotaCountedTable = keyof CoreTables;

/** A project's explicit limits, as (resource, limit) rows. */
export function selectQuotaLimits(db: Db, projectId: string): Promise<{ resource: string; limit: number }[]> {
  return db.selectFrom('quotas').select(['resource', 'limit']).where('project_id', '=', projectId).execute();
}

/** A project's explicit limit of one resource, if it set one. */
export function selectQuotaLimit(db: Db, projectId: string, resource: string): Promise<{ limit: number } | undefined> {
  return db.selectFrom('quotas').select('limit').where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
}

/** How many rows of `table` a project holds. */
export async function countProjectRows(db: Db, table: QuotaCountedTable, projectId: string): Promise<number> {
  const row = await db
    .selectFrom(table as 'ports')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The projects that have at least one explicit limit. */
export async function selectQuotaProjects(db: Db): Promise<string[]> {
  return (await db.selectFrom('quotas').select('project_id').distinct().execute()).map((r) => r.project_id);
}

/** Sets a project's limit of one resource: rewrites its row, or inserts one with `newId`. */
export async function upsertQuotaLimit(db: Db, projectId: string, resource: string, limit: number, newId: () => string): Promise<void> {
  const upd = await db.updateTable('quotas').set({ limit }).where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
  if (Number(upd.numUpdatedRows) === 0) await db.insertInto('quotas').values({ id: newId(), project_id: projectId, resource, limit }).execute();
}

/** Drops every explicit limit of a project (back to the defaults). */
export async function deleteQuotasOf(db: Db, projectId: string): Promise<void> {
  await db.deleteFrom('quotas').where('project_id', '=', projectId).execute();
}
