/**
 * The Instance object (nova/objects/instance.py) over nova's tables: typed fields, the
 * JSON columns parsed, and `save` with nova's expected_task_state guard — a change
 * applies only if the instance is still in the task state the caller saw, which is how
 * a delete racing a build is noticed (UnexpectedDeletingTaskState). Also the info
 * cache and faults, which nova keeps beside the instance. The statements are
 * db/instances.ts's.
 */
import type { Kysely, Transaction } from 'kysely';
import { isoMicros } from '../../common/clock.js';
import {
  deleteGroupMembershipsOfInstance,
  deleteInfoCache,
  findInstance,
  findInstanceWithNetworkInfo,
  findLiveInstanceId,
  insertInfoCache,
  insertInstance,
  insertInstanceFault,
  selectFaultsOfInstances,
  selectInstancesByHost,
  selectNetworkInfo,
  selectNetworkInfos,
  selectUnsettledInstancesWithoutHost,
  softDeleteInstance,
  updateInfoCacheNetworkInfo,
  updateInstanceOnMatchReturning,
} from '../db/instances.js';
import type { NovaDB, InstancesTable } from '../db/schema.js';
import { InstanceNotFound, NovaException, UnexpectedDeletingTaskState } from '../errors.js';
import type { NetworkInfo } from '../network/model.js';
import { TaskState } from './states.js';

/** The flavor an instance was built with (instance_extra.flavor). */
export interface InstanceFlavor {
  id: number;
  flavorid: string;
  name: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  rxtx_factor: number;
  vcpu_weight: number | null;
  is_public: boolean;
  description: string | null;
  extra_specs: Record<string, string>;
}

/** One requested network of a boot (nova's NetworkRequest). */
export interface NetworkRequest {
  networkId?: string | null;
  portId?: string | null;
  address?: string | null;
  tag?: string | null;
  /** "auto" or "none" (2.37+), as network_id. */
}

export interface Instance {
  id: number;
  uuid: string;
  projectId: string;
  userId: string;
  displayName: string;
  displayDescription: string | null;
  hostname: string;
  host: string | null;
  node: string | null;
  launchedOn: string | null;
  availabilityZone: string | null;
  vmState: string;
  taskState: string | null;
  powerState: number;
  imageRef: string;
  flavor: InstanceFlavor;
  keyName: string | null;
  userData: string | null;
  metadata: Record<string, string>;
  systemMetadata: Record<string, string>;
  requestedNetworks: NetworkRequest[];
  securityGroups: string[];
  tags: string[];
  configDrive: string;
  autoDiskConfig: boolean;
  accessIpV4: string | null;
  accessIpV6: string | null;
  reservationId: string;
  launchIndex: number;
  rootDeviceName: string | null;
  locked: boolean;
  lockedBy: string | null;
  lockedReason: string | null;
  progress: number;
  launchedAt: string | null;
  terminatedAt: string | null;
  createdAt: string;
  updatedAt: string | null;
  deletedAt: string | null;
  deleted: boolean;
  /** The flavor before a resize, until it is confirmed or reverted (instance.old_flavor). */
  oldFlavor: InstanceFlavor | null;
  /** The flavor a resize goes to, set by prep_resize (instance.new_flavor). */
  newFlavor: InstanceFlavor | null;
}

/** The fields `save` may change. */
export type InstanceChanges = Partial<
  Pick<
    Instance,
    | 'host'
    | 'node'
    | 'launchedOn'
    | 'availabilityZone'
    | 'vmState'
    | 'taskState'
    | 'powerState'
    | 'systemMetadata'
    | 'launchedAt'
    | 'terminatedAt'
    | 'progress'
    | 'displayName'
    | 'metadata'
    | 'locked'
    | 'lockedBy'
    | 'lockedReason'
    | 'rootDeviceName'
    | 'displayDescription'
    | 'hostname'
    | 'accessIpV4'
    | 'accessIpV6'
    | 'tags'
    | 'securityGroups'
    | 'deletedAt'
    | 'imageRef'
    | 'keyName'
    | 'userData'
    | 'autoDiskConfig'
    | 'flavor'
    | 'oldFlavor'
    | 'newFlavor'
  >
>;

