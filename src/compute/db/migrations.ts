/** nova's schema. Portable SQL only (see src/db/database.ts). */
import { traceEventsMigration } from '../../db/trace-events.js';
import type { Kysely, Migration } from 'kysely';
import { withAutoId } from '../../db/database.js';
import { snapshotTableMigration } from '../../db/table-snapshot.js';

const core: Migration = {
  async up(db: Kysely<any>) {
    await withAutoId(db, db.schema.createTable('services'))
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addColumn('binary', 'varchar(255)', (c) => c.notNull())
      .addColumn('topic', 'varchar(255)')
      .addColumn('report_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('disabled_reason', 'varchar(255)')
      .addColumn('forced_down', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_seen_up', 'varchar(32)')
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)')
      .addUniqueConstraint('uniq_services_host_binary', ['host', 'binary'])
      .execute();
    await withAutoId(db, db.schema.createTable('compute_nodes'))
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addColumn('hypervisor_hostname', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('hypervisor_type', 'varchar(255)', (c) => c.notNull())
      .addColumn('hypervisor_version', 'integer', (c) => c.notNull())
      .addColumn('host_ip', 'varchar(64)', (c) => c.notNull())
      .addColumn('vcpus', 'integer', (c) => c.notNull())
      .addColumn('memory_mb', 'integer', (c) => c.notNull())
      .addColumn('local_gb', 'integer', (c) => c.notNull())
      .addColumn('vcpus_used', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('memory_mb_used', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('local_gb_used', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('running_vms', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('cpu_info', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)')
      .execute();
    await withAutoId(db, db.schema.createTable('flavors'))
      .addColumn('flavorid', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('memory_mb', 'integer', (c) => c.notNull())
      .addColumn('vcpus', 'integer', (c) => c.notNull())
      .addColumn('root_gb', 'integer', (c) => c.notNull())
      .addColumn('ephemeral_gb', 'integer', (c) => c.notNull())
      .addColumn('swap', 'integer', (c) => c.notNull())
      .addColumn('rxtx_factor', 'real', (c) => c.notNull())
      .addColumn('vcpu_weight', 'integer')
      .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('description', 'text')
      .addColumn('extra_specs', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)')
      .execute();
    await db.schema
      .createTable('flavor_projects')
      .addColumn('flavor_id', 'integer', (c) => c.notNull().references('flavors.id').onDelete('cascade'))
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('pk_flavor_projects', ['flavor_id', 'project_id'])
      .execute();
    await withAutoId(db, db.schema.createTable('instances'))
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('display_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('display_description', 'text')
      .addColumn('hostname', 'varchar(255)', (c) => c.notNull())
      .addColumn('host', 'varchar(255)')
      .addColumn('node', 'varchar(255)')
      .addColumn('launched_on', 'varchar(255)')
      .addColumn('availability_zone', 'varchar(255)')
      .addColumn('vm_state', 'varchar(255)', (c) => c.notNull())
      .addColumn('task_state', 'varchar(255)')
      .addColumn('power_state', 'integer', (c) => c.notNull())
      .addColumn('image_ref', 'varchar(255)', (c) => c.notNull())
      .addColumn('flavor', 'text', (c) => c.notNull())
      .addColumn('key_name', 'varchar(255)')
      .addColumn('user_data', 'text')
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('system_metadata', 'text', (c) => c.notNull())
      .addColumn('requested_networks', 'text', (c) => c.notNull())
      .addColumn('security_groups', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('config_drive', 'varchar(255)', (c) => c.notNull())
      .addColumn('access_ip_v4', 'varchar(64)')
      .addColumn('access_ip_v6', 'varchar(64)')
      .addColumn('reservation_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('launch_index', 'integer', (c) => c.notNull())
      .addColumn('root_device_name', 'varchar(255)')
      .addColumn('locked', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('locked_by', 'varchar(255)')
      .addColumn('locked_reason', 'text')
      .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('launched_at', 'varchar(32)')
      .addColumn('terminated_at', 'varchar(32)')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)')
      .addColumn('deleted_at', 'varchar(32)')
      .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('ix_instances_project_deleted').on('instances').columns(['project_id', 'deleted']).execute();
    await db.schema.createIndex('ix_instances_host_deleted').on('instances').columns(['host', 'deleted']).execute();
    await db.schema
      .createTable('instance_info_caches')
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('network_info', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)')
      .execute();
    await withAutoId(db, db.schema.createTable('instance_faults'))
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('code', 'integer', (c) => c.notNull())
      .addColumn('message', 'varchar(255)', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('host', 'varchar(255)')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('ix_instance_faults_instance').on('instance_faults').column('instance_uuid').execute();
    await withAutoId(db, db.schema.createTable('instance_actions'))
      .addColumn('action', 'varchar(255)', (c) => c.notNull())
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('request_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('start_time', 'varchar(32)', (c) => c.notNull())
      .addColumn('finish_time', 'varchar(32)')
      .addColumn('message', 'varchar(255)')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)')
      .execute();
    await db.schema.createIndex('ix_instance_actions_instance_request').on('instance_actions').columns(['instance_uuid', 'request_id']).execute();
    await withAutoId(db, db.schema.createTable('instance_actions_events'))
      .addColumn('action_id', 'integer', (c) => c.notNull().references('instance_actions.id').onDelete('cascade'))
      .addColumn('event', 'varchar(255)', (c) => c.notNull())
      .addColumn('start_time', 'varchar(32)', (c) => c.notNull())
      .addColumn('finish_time', 'varchar(32)')
      .addColumn('result', 'varchar(255)')
      .addColumn('traceback', 'text')
      .addColumn('host', 'varchar(255)')
      .addColumn('details', 'text')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)')
      .execute();
    await db.schema.createIndex('ix_instance_actions_events_action').on('instance_actions_events').column('action_id').execute();
    // Placement's allocations, folded in: what the scheduler claimed on each host.
    await db.schema
      .createTable('allocations')
      .addColumn('consumer_uuid', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addColumn('vcpus', 'integer', (c) => c.notNull())
      .addColumn('memory_mb', 'integer', (c) => c.notNull())
      .addColumn('disk_gb', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('quotas')
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource', 'varchar(255)', (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('pk_quotas', ['project_id', 'resource'])
      .execute();
  },
};

/** nova's instances.vcpus/memory_mb/root_gb/ephemeral_gb: usage sums without parsing every flavor. */
const instanceResources: Migration = {
  async up(db: Kysely<any>) {
    for (const col of ['vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb']) {
      await db.schema.alterTable('instances').addColumn(col, 'integer', (c) => c.notNull().defaultTo(0)).execute();
    }
    const rows: { id: number; flavor: string }[] = await db.selectFrom('instances').select(['id', 'flavor']).execute();
    for (const r of rows) {
      const f = JSON.parse(r.flavor) as { vcpus: number; memory_mb: number; root_gb: number; ephemeral_gb: number };
      await db.updateTable('instances').set({ vcpus: f.vcpus, memory_mb: f.memory_mb, root_gb: f.root_gb, ephemeral_gb: f.ephemeral_gb }).where('id', '=', r.id).execute();
    }
  },
};

/** instances.auto_disk_config (OS-DCF:diskConfig); servers made before it are MANUAL. */
const autoDiskConfig: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('instances').addColumn('auto_disk_config', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  },
};

/**
 * nova_api's key_pairs. Only read so far (a boot's key_name must name one of the user's
 * keypairs); os-keypairs will write it.
 */
const keyPairs: Migration = {
  async up(db: Kysely<any>) {
    await withAutoId(db, db.schema.createTable('key_pairs'))
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('fingerprint', 'varchar(255)')
      .addColumn('public_key', 'text')
      .addColumn('type', 'varchar(8)', (c) => c.notNull().defaultTo('ssh'))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)')
      .addUniqueConstraint('uniq_key_pairs0user_id0name', ['user_id', 'name'])
      .execute();
  },
};

/**
 * os-keypairs and os-server-groups (KP): the key a boot injected (instances.key_data),
 * and nova_api's instance_groups with their members. A group's policy and rules are
 * one row (nova's instance_group_policy table holds one policy per group since 2.64).
 */
const kpServerGroups: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('instances').addColumn('key_data', 'text').execute();
    await withAutoId(db, db.schema.createTable('instance_groups'))
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(255)')
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('policy', 'varchar(255)', (c) => c.notNull())
      .addColumn('rules', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)')
      .execute();
    await withAutoId(db, db.schema.createTable('instance_group_member'))
      .addColumn('group_id', 'integer', (c) => c.notNull())
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('instance_group_member_instance_idx').on('instance_group_member').column('instance_uuid').execute();
    await db.schema.createIndex('instance_group_member_group_idx').on('instance_group_member').column('group_id').execute();
  },
};

/** nova_api's project_user_quotas and quota_classes (per-user limits, os-quota-class-sets). */
const i9Quotas: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('project_user_quotas')
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource', 'varchar(255)', (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('pk_project_user_quotas', ['project_id', 'user_id', 'resource'])
      .execute();
    await db.schema
      .createTable('quota_classes')
      .addColumn('class_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource', 'varchar(255)', (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('pk_quota_classes', ['class_name', 'resource'])
      .execute();
  },
};

/**
 * Resize and cold migration: nova's migrations table (one row per move, its consumer
 * uuid holding the source's allocation while the move is unconfirmed) and the
 * instance's old_flavor/new_flavor (instance_extra's columns of those names, JSON).
 */
const migrationsTable: Migration = {
  async up(db: Kysely<any>) {
    await withAutoId(db, db.schema.createTable('migrations'))
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('source_compute', 'varchar(255)')
      .addColumn('dest_compute', 'varchar(255)')
      .addColumn('source_node', 'varchar(255)')
      .addColumn('dest_node', 'varchar(255)')
      .addColumn('dest_host', 'varchar(255)')
      .addColumn('old_instance_type_id', 'integer')
      .addColumn('new_instance_type_id', 'integer')
      .addColumn('status', 'varchar(255)', (c) => c.notNull())
      .addColumn('migration_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('hidden', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('cross_cell_move', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('user_id', 'varchar(255)')
      .addColumn('project_id', 'varchar(255)')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)')
      .addColumn('deleted_at', 'varchar(32)')
      .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('migrations_instance_uuid_and_status_idx').on('migrations').columns(['instance_uuid', 'status']).execute();
    await db.schema.alterTable('instances').addColumn('old_flavor', 'text').execute();
    await db.schema.alterTable('instances').addColumn('new_flavor', 'text').execute();
  },
};

/**
 * nova's instances_uuid_deleted_idx. Every instance lookup and conditional update filters
 * on (uuid, deleted); with only the unique uuid index beside (host, deleted), PostgreSQL
 * planned those on statistics taken while the table was empty and walked the whole
 * (host, deleted) index for each one: O(instances) per lookup during a burst of boots.
 */
const instancesUuidDeleted: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('instances_uuid_deleted_idx').on('instances').columns(['uuid', 'deleted']).execute();
  },
};

export const novaMigrations: Record<string, Migration> = {
  '001_core': core,
  '002_instance_resources': instanceResources,
  '003_key_pairs': keyPairs,
  '004_kp_server_groups': kpServerGroups,
  '005_user_quotas_and_classes': i9Quotas,
  '006_migrations': migrationsTable,
  '007_auto_disk_config': autoDiskConfig,
  '008_instances_uuid_deleted_idx': instancesUuidDeleted,
  '009_nimbus_trace_events': traceEventsMigration,
  '010_nimbus_snapshots': snapshotTableMigration,
};
