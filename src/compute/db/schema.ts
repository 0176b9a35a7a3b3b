/**
 * nova's tables (one database here: nova's cell database and its API database folded
 * together, since Nimbus runs one cell). Portable SQL (src/db/database.ts): booleans
 * 0/1, times ISO text, JSON text.
 */
import type { Generated } from 'kysely';

export interface ServicesTable {
  id: Generated<number>;
  uuid: string;
  host: string;
  binary: string;
  topic: string | null;
  report_count: number;
  disabled: number;
  disabled_reason: string | null;
  forced_down: number;
  /** Clock time (ms) of the last heartbeat; null before the first. */
  last_seen_up: string | null;
  version: number;
  created_at: string;
  updated_at: string | null;
}

export interface ComputeNodesTable {
  id: Generated<number>;
  uuid: string;
  host: string;
  hypervisor_hostname: string;
  hypervisor_type: string;
  hypervisor_version: number;
  host_ip: string;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  vcpus_used: number;
  memory_mb_used: number;
  local_gb_used: number;
  running_vms: number;
  cpu_info: string;
  created_at: string;
  updated_at: string | null;
}

export interface FlavorsTable {
  id: Generated<number>;
  flavorid: string;
  name: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  rxtx_factor: number;
  vcpu_weight: number | null;
  disabled: number;
  is_public: number;
  description: string | null;
  /** JSON object. */
  extra_specs: string;
  created_at: string;
  updated_at: string | null;
}

export interface FlavorProjectsTable {
  flavor_id: number;
  project_id: string;
}

export interface InstancesTable {
  /** Integer id, for the libvirt-style name instance-%08x. */
  id: Generated<number>;
  uuid: string;
  project_id: string;
  user_id: string;
  display_name: string;
  display_description: string | null;
  hostname: string;
  host: string | null;
  node: string | null;
  launched_on: string | null;
  availability_zone: string | null;
  vm_state: string;
  task_state: string | null;
  power_state: number;
  image_ref: string;
  /** JSON: the flavor as it was at boot (instance_extra.flavor). */
  flavor: string;
  key_name: string | null;
  /** The keypair's public key at boot (nova's instances.key_data). */
  key_data?: string | null;
  user_data: string | null;
  /** JSON object. */
  metadata: string;
  /** JSON object (network_allocated, image_* ...). */
  system_metadata: string;
  /** JSON: the requested networks of the boot. */
  requested_networks: string;
  /** JSON list of security group names. */
  security_groups: string;
  /** JSON list. */
  tags: string;
  config_drive: string;
  /** OS-DCF:diskConfig: 1 AUTO, 0 MANUAL . */
  auto_disk_config: number;
  access_ip_v4: string | null;
  access_ip_v6: string | null;
  reservation_id: string;
  launch_index: number;
  /** The flavor's resources, as nova's own columns: quota and the resource tracker sum them in SQL. */
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: number;
  root_device_name: string | null;
  locked: number;
  locked_by: string | null;
  locked_reason: string | null;
  progress: number;
  launched_at: string | null;
  terminated_at: string | null;
  created_at: string;
  updated_at: string | null;
  deleted_at: string | null;
  /** 0 while the instance lives; its id once soft-deleted (nova's convention). */
  deleted: number;
  /** JSON: the flavor before a resize, while it can be reverted (instance_extra.old_flavor). */
  old_flavor?: string | null;
  /** JSON: the flavor a resize goes to, from prep_resize until confirm/revert (instance_extra.new_flavor). */
  new_flavor?: string | null;
}

export interface InstanceInfoCachesTable {
  instance_uuid: string;
  /** JSON NetworkInfo. */
  network_info: string;
  created_at: string;
  updated_at: string | null;
}

export interface InstanceFaultsTable {
  id: Generated<number>;
  instance_uuid: string;
  code: number;
  message: string;
  details: string;
  host: string | null;
  created_at: string;
}

export interface InstanceActionsTable {
  id: Generated<number>;
  action: string;
  instance_uuid: string;
  request_id: string;
  user_id: string;
  project_id: string;
  start_time: string;
  finish_time: string | null;
  message: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface InstanceActionEventsTable {
  id: Generated<number>;
  action_id: number;
  event: string;
  start_time: string;
  finish_time: string | null;
  result: string | null;
  traceback: string | null;
  host: string | null;
  details: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface QuotasTable {
  project_id: string;
  resource: string;
  hard_limit: number;
}

/** nova_api's project_user_quotas: one user's limits inside a project (?user_id= on os-quota-sets). */
export interface ProjectUserQuotasTable {
  project_id: string;
  user_id: string;
  resource: string;
  hard_limit: number;
}

/** nova_api's quota_classes: os-quota-class-sets; the class named 'default' overrides CONF.quota. */
export interface QuotaClassesTable {
  class_name: string;
  resource: string;
  hard_limit: number;
}

/** Placement's allocations: resources the scheduler claimed for an instance on a host. */
export interface AllocationsTable {
  consumer_uuid: string;
  host: string;
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
  created_at: string;
}

/** nova_api's key_pairs: a user's public keys by name. */
export interface KeyPairsTable {
  id: Generated<number>;
  name: string;
  user_id: string;
  fingerprint: string | null;
  public_key: string | null;
  /** 'ssh' or 'x509'. */
  type: string;
  created_at: string;
  updated_at: string | null;
}

/** nova_api's instance_groups: a server group, its one policy and its rules (JSON). */
export interface InstanceGroupsTable {
  id: Generated<number>;
  uuid: string;
  name: string | null;
  project_id: string;
  user_id: string;
  policy: string;
  /** JSON object: {"max_server_per_host": n} or {}. */
  rules: string;
  created_at: string;
  updated_at: string | null;
}

/** nova_api's instance_group_member: which instances a group holds. */
export interface InstanceGroupMemberTable {
  id: Generated<number>;
  group_id: number;
  instance_uuid: string;
  created_at: string;
}

/** nova's migrations: one row per resize, cold or live migration; its uuid is a placement consumer. */
export interface MigrationsTable {
  id: Generated<number>;
  uuid: string;
  instance_uuid: string;
  source_compute: string | null;
  dest_compute: string | null;
  source_node: string | null;
  dest_node: string | null;
  /** The destination's host IP (the driver's get_host_ip_addr). */
  dest_host: string | null;
  /** flavors.id (internal) before and after. */
  old_instance_type_id: number | null;
  new_instance_type_id: number | null;
  status: string;
  /** 'resize', 'migration', 'live-migration' or 'evacuation'. */
  migration_type: string;
  hidden: number;
  cross_cell_move: number;
  user_id: string | null;
  project_id: string | null;
  created_at: string;
  updated_at: string | null;
  deleted_at: string | null;
  deleted: number;
}

export interface NovaDB {
  migrations: MigrationsTable;
  allocations: AllocationsTable;
  services: ServicesTable;
  compute_nodes: ComputeNodesTable;
  flavors: FlavorsTable;
  flavor_projects: FlavorProjectsTable;
  instances: InstancesTable;
  instance_info_caches: InstanceInfoCachesTable;
  instance_faults: InstanceFaultsTable;
  instance_actions: InstanceActionsTable;
  instance_actions_events: InstanceActionEventsTable;
  quotas: QuotasTable;
  project_user_quotas: ProjectUserQuotasTable;
  quota_classes: QuotaClassesTable;
  key_pairs: KeyPairsTable;
  instance_groups: InstanceGroupsTable;
  instance_group_member: InstanceGroupMemberTable;
}