export interface InstanceFault {
  code: number;
  message: string;
  details: string;
  host: string | null;
  created: string;
}

type Row = InstancesTable & { id: number };

export function fromRow(r: Row): Instance {
  return {
    id: r.id,
    uuid: r.uuid,
    projectId: r.project_id,
    userId: r.user_id,
    displayName: r.display_name,
    displayDescription: r.display_description,
    hostname: r.hostname,
    host: r.host,
    node: r.node,
    launchedOn: r.launched_on,
    availabilityZone: r.availability_zone,
    vmState: r.vm_state,
    taskState: r.task_state,
    powerState: r.power_state,
    imageRef: r.image_ref,
    flavor: JSON.parse(r.flavor),
    keyName: r.key_name,
    userData: r.user_data,
    metadata: JSON.parse(r.metadata),
    systemMetadata: JSON.parse(r.system_metadata),
    requestedNetworks: JSON.parse(r.requested_networks),
    securityGroups: JSON.parse(r.security_groups),
    tags: JSON.parse(r.tags),
    configDrive: r.config_drive,
    autoDiskConfig: r.auto_disk_config === 1,
    accessIpV4: r.access_ip_v4,
    accessIpV6: r.access_ip_v6,
    reservationId: r.reservation_id,
    launchIndex: r.launch_index,
    rootDeviceName: r.root_device_name,
    locked: r.locked === 1,
    lockedBy: r.locked_by,
    lockedReason: r.locked_reason,
    progress: r.progress,
    launchedAt: r.launched_at,
    terminatedAt: r.terminated_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deletedAt: r.deleted_at,
    deleted: r.deleted !== 0,
    oldFlavor: r.old_flavor ? (JSON.parse(r.old_flavor) as InstanceFlavor) : null,
    newFlavor: r.new_flavor ? (JSON.parse(r.new_flavor) as InstanceFlavor) : null,
  };
}

const COLUMN: Record<keyof InstanceChanges, keyof InstancesTable> = {
  host: 'host',
  node: 'node',
  launchedOn: 'launched_on',
  availabilityZone: 'availability_zone',
  vmState: 'vm_state',
  taskState: 'task_state',
  powerState: 'power_state',
  systemMetadata: 'system_metadata',
  launchedAt: 'launched_at',
  terminatedAt: 'terminated_at',
  progress: 'progress',
  displayName: 'display_name',
  metadata: 'metadata',
  locked: 'locked',
  lockedBy: 'locked_by',
  lockedReason: 'locked_reason',
  rootDeviceName: 'root_device_name',
  displayDescription: 'display_description',
  hostname: 'hostname',
  accessIpV4: 'access_ip_v4',
  accessIpV6: 'access_ip_v6',
  tags: 'tags',
  securityGroups: 'security_groups',
  deletedAt: 'deleted_at',
  imageRef: 'image_ref',
  keyName: 'key_name',
  userData: 'user_data',
  autoDiskConfig: 'auto_disk_config',
  flavor: 'flavor',
  oldFlavor: 'old_flavor',
  newFlavor: 'new_flavor',
};

function toColumns(changes: InstanceChanges): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(changes) as [keyof InstanceChanges, unknown][]) {
    if (v === undefined) continue;
    const col = COLUMN[k];
    set[col] =
      k === 'systemMetadata' || k === 'metadata' || k === 'tags' || k === 'securityGroups' || k === 'flavor'
        ? JSON.stringify(v)
        : k === 'oldFlavor' || k === 'newFlavor'
          ? v === null
            ? null
            : JSON.stringify(v)
          : k === 'locked' || k === 'autoDiskConfig'
            ? v
              ? 1
              : 0
            : v;
    // _set_instance_info: the flavor's resources are the instance's own columns too.
    if (k === 'flavor') {
      const f = v as InstanceFlavor;
      Object.assign(set, { vcpus: f.vcpus, memory_mb: f.memory_mb, root_gb: f.root_gb, ephemeral_gb: f.ephemeral_gb });
    }
  }
  return set;
}

