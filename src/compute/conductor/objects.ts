/**
 * The conductor's side of the object indirection (nova's ConductorManager
 * object_class_action_versions / object_action): it runs nova-compute's object calls
 * against the database, so nova-compute never holds a database handle. Results are
 * plain JSON (the bus serialises them); errors travel as RemoteErrors that the client
 * rebuilds into their classes (objects/indirection.ts).
 */
import type { ComputeData } from '../objects/compute-data.js';
import type { ObjectEndpoint } from '../objects/indirection.js';

export function objectEndpoint(data: ComputeData): ObjectEndpoint {
  const { instances, actions, services, migrations, allocations } = data;
  const none = async (p: Promise<unknown>): Promise<null> => {
    await p;
    return null;
  };
  return {
    instance_find: (a) => instances.find(a.uuid, { readDeleted: a.readDeleted ?? false }),
    instance_get: (a) => instances.get(a.uuid),
    instance_get_by_host: (a) => instances.listByHost(a.host),
    instance_save: (a) => instances.save(a.uuid, a.changes, a.expectedTaskState ? { expectedTaskState: a.expectedTaskState } : {}),
    instance_destroy: (a) => none(instances.destroy(a.uuid)),
    instance_info_cache_get: (a) => instances.networkInfo(a.uuid),
    instance_info_cache_save: (a) => none(instances.saveNetworkInfo(a.uuid, a.nwInfo)),
    instance_fault_create: (a) => none(instances.addFault(a.uuid, a.fault)),
    action_start: (a) => none(actions.start(a)),
    action_event_start: (a) => actions.eventStart(a.instanceUuid, a.requestId, a.event, a.host),
    action_event_finish: (a) => none(actions.eventFinish(a.eventId, a.failure)),
    action_get_by_instance: (a) => actions.list(a.instanceUuid),
    service_register: (a) => services.register(a.host, a.binary, a.topic),
    service_heartbeat: (a) => services.heartbeat(a.id),
    service_get_by_compute_host: (a) => services.getComputeByHost(a.host),
    compute_node_upsert: (a) => services.upsertComputeNode(a.host, a.resources),
    compute_node_get_by_host_or_node: (a) => services.computeNodesByHostOrNode(a.host, a.node),
    compute_node_update_usage: (a) => none(services.updateHostUsage(a.host)),
    migration_get_by_uuid: (a) => migrations.findByUuid(a.uuid),
    migration_get_by_id_and_instance: (a) => migrations.findByIdAndInstance(a.id, a.instanceUuid),
    migration_get_by_instance_and_status: (a) => migrations.getByInstanceAndStatus(a.instanceUuid, a.status),
    migration_get_list: (a) => migrations.list(a.filters, a.unsorted ? { unsorted: true } : {}),
    migration_save: (a) => migrations.save(a.uuid, a.changes),
    allocation_delete: (a) => none(allocations.delete(a.consumerUuid)),
    allocation_move: (a) => allocations.move(a.from, a.to),
    allocation_get_host: (a) => allocations.host(a.consumerUuid),
    allocation_get_consumers: (a) => allocations.consumers(a.host),
  };
}
