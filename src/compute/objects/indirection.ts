/**
 * The wire contract of nova's object indirection: the conductor methods nova-compute
 * calls to read and write objects (nova's ConductorAPI.object_class_action_versions /
 * object_action). One typed method per object method of compute-data.ts instead of
 * nova's versioned objects dispatched by name: the client (remote.ts) and the conductor's
 * endpoint (conductor/objects.ts) are both checked against ObjectWire.
 *
 * Also: the errors a database-side method may raise, rebuilt from the RemoteError the
 * bus carries into the same typed classes (nova's oslo.messaging rebuilds the exception
 * class from its module and name, allowed_remote_exmods), so `instanceof
 * UnexpectedTaskStateError` holds on both sides of the indirection.
 */
import { RemoteError } from '../../bus/bus.js';
import type { OpenStackError } from '../../common/errors.js';
import {
  ComputeHostNotFound,
  HostBinaryNotFound,
  InstanceNotFound,
  MarkerNotFound,
  MigrationNotFoundByStatus,
  ServiceNotFound,
  UnexpectedDeletingTaskState,
} from '../errors.js';
import type { NetworkInfo } from '../network/model.js';
import type { ActionRow, EventFailure } from './actions.js';
import type { NewFault } from './compute-data.js';
import { type Instance, type InstanceChanges, UnexpectedTaskStateError } from './instance.js';
import type { Migration, MigrationChanges, MigrationFilters } from './migration.js';
import type { ComputeNodeResources, ComputeNodeRow, ServiceRow } from './services.js';

/** Method → its arguments (one JSON object) and its result (JSON; null for nothing). */
export interface ObjectWire {
  instance_find: { args: { uuid: string; readDeleted?: boolean }; result: Instance | null };
  instance_get: { args: { uuid: string }; result: Instance };
  instance_get_by_host: { args: { host: string }; result: Instance[] };
  instance_save: { args: { uuid: string; changes: InstanceChanges; expectedTaskState?: (string | null)[] }; result: Instance };
  instance_destroy: { args: { uuid: string }; result: null };
  instance_info_cache_get: { args: { uuid: string }; result: NetworkInfo };
  instance_info_cache_save: { args: { uuid: string; nwInfo: NetworkInfo }; result: null };
  instance_fault_create: { args: { uuid: string; fault: NewFault }; result: null };
  action_start: { args: { instanceUuid: string; action: string; requestId: string; userId: string; projectId: string }; result: null };
  action_event_start: { args: { instanceUuid: string; requestId: string; event: string; host: string | null }; result: number | null };
  action_event_finish: { args: { eventId: number | null; failure: EventFailure | null }; result: null };
  action_get_by_instance: { args: { instanceUuid: string }; result: ActionRow[] };
  service_register: { args: { host: string; binary: string; topic: string | null }; result: ServiceRow };
  service_heartbeat: { args: { id: number }; result: ServiceRow };
  service_get_by_compute_host: { args: { host: string }; result: ServiceRow };
  compute_node_upsert: { args: { host: string; resources: ComputeNodeResources }; result: ComputeNodeRow };
  compute_node_get_by_host_or_node: { args: { host: string | null; node: string | null }; result: ComputeNodeRow[] };
  compute_node_update_usage: { args: { host: string }; result: null };
  migration_get_by_uuid: { args: { uuid: string }; result: Migration | null };
  migration_get_by_id_and_instance: { args: { id: number; instanceUuid: string }; result: Migration | null };
  migration_get_by_instance_and_status: { args: { instanceUuid: string; status: string }; result: Migration };
  migration_get_list: { args: { filters: MigrationFilters; unsorted?: boolean }; result: Migration[] };
  migration_save: { args: { uuid: string; changes: MigrationChanges }; result: Migration };
  allocation_delete: { args: { consumerUuid: string }; result: null };
  allocation_move: { args: { from: string; to: string }; result: boolean };
  allocation_get_host: { args: { consumerUuid: string }; result: string | null };
  allocation_get_consumers: { args: { host: string }; result: string[] };
}

export type ObjectMethod = keyof ObjectWire;

/** ObjectWire's methods at runtime (the conductor topic's list includes them). */
export const OBJECT_METHODS = {
  instance_find: true,
  instance_get: true,
  instance_get_by_host: true,
  instance_save: true,
  instance_destroy: true,
  instance_info_cache_get: true,
  instance_info_cache_save: true,
  instance_fault_create: true,
  action_start: true,
  action_event_start: true,
  action_event_finish: true,
  action_get_by_instance: true,
  service_register: true,
  service_heartbeat: true,
  service_get_by_compute_host: true,
  compute_node_upsert: true,
  compute_node_get_by_host_or_node: true,
  compute_node_update_usage: true,
  migration_get_by_uuid: true,
  migration_get_by_id_and_instance: true,
  migration_get_by_instance_and_status: true,
  migration_get_list: true,
  migration_save: true,
  allocation_delete: true,
  allocation_move: true,
  allocation_get_host: true,
  allocation_get_consumers: true,
} as const satisfies { [M in ObjectMethod]: true };

/** The conductor's side: one handler per method. */
export type ObjectEndpoint = { [M in ObjectMethod]: (args: ObjectWire[M]['args']) => Promise<ObjectWire[M]['result']> };

type ErrorClass = (abstract new (...args: never[]) => OpenStackError) & { wireType: string };

/** Every error the direct implementation raises on purpose, by wire type. */
const REMOTABLE_ERRORS: ErrorClass[] = [
  InstanceNotFound,
  UnexpectedTaskStateError,
  UnexpectedDeletingTaskState,
  MigrationNotFoundByStatus,
  MarkerNotFound,
  ServiceNotFound,
  HostBinaryNotFound,
  ComputeHostNotFound,
];
const BY_WIRE_TYPE = new Map(REMOTABLE_ERRORS.map((c) => [c.wireType, c]));

/**
 * The typed error a RemoteError stands for, with the remote's message, status and
 * detail; anything else is returned unchanged (a database failure stays a RemoteError).
 */
export function reviveObjectError(e: unknown): unknown {
  if (!(e instanceof RemoteError)) return e;
  const cls = BY_WIRE_TYPE.get(e.excType);
  if (!cls) return e;
  // The constructors format their own message from parameters; the wire carries the
  // formatted one, so the instance is made from the class's prototype with that text.
  const err = Reflect.construct(Error, [e.value], cls) as OpenStackError;
  Object.defineProperty(err, 'status', { value: e.status ?? 500, enumerable: true });
  err.detail = e.detail ?? '';
  err.name = cls.wireType;
  return err;
}