/** The task state a save expected but did not find (nova's UnexpectedTaskStateError). */
export class UnexpectedTaskStateError extends NovaException {
  static override readonly wireType: string = 'UnexpectedTaskStateError';
  constructor(uuid: string, expected: (string | null)[], actual: string | null) {
    super(`Conflict updating instance ${uuid}. Expected: {'task_state': [${expected.map((e) => (e === null ? 'None' : `'${e}'`)).join(', ')}]}. Actual: {'task_state': ${actual === null ? 'None' : `'${actual}'`}}`);
  }
}

/** What a new instance is created from; the rest starts at nova's defaults. */
export type NewInstance = Pick<
  Instance,
  | 'uuid'
  | 'projectId'
  | 'userId'
  | 'displayName'
  | 'displayDescription'
  | 'hostname'
  | 'availabilityZone'
  | 'imageRef'
  | 'flavor'
  | 'keyName'
  | 'userData'
  | 'metadata'
  | 'systemMetadata'
  | 'requestedNetworks'
  | 'securityGroups'
  | 'tags'
  | 'configDrive'
  | 'accessIpV4'
  | 'accessIpV6'
  | 'reservationId'
  | 'launchIndex'
> & {
  /** The keypair's public key (instances.key_data), for the guest's metadata. */
  keyData?: string | null;
  /** OS-DCF:diskConfig AUTO; MANUAL when absent. */
  autoDiskConfig?: boolean;
};

export class InstanceStore {
  constructor(
    private readonly db: Kysely<NovaDB>,
    private readonly now: () => number,
  ) {}

