/**
 * The instance_actions and instance_actions_events statements (nova/db/main/api.py's
 * action_* and action_event_*). Every function takes the caller's handle; what an
 * event's start and finish record is InstanceActions' (objects/actions.ts).
 */
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import { insertedId } from '../../db/database.js';
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
  return db.selectFrom('instance_actions').selectAll().where('instance_uuid', '=', instanceUuid).where('request_id', '=', requestId).orderBy('id', 'desc').executeTakeFirst();
}

/** Updates an action's columns by id. */
export async function updateAction(db: Db, id: number, set: Updateable<InstanceActionsTable>): Promise<void> {
  await db.updateTable('instance_actions').set(set).where('id', '=', id).execute();
}

/** An instance's actions, newest first (start_time, then id, descending). */
export function selectActions(db: Db, instanceUuid: string): Promise<ActionRow[]> {
  return db.selectFrom('instance_actions').selectAll().where('instance_uuid', '=', instanceUuid).orderBy('start_time', 'desc').orderBy('id', 'desc').execute();
}

/** Inserts an event; returns its id. */
export function insertActionEvent(db: Db, row: Insertable<InstanceActionEventsTable>): Promise<number> {
  return insertedId(db as never, db.insertInto('instance_actions_events').values(row));
}

/** The action an event belongs to, or undefined when there is no such event. */
export function findEventAction(db: Db, eventId: number): Promise<Pick<EventRow, 'action_id'> | undefined> {
  return db.selectFrom('instance_actions_events').select(['action_id']).where('id', '=', eventId).executeTakeFirst();
}

/** Updates an event's columns by id. */
export async function updateActionEvent(db: Db, id: number, set: Updateable<InstanceActionEventsTable>): Promise<void> {
  await db.updateTable('instance_actions_events').set(set).where('id', '=', id).execute();
}

/** An action's events in id order. */
export function selectActionEvents(db: Db, actionId: number): Promise<EventRow[]> {
  return db.selectFrom('instance_actions_events').selectAll().where('action_id', '=', actionId).orderBy('id', 'asc').execute();
}
