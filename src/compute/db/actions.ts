/**
 * The instance_actions and instance_actions_events statements (nova/db/main/api.py's
 * action_* and action_event_*). Every function takes the caller's handle; what an
 * event's start and finish record is InstanceActions' (objects/actions.ts).
 */
import type { Compilable, Insertable, Kysely, Selectable, Updateable } from 'kysely';
import { type RowArgs, rowArgs, rowPlaceholders, rowShape, statement, statements } from '../../db/statement.js';
import type { InstanceActionEventsTable, InstanceActionsTable, NovaDB } from './schema.js';

type Db = Kysely<NovaDB>;

/** An instance_actions row. */
export type ActionRow = Selectable<InstanceActionsTable>;
/** An instance_actions_events row. */
export type EventRow = Selectable<InstanceActionEventsTable>;

/** Inserts an action. */
export async function insertAction(db: Db, row: Insertable<InstanceActionsTable>): Promise<void> {
  await db.insertInto('instance_actions').values(row).execute();
}

/** The newest action of an instance under a request id, or undefined. */
export function findAction(db: Db, instanceUuid: string, requestId: string): Promise<ActionRow | undefined> {
  return actionOfRequest.first(db, { instanceUuid, requestId });
}

const actionOfRequest = statement((db: Db, p: { instanceUuid: string; requestId: string }) =>
  db.selectFrom('instance_actions').selectAll().where('instance_uuid', '=', p.instanceUuid).where('request_id', '=', p.requestId).orderBy('id', 'desc').limit(1),
);

/** Updates an action's columns by id. */
export async function updateAction(db: Db, id: number, set: Updateable<InstanceActionsTable>): Promise<void> {
  await actionUpdate.affected(db, { ...rowArgs(set), id });
}

const actionUpdate = statements(
  (a: RowArgs & { id: number }) => rowShape(a),
  (db: Db, p, a) => db.updateTable('instance_actions').set(rowPlaceholders(p, a)).where('id', '=', p.id),
);

/** An instance's actions, newest first (start_time, then id, descending). */
export function selectActions(db: Db, instanceUuid: string): Promise<ActionRow[]> {
  return db.selectFrom('instance_actions').selectAll().where('instance_uuid', '=', instanceUuid).orderBy('start_time', 'desc').orderBy('id', 'desc').execute();
}

/** Inserts an event; returns its id. */
export async function insertActionEvent(db: Db, row: Insertable<InstanceActionEventsTable>): Promise<number> {
  const r = await eventInsert.result(db, rowArgs(row));
  return Number(r.rows[0]?.id ?? r.insertId);
}

/** insertActionEvent's INSERT, per set of columns: RETURNING id where the dialect has it (insertedId's rule), the driver's insert id on MariaDB. */
const eventInsert = statements(
  (a: RowArgs) => rowShape(a),
  (db: Db, p, a): Compilable<{ id?: number }> => {
    const q = db.insertInto('instance_actions_events').values(rowPlaceholders(p, a) as Insertable<InstanceActionEventsTable>);
    return db.getExecutor().adapter.supportsReturning ? q.returning('id') : q;
  },
);

/** The action an event belongs to, or undefined when there is no such event. */
export function findEventAction(db: Db, eventId: number): Promise<Pick<EventRow, 'action_id'> | undefined> {
  return eventAction.first(db, { eventId });
}

const eventAction = statement((db: Db, p: { eventId: number }) => db.selectFrom('instance_actions_events').select(['action_id']).where('id', '=', p.eventId));

/** Updates an event's columns by id. */
export async function updateActionEvent(db: Db, id: number, set: Updateable<InstanceActionEventsTable>): Promise<void> {
  await eventUpdate.affected(db, { ...rowArgs(set), id });
}

const eventUpdate = statements(
  (a: RowArgs & { id: number }) => rowShape(a),
  (db: Db, p, a) => db.updateTable('instance_actions_events').set(rowPlaceholders(p, a)).where('id', '=', p.id),
);

/** An action's events in id order. */
export function selectActionEvents(db: Db, actionId: number): Promise<EventRow[]> {
  return db.selectFrom('instance_actions_events').selectAll().where('action_id', '=', actionId).orderBy('id', 'asc').execute();
}