  #iso(): string {
    return isoMicros(this.now());
  }

  async create(i: NewInstance, trx: Kysely<NovaDB> | Transaction<NovaDB> = this.db): Promise<Instance> {
    const now = this.#iso();
    const inserted = await insertInstance(trx, {
      uuid: i.uuid,
      project_id: i.projectId,
      user_id: i.userId,
      display_name: i.displayName,
      display_description: i.displayDescription,
      hostname: i.hostname,
      host: null,
      node: null,
      launched_on: null,
      availability_zone: i.availabilityZone,
      vm_state: 'building',
      task_state: TaskState.SCHEDULING,
      power_state: 0,
      image_ref: i.imageRef,
      flavor: JSON.stringify(i.flavor),
      key_name: i.keyName,
      key_data: i.keyData ?? null,
      user_data: i.userData,
      metadata: JSON.stringify(i.metadata),
      system_metadata: JSON.stringify(i.systemMetadata),
      requested_networks: JSON.stringify(i.requestedNetworks),
      security_groups: JSON.stringify(i.securityGroups),
      tags: JSON.stringify(i.tags),
      config_drive: i.configDrive,
      auto_disk_config: i.autoDiskConfig ? 1 : 0,
      access_ip_v4: i.accessIpV4,
      access_ip_v6: i.accessIpV6,
      reservation_id: i.reservationId,
      launch_index: i.launchIndex,
      vcpus: i.flavor.vcpus,
      memory_mb: i.flavor.memory_mb,
      root_gb: i.flavor.root_gb,
      ephemeral_gb: i.flavor.ephemeral_gb,
      root_device_name: null,
      locked: 0,
      locked_by: null,
      locked_reason: null,
      progress: 0,
      launched_at: null,
      terminated_at: null,
      created_at: now,
      updated_at: null,
      deleted_at: null,
      deleted: 0,
    });
    await insertInfoCache(trx, { instance_uuid: i.uuid, network_info: '[]', created_at: now, updated_at: null });
    return inserted ? fromRow(inserted as Row) : (await this.find(i.uuid, { readDeleted: true }, trx))!;
  }

  async find(uuid: string, opts: { readDeleted?: boolean } = {}, trx: Kysely<NovaDB> = this.db): Promise<Instance | null> {
    const row = await findInstance(trx, uuid, !!opts.readDeleted);
    return row ? fromRow(row as Row) : null;
  }

  /** A live instance with its network info, read together (the server view's two halves); null if none. */
  async findWithNetworkInfo(uuid: string): Promise<{ instance: Instance; nwInfo: NetworkInfo } | null> {
    const r = await findInstanceWithNetworkInfo(this.db, uuid);
    return r ? { instance: fromRow(r.row as Row), nwInfo: r.networkInfo !== null ? (JSON.parse(r.networkInfo) as NetworkInfo) : [] } : null;
  }

  async get(uuid: string, opts: { readDeleted?: boolean } = {}): Promise<Instance> {
    const i = await this.find(uuid, opts);
    if (!i) throw new InstanceNotFound(uuid);
    return i;
  }

  /** The live instances on a host, oldest first (nova's InstanceList.get_by_host, for init_host). */
  async listByHost(host: string): Promise<Instance[]> {
    const rows = await selectInstancesByHost(this.db, host);
    return rows.map((r) => fromRow(r as Row));
  }

  /** Live instances no nova-compute holds (host NULL) that are building or being deleted, oldest first. */
  async listUnsettledWithoutHost(): Promise<Instance[]> {
    const rows = await selectUnsettledInstancesWithoutHost(this.db);
    return rows.map((r) => fromRow(r as Row));
  }

  /**
   * Applies changes; with expectedTaskState, only if the instance's task_state is one of
   * them (else UnexpectedDeletingTaskState when it is being deleted, or
   * UnexpectedTaskStateError), and never to a deleted instance (InstanceNotFound).
   */
  async save(uuid: string, changes: InstanceChanges, opts: { expectedTaskState?: (string | null)[] } = {}): Promise<Instance> {
    const set = { ...toColumns(changes), updated_at: this.#iso() };
    // nova's update_on_match: one conditional UPDATE, so no transaction holds the row.
    const expected = opts.expectedTaskState;
    // The row as updated comes back with the UPDATE (RETURNING) where the dialect allows;
    // only a miss is read again, to tell a gone instance from an unexpected task state.
    const updated = await updateInstanceOnMatchReturning(this.db, uuid, set, expected);
    if (updated) return fromRow(updated as Row);
    const row = await this.find(uuid);
    if (!row) throw new InstanceNotFound(uuid);
    if (row.taskState === TaskState.DELETING) throw new UnexpectedDeletingTaskState(String(expected), row.taskState);
    throw new UnexpectedTaskStateError(uuid, expected!, row.taskState);
  }

  /** Soft-deletes (deleted = id), as nova's instance.destroy() on a cell DB keeps the row. */
  async destroy(uuid: string): Promise<void> {
    const now = this.#iso();
    const row = await findLiveInstanceId(this.db, uuid);
    if (!row) throw new InstanceNotFound(uuid);
    await softDeleteInstance(this.db, uuid, row.id, now);
    await deleteInfoCache(this.db, uuid);
    // A deleted server leaves its server group (nova's _local_delete / instance destroy).
    await deleteGroupMembershipsOfInstance(this.db, uuid);
  }

  async networkInfo(uuid: string): Promise<NetworkInfo> {
    const text = await selectNetworkInfo(this.db, uuid);
    return text !== undefined ? (JSON.parse(text) as NetworkInfo) : [];
  }

  /** Several instances' caches at once (list views). */
  async networkInfos(uuids: string[]): Promise<Map<string, NetworkInfo>> {
    const out = new Map<string, NetworkInfo>();
    for (const r of await selectNetworkInfos(this.db, uuids)) out.set(r.instance_uuid, JSON.parse(r.network_info) as NetworkInfo);
    return out;
  }

  async saveNetworkInfo(uuid: string, nwInfo: NetworkInfo): Promise<void> {
    await updateInfoCacheNetworkInfo(this.db, uuid, JSON.stringify(nwInfo), this.#iso());
  }

  /** Records an instance fault (nova's compute_utils.add_instance_fault_from_exc). */
  async addFault(uuid: string, fault: { code: number; message: string; details: string; host: string | null }): Promise<void> {
    await insertInstanceFault(this.db, { instance_uuid: uuid, code: fault.code, message: fault.message.slice(0, 255), details: fault.details, host: fault.host, created_at: this.#iso() });
  }

  /** The latest fault of each instance (the server view shows it in ERROR/DELETED). */
  async latestFaults(uuids: string[]): Promise<Map<string, InstanceFault>> {
    const out = new Map<string, InstanceFault>();
    if (uuids.length === 0) return out;
    for (const r of await selectFaultsOfInstances(this.db, uuids)) out.set(r.instance_uuid, { code: r.code, message: r.message, details: r.details, host: r.host, created: r.created_at });
    return out;
  }
}
