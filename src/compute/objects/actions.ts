/**
 * Instance actions and their events (nova/objects/instance_action.py): every API
 * operation on a server records an action under its request id, and each step the
 * services take records an event with its start, finish and result. `openstack server
 * event list/show` reads them; they are the trace of a boot. The statements are
 * db/actions.ts's.
 */
import type { Kysely } from 'kysely';
import { isoMicros } from '../../common/clock.js';
import {
  type ActionRow,
  type EventRow,
  findAction,
  findEventAction,
  insertAction,
  insertActionEvent,
  selectActionEvents,
  selectActions,
  updateAction,
  updateActionEvent,
} from '../db/actions.js';
import type { NovaDB } from '../db/schema.js';

export const Actions = {
  CREATE: 'create',
  DELETE: 'delete',
  ATTACH_INTERFACE: 'attach_interface',
  DETACH_INTERFACE: 'detach_interface',
  STOP: 'stop',
  START: 'start',
  REBOOT: 'reboot',
  PAUSE: 'pause',
  UNPAUSE: 'unpause',
  SUSPEND: 'suspend',
  RESUME: 'resume',
  RESCUE: 'rescue',
  UNRESCUE: 'unrescue',
  LOCK: 'lock',
  UNLOCK: 'unlock',
  TRIGGER_CRASH_DUMP: 'trigger_crash_dump',
  CREATE_IMAGE: 'createImage',
  BACKUP: 'createBackup',
  RESTORE: 'restore',
  REBUILD: 'rebuild',
  RESET_STATE: 'resetState',
  RESIZE: 'resize',
  MIGRATE: 'migrate',
  LIVE_MIGRATION: 'live-migration',
  LIVE_MIGRATION_CANCEL: 'live_migration_cancel',
  LIVE_MIGRATION_FORCE_COMPLETE: 'live_migration_force_complete',
  CONFIRM_RESIZE: 'confirmResize',
  REVERT_RESIZE: 'revertResize',
  SHELVE: 'shelve',
  SHELVE_OFFLOAD: 'shelveOffload',
  UNSHELVE: 'unshelve',
  EVACUATE: 'evacuate',
} as const;

export type { ActionRow, EventRow } from '../db/actions.js';

export class InstanceActions {
  constructor(
    private readonly db: Kysely<NovaDB>,
    private readonly now: () => number,
    /** Told of each action started (the trace recorder ties the request to the instance). */
    private readonly onStart?: (a: { instanceUuid: string; action: string; requestId: string }) => void,
  ) {}

  async start(a: { instanceUuid: string; action: string; requestId: string; userId: string; projectId: string }): Promise<void> {
    this.onStart?.(a);
    const t = isoMicros(this.now());
    await insertAction(this.db, {
      action: a.action,
      instance_uuid: a.instanceUuid,
      request_id: a.requestId,
      user_id: a.userId,
      project_id: a.projectId,
      start_time: t,
      finish_time: null,
      message: null,
      created_at: t,
      updated_at: null,
    });
  }

  async #action(instanceUuid: string, requestId: string): Promise<ActionRow | undefined> {
    return findAction(this.db, instanceUuid, requestId);
  }

  /** Records an event starting (nova's EventReporter.__enter__ / event_start). */
  async eventStart(instanceUuid: string, requestId: string, event: string, host: string | null): Promise<number | null> {
    const action = await this.#action(instanceUuid, requestId);
    if (!action) return null;
    const t = isoMicros(this.now());
    const id = await insertActionEvent(this.db, { action_id: action.id, event, start_time: t, finish_time: null, result: null, traceback: null, host, details: null, created_at: t, updated_at: null });
    await updateAction(this.db, action.id, { updated_at: t });
    return id;
  }

  /**
   * Finishes an event: result Success, or Error with the failure's traceback; an Error
   * also marks the action's message "Error", as nova's InstanceActionEvent.event_finish
   * does. The failure is plain data (eventFailure) so it can cross the bus.
   */
  async eventFinish(eventId: number | null, failure: EventFailure | null = null): Promise<void> {
    if (eventId === null) return;
    const t = isoMicros(this.now());
    const ev = await findEventAction(this.db, eventId);
    await updateActionEvent(this.db, eventId, { finish_time: t, result: failure ? 'Error' : 'Success', traceback: failure?.traceback ?? null, details: failure?.details ?? null, updated_at: t });
    if (ev) await updateAction(this.db, ev.action_id, failure ? { message: 'Error', updated_at: t } : { updated_at: t });
  }

  /** Runs fn inside an event (nova's @wrap_instance_event). */
  wrap<T>(instanceUuid: string, requestId: string, event: string, host: string | null, fn: () => Promise<T>): Promise<T> {
    return wrapInstanceEvent(this, instanceUuid, requestId, event, host, fn);
  }

  async list(instanceUuid: string): Promise<ActionRow[]> {
    return selectActions(this.db, instanceUuid);
  }

  async get(instanceUuid: string, requestId: string): Promise<ActionRow | undefined> {
    return this.#action(instanceUuid, requestId);
  }

  async events(actionId: number): Promise<EventRow[]> {
    return selectActionEvents(this.db, actionId);
  }
}

/** How an event failed, as plain data: what event_finish_with_failure records. */
export interface EventFailure {
  traceback: string;
  /** The event's details (2.84): the exception's message, for faults users may see. */
  details: string;
}

export function eventFailure(e: unknown): EventFailure {
  const err = e as { stack?: string; type?: string; message?: string };
  const type = err.type ?? (e instanceof Error ? e.name : 'Exception');
  return {
    traceback: `Traceback (most recent call last):\n${(err.stack ?? '').split('\n').slice(1).join('\n')}\n${type}: ${err.message ?? String(e)}\n`,
    details: err.message ?? String(e),
  };
}

/**
 * nova's @wrap_instance_event over any event recorder (the store, or the conductor's
 * over RPC): fn runs here, between the event's start and its finish.
 */
export async function wrapInstanceEvent<T>(
  events: { eventStart(uuid: string, requestId: string, event: string, host: string | null): Promise<number | null>; eventFinish(id: number | null, failure?: EventFailure | null): Promise<void> },
  instanceUuid: string,
  requestId: string,
  event: string,
  host: string | null,
  fn: () => Promise<T>,
): Promise<T> {
  const id = await events.eventStart(instanceUuid, requestId, event, host);
  try {
    const out = await fn();
    await events.eventFinish(id);
    return out;
  } catch (e) {
    await events.eventFinish(id, eventFailure(e));
    throw e;
  }
}
