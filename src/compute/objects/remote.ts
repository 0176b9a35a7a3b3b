/**
 * ComputeData over RPC: what nova-compute holds instead of a database handle (nova's
 * NovaObject.indirection_api = ConductorAPI). Every read and write is a call to the
 * conductor topic, which runs it against the database (conductor/objects.ts); the
 * errors the database side raises come back as the same typed classes
 * (reviveObjectError). Only `isUp` and the body of `actions.wrap` run here.
 */
import type { Bus } from '../../bus/bus.js';
import { type RpcClient, rpcClient } from '../../bus/contract.js';
import type { Clock } from '../../common/clock.js';
import { wrapInstanceEvent } from './actions.js';
import type { ComputeActions, ComputeAllocations, ComputeData, ComputeInstances, ComputeMigrations, ComputeServices } from './compute-data.js';
import { type ObjectMethod, type ObjectWire, reviveObjectError } from './indirection.js';
import { type ConductorTopic, ConductorTopicDef } from '../rpc.js';
import { serviceIsUp } from './services.js';

/** The one way out of nova-compute to the database: a typed call to the conductor. */
export class ObjectIndirectionClient {
  readonly #rpc: RpcClient<ConductorTopic>;
  constructor(
    bus: Bus,
    /** rpc_response_timeout: a conductor that does not answer fails the operation (MessagingTimeout), as in nova. */
    private readonly timeoutMs?: number,
  ) {
    this.#rpc = rpcClient(bus, ConductorTopicDef);
  }

  async call<M extends ObjectMethod>(method: M, args: ObjectWire[M]['args']): Promise<ObjectWire[M]['result']> {
    try {
      return await this.#rpc.call<ObjectMethod>(method, args, this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs });
    } catch (e) {
      throw reviveObjectError(e);
    }
  }
}

export interface RemoteComputeDataDeps {
  bus: Bus;
  clock: Clock;
  /** [DEFAULT] service_down_time, for isUp. */
  serviceDownTimeS: number;
  /** Reply deadline of each call (the bus's default when absent). */
  timeoutMs?: number;
}

/** Builds nova-compute's ComputeData: every method a conductor call. */
export function remoteComputeData(d: RemoteComputeDataDeps): ComputeData {
  const c = new ObjectIndirectionClient(d.bus, d.timeoutMs);
  const none = async (p: Promise<null>): Promise<void> => {
    await p;
  };
  const instances: ComputeInstances = {
    find: (uuid, opts = {}) => c.call('instance_find', { uuid, ...(opts.readDeleted ? { readDeleted: true } : {}) }),
    get: (uuid) => c.call('instance_get', { uuid }),
    listByHost: (host) => c.call('instance_get_by_host', { host }),
    save: (uuid, changes, opts = {}) => c.call('instance_save', { uuid, changes, ...(opts.expectedTaskState ? { expectedTaskState: opts.expectedTaskState } : {}) }),
    destroy: (uuid) => none(c.call('instance_destroy', { uuid })),
    networkInfo: (uuid) => c.call('instance_info_cache_get', { uuid }),
    saveNetworkInfo: (uuid, nwInfo) => none(c.call('instance_info_cache_save', { uuid, nwInfo })),
    addFault: (uuid, fault) => none(c.call('instance_fault_create', { uuid, fault })),
  };
  const actions: ComputeActions = {
    start: (a) => none(c.call('action_start', a)),
    eventStart: (instanceUuid, requestId, event, host) => c.call('action_event_start', { instanceUuid, requestId, event, host }),
    eventFinish: (eventId, failure = null) => none(c.call('action_event_finish', { eventId, failure })),
    list: (instanceUuid) => c.call('action_get_by_instance', { instanceUuid }),
    wrap: (uuid, requestId, event, host, fn) => wrapInstanceEvent(actions, uuid, requestId, event, host, fn),
  };
  const services: ComputeServices = {
    register: (host, binary, topic) => c.call('service_register', { host, binary, topic }),
    heartbeat: (id) => c.call('service_heartbeat', { id }),
    getComputeByHost: (host) => c.call('service_get_by_compute_host', { host }),
    upsertComputeNode: (host, resources) => c.call('compute_node_upsert', { host, resources }),
    computeNodesByHostOrNode: (host, node) => c.call('compute_node_get_by_host_or_node', { host, node }),
    updateHostUsage: (host) => none(c.call('compute_node_update_usage', { host })),
    isUp: (row) => serviceIsUp(row, d.clock.now(), d.serviceDownTimeS),
  };
  const migrations: ComputeMigrations = {
    findByUuid: (uuid) => c.call('migration_get_by_uuid', { uuid }),
    findByIdAndInstance: (id, instanceUuid) => c.call('migration_get_by_id_and_instance', { id, instanceUuid }),
    getByInstanceAndStatus: (instanceUuid, status) => c.call('migration_get_by_instance_and_status', { instanceUuid, status }),
    list: (filters, page = {}) => c.call('migration_get_list', { filters, ...(page.unsorted ? { unsorted: true } : {}) }),
    save: (uuid, changes) => c.call('migration_save', { uuid, changes }),
  };
  const allocations: ComputeAllocations = {
    delete: (consumerUuid) => none(c.call('allocation_delete', { consumerUuid })),
    move: (from, to) => c.call('allocation_move', { from, to }),
    host: (consumerUuid) => c.call('allocation_get_host', { consumerUuid }),
    consumers: (host) => c.call('allocation_get_consumers', { host }),
  };
  return { instances, actions, services, migrations, allocations };
}
