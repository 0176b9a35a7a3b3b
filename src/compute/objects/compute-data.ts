/**
 * Everything nova-compute reads and writes about the cloud, as typed interfaces: nova's
 * object indirection. In nova, nova-compute holds no database credentials
 * (nova.db.main.api.DISABLE_DB_ACCESS; "No DB access allowed in nova-compute"): its
 * objects' remotable methods go to the conductor over RPC (object_class_action_versions
 * / object_action) and the conductor runs them against the database. Here each object
 * nova-compute uses is one interface with exactly the methods it calls; there are two
 * implementations: the direct one over the stores (`directComputeData`, what the
 * conductor runs) and `RemoteComputeData` (objects/remote.ts, what nova-compute holds),
 * whose results crossed the bus as JSON.
 *
 * Every argument and result here must survive a JSON round trip (strings for times, no
 * Date, bigint, Map or undefined-meaning-something).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../common/clock.js';
import type { NovaDB } from '../db/schema.js';
import { updateHostUsage } from './host-usage.js';
import type { NetworkInfo } from '../network/model.js';
import { allocationConsumers, allocationHost, deleteAllocation, moveAllocation } from '../db/allocations.js';
import type { ActionRow, EventFailure, InstanceActions } from './actions.js';
import type { Instance, InstanceChanges, InstanceStore } from './instance.js';
import { type Migration, type MigrationChanges, type MigrationFilters, MigrationStore } from './migration.js';
import type { ComputeNodeResources, ComputeNodeRow, ServiceRow, ServiceStore } from './services.js';

/** An instance fault as nova-compute records it (compute_utils.add_instance_fault_from_exc). */
export interface NewFault {
  code: number;
  message: string;
  details: string;
  host: string | null;
}

/** The Instance object, its info cache and its faults. */
export interface ComputeInstances {
  find(uuid: string, opts?: { readDeleted?: boolean }): Promise<Instance | null>;
  /** InstanceNotFound when absent. */
  get(uuid: string): Promise<Instance>;
  listByHost(host: string): Promise<Instance[]>;
  /** nova's instance.save(expected_task_state=...): UnexpectedTaskStateError, UnexpectedDeletingTaskState or InstanceNotFound. */
  save(uuid: string, changes: InstanceChanges, opts?: { expectedTaskState?: (string | null)[] }): Promise<Instance>;
  destroy(uuid: string): Promise<void>;
  networkInfo(uuid: string): Promise<NetworkInfo>;
  saveNetworkInfo(uuid: string, nwInfo: NetworkInfo): Promise<void>;
  addFault(uuid: string, fault: NewFault): Promise<void>;
}

/** InstanceAction and InstanceActionEvent (the events nova-compute's steps record). */
export interface ComputeActions {
  /** Runs fn inside an event (nova's @wrap_instance_event); fn runs where the caller is. */
  wrap<T>(instanceUuid: string, requestId: string, event: string, host: string | null, fn: () => Promise<T>): Promise<T>;
  start(a: { instanceUuid: string; action: string; requestId: string; userId: string; projectId: string }): Promise<void>;
  /** An event of the request's action starting: its id, or null when the request recorded no action. */
  eventStart(instanceUuid: string, requestId: string, event: string, host: string | null): Promise<number | null>;
  eventFinish(eventId: number | null, failure?: EventFailure | null): Promise<void>;
  /** Newest first. */
  list(instanceUuid: string): Promise<ActionRow[]>;
}

/** Service and ComputeNode: registration, heartbeat and the resource tracker's writes. */
export interface ComputeServices {
  register(host: string, binary: string, topic: string | null): Promise<ServiceRow>;
  heartbeat(id: number): Promise<ServiceRow>;
  upsertComputeNode(host: string, r: ComputeNodeResources): Promise<ComputeNodeRow>;
  /** ComputeHostNotFound when the host has no nova-compute. */
  getComputeByHost(host: string): Promise<ServiceRow>;
  computeNodesByHostOrNode(host: string | null, node: string | null): Promise<ComputeNodeRow[]>;
  /** The servicegroup DB driver's is_up, computed where the caller is (no round trip). */
  isUp(row: Pick<ServiceRow, 'forced_down' | 'last_seen_up' | 'created_at'>): boolean;
  /** The resource tracker's usage of a host, recomputed and saved (objects/host-usage.ts; nova-compute asks, the conductor computes). */
  updateHostUsage(host: string): Promise<void>;
}

/** The Migration object. */
export interface ComputeMigrations {
  findByUuid(uuid: string): Promise<Migration | null>;
  findByIdAndInstance(id: number, instanceUuid: string): Promise<Migration | null>;
  /** MigrationNotFoundByStatus when absent. */
  getByInstanceAndStatus(instanceUuid: string, status: string): Promise<Migration>;
  list(f: MigrationFilters, page?: { unsorted?: boolean }): Promise<Migration[]>;
  save(uuid: string, changes: MigrationChanges): Promise<Migration>;
}

/** Placement's allocations as nova-compute changes them (report client calls). */
export interface ComputeAllocations {
  delete(consumerUuid: string): Promise<void>;
  /** move_allocations: false when `from` holds nothing. */
  move(from: string, to: string): Promise<boolean>;
  host(consumerUuid: string): Promise<string | null>;
  consumers(host: string): Promise<string[]>;
}

/** What nova-compute may read and write, and nothing else. */
export interface ComputeData {
  instances: ComputeInstances;
  actions: ComputeActions;
  services: ComputeServices;
  migrations: ComputeMigrations;
  allocations: ComputeAllocations;
}

/** The stores a direct ComputeData is built on (the ones the API and conductor share). */
export interface DirectComputeDataDeps {
  db: Kysely<NovaDB>;
  clock: Clock;
  instances: InstanceStore;
  actions: InstanceActions;
  services: ServiceStore;
}

/** ComputeData over the database: what the conductor runs for nova-compute. */
export function directComputeData(d: DirectComputeDataDeps): ComputeData {
  const { db, services } = d;
  return {
    instances: d.instances,
    actions: d.actions,
    services: {
      register: (host, binary, topic) => services.register(host, binary, topic),
      heartbeat: (id) => services.heartbeat(id),
      upsertComputeNode: (host, r) => services.upsertComputeNode(host, r),
      getComputeByHost: (host) => services.getComputeByHost(host),
      computeNodesByHostOrNode: (host, node) => services.computeNodesByHostOrNode(host, node),
      isUp: (row) => services.isUp(row),
      updateHostUsage: (host) => updateHostUsage(db, services, host),
    },
    migrations: new MigrationStore(db, () => d.clock.now()),
    allocations: {
      delete: (uuid) => deleteAllocation(db, uuid),
      move: (from, to) => moveAllocation(db, from, to),
      host: (uuid) => allocationHost(db, uuid),
      consumers: (host) => allocationConsumers(db, host),
    },
  };
}
