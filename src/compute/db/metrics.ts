/**
 * The statements nova-api's Prometheus exporter (api/metrics.ts) runs at each scrape:
 * read-only aggregates over instances, instance_actions and their events, as
 * openstack-exporter reads nova's state rather than counting in a process.
 */
import type { Kysely } from 'kysely';
import type { NovaDB } from './schema.js';

type Db = Kysely<NovaDB>;

/** Live (not soft-deleted) instances counted by vm_state and task_state. */
export async function countLiveInstancesByState(db: Db): Promise<{ vmState: string; taskState: string | null; count: number }[]> {
  const rows = await db
    .selectFrom('instances')
    .select(['vm_state', 'task_state', (eb) => eb.fn.countAll().as('n')])
    .where('deleted', '=', 0)
    .groupBy(['vm_state', 'task_state'])
    .execute();
  // PostgreSQL's count is a bigint, which the driver hands over as a string.
  return rows.map((r) => ({ vmState: r.vm_state, taskState: r.task_state, count: Number(r.n) }));
}

/** The uuids of live instances in one vm_state. */
export async function selectLiveInstanceUuidsInVmState(db: Db, vmState: string): Promise<string[]> {
  const rows = await db.selectFrom('instances').select('uuid').where('deleted', '=', 0).where('vm_state', '=', vmState).execute();
  return rows.map((r) => r.uuid);
}

/** Every event of every `create` action: its action id, name and result (null while running). */
export function selectCreateActionEvents(db: Db): Promise<{ actionId: number; event: string; result: string | null }[]> {
  return db
    .selectFrom('instance_actions as a')
    .innerJoin('instance_actions_events as e', 'e.action_id', 'a.id')
    .select(['a.id as actionId', 'e.event as event', 'e.result as result'])
    .where('a.action', '=', 'create')
    .execute();
}

/** The `limit` most recently started finished action events, with their start and finish times. */
export async function selectRecentFinishedEvents(db: Db, limit: number): Promise<{ event: string; startTime: string; finishTime: string }[]> {
  const rows = await db
    .selectFrom('instance_actions_events')
    .select(['event', 'start_time', 'finish_time'])
    .where('finish_time', 'is not', null)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ event: r.event, startTime: r.start_time, finishTime: r.finish_time! }));
}
