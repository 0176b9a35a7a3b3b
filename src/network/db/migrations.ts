/** neutron-server's schema. Portable SQL only (see src/db/database.ts). */
import { traceEventsMigration } from '../../db/trace-events.js';
import type { Kysely, Migration } from 'kysely';
import { snapshotTableMigration } from '../../db/table-snapshot.js';
import { agentMigrations } from '../agents/db/migrations.js';
import { ml2Migrations } from '../ml2/db/migrations.js';
import { portBindingMigrations } from './migrations-port-bindings.js';
import { tunnelEndpointMigrations } from './tunnel-endpoints.js';
import { routerMigrations } from './migrations-routers.js';
import { subnetpoolMigrations } from './migrations-subnetpools.js';
import { tagMigrations } from './migrations-tags.js';


const core: Migration = {
  async up(db: Kysely<any>) {
    const standard = (t: any) =>
      t
        .addColumn('description', 'varchar(255)', (c: any) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'varchar(32)', (c: any) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c: any) => c.notNull())
        .addColumn('revision_number', 'integer', (c: any) => c.notNull().defaultTo(0));
    await standard(
      db.schema
        .createTable('networks')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('admin_state_up', 'integer', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('shared', 'integer', (c) => c.notNull())
        .addColumn('mtu', 'integer', (c) => c.notNull())
        .addColumn('port_security_enabled', 'integer', (c) => c.notNull())
        .addColumn('router_external', 'integer', (c) => c.notNull())
        .addColumn('availability_zone_hints', 'varchar(255)', (c) => c.notNull()),
    ).execute();
    await db.schema.createIndex('ix_networks_project_id').on('networks').column('project_id').execute();
    await standard(
      db.schema
        .createTable('subnets')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id').onDelete('cascade'))
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('ip_version', 'integer', (c) => c.notNull())
        .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
        .addColumn('gateway_ip', 'varchar(64)')
        .addColumn('enable_dhcp', 'integer', (c) => c.notNull())
        .addColumn('ipv6_ra_mode', 'varchar(16)')
        .addColumn('ipv6_address_mode', 'varchar(16)')
        .addColumn('pool_size', 'varchar(64)', (c) => c.notNull()),
    ).execute();
    await db.schema.createIndex('ix_subnets_network_id').on('subnets').column('network_id').execute();
    await db.schema
      .createTable('ipallocationpools')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id').onDelete('cascade'))
      .addColumn('first_ip', 'varchar(64)', (c) => c.notNull())
      .addColumn('last_ip', 'varchar(64)', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('dnsnameservers')
      .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id').onDelete('cascade'))
      .addColumn('address', 'varchar(128)', (c) => c.notNull())
      .addColumn('order', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('pk_dnsnameservers', ['subnet_id', 'address'])
      .execute();
    await db.schema
      .createTable('subnetroutes')
      .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id').onDelete('cascade'))
      .addColumn('destination', 'varchar(64)', (c) => c.notNull())
      .addColumn('nexthop', 'varchar(64)', (c) => c.notNull())
      .addPrimaryKeyConstraint('pk_subnetroutes', ['subnet_id', 'destination', 'nexthop'])
      .execute();
    await standard(
      db.schema
        .createTable('ports')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id'))
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
        .addColumn('admin_state_up', 'integer', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('device_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('device_owner', 'varchar(255)', (c) => c.notNull())
        .addColumn('port_security_enabled', 'integer', (c) => c.notNull())
        .addUniqueConstraint('uniq_ports0network_id0mac_address', ['network_id', 'mac_address']),
    ).execute();
    await db.schema.createIndex('ix_ports_device_id').on('ports').column('device_id').execute();
    await db.schema.createIndex('ix_ports_project_id').on('ports').column('project_id').execute();
    await db.schema
      .createTable('ipallocations')
      .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
      .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
      .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id'))
      .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
      .addPrimaryKeyConstraint('pk_ipallocations', ['subnet_id', 'ip_address'])
      .execute();
    await db.schema.createIndex('ix_ipallocations_port_id').on('ipallocations').column('port_id').execute();
    await db.schema
      .createTable('allowedaddresspairs')
      .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
      .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
      .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
      .addPrimaryKeyConstraint('pk_allowedaddresspairs', ['port_id', 'mac_address', 'ip_address'])
      .execute();
    await db.schema
      .createTable('extradhcpopts')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
      .addColumn('opt_name', 'varchar(64)', (c) => c.notNull())
      .addColumn('opt_value', 'varchar(255)', (c) => c.notNull())
      .addColumn('ip_version', 'integer', (c) => c.notNull())
      .addUniqueConstraint('uniq_extradhcpopts0portid0optname0ipversion', ['port_id', 'opt_name', 'ip_version'])
      .execute();
    await standard(
      db.schema
        .createTable('securitygroups')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('stateful', 'integer', (c) => c.notNull()),
    ).execute();
    await db.schema
      .createTable('default_security_group')
      .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().references('securitygroups.id').onDelete('cascade'))
      .execute();
    await standard(
      db.schema
        .createTable('securitygrouprules')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().references('securitygroups.id').onDelete('cascade'))
        .addColumn('remote_group_id', 'varchar(36)')
        .addColumn('remote_address_group_id', 'varchar(36)')
        .addColumn('direction', 'varchar(16)', (c) => c.notNull())
        .addColumn('ethertype', 'varchar(16)', (c) => c.notNull())
        .addColumn('protocol', 'varchar(40)')
        .addColumn('port_range_min', 'integer')
        .addColumn('port_range_max', 'integer')
        .addColumn('remote_ip_prefix', 'varchar(255)'),
    ).execute();
    await db.schema
      .createTable('securitygroupportbindings')
      .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
      .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().references('securitygroups.id'))
      .addPrimaryKeyConstraint('pk_sgportbindings', ['port_id', 'security_group_id'])
      .execute();
    await standard(
      db.schema
        .createTable('floatingips')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('floating_ip_address', 'varchar(64)', (c) => c.notNull())
        .addColumn('floating_network_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('floating_port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
        .addColumn('fixed_port_id', 'varchar(36)')
        .addColumn('fixed_ip_address', 'varchar(64)')
        .addColumn('router_id', 'varchar(36)')
        .addColumn('status', 'varchar(16)', (c) => c.notNull()),
    ).execute();
    await db.schema
      .createTable('quotas')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource', 'varchar(255)', (c) => c.notNull())
      .addColumn('limit', 'integer', (c) => c.notNull())
      .addUniqueConstraint('uniq_quotas0project_id0resource', ['project_id', 'resource'])
      .execute();
    await db.schema
      .createTable('ml2_port_bindings')
      .addColumn('port_id', 'varchar(36)', (c) => c.primaryKey().references('ports.id').onDelete('cascade'))
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addColumn('vnic_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('profile', 'varchar(4095)', (c) => c.notNull())
      .addColumn('vif_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('vif_details', 'varchar(4095)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('ix_ml2_port_bindings_host').on('ml2_port_bindings').column('host').execute();
  },
};

/**
 * The port lookups nova makes on every network info refresh: each subnet's DHCP ports
 * (neutron's ix_ports_network_id_device_owner) and an instance's ports by device and
 * project (with one index per column, SQLite would walk the whole project).
 */
const portIndexes: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('ix_ports_device_id_project_id').on('ports').columns(['device_id', 'project_id']).execute();
    await db.schema.createIndex('ix_ports_network_id_device_owner').on('ports').columns(['network_id', 'device_owner']).execute();
  },
};

/** Every neutron migration, core first, then ML2's, the agents', the tags', the routers', the subnet pools' and multiple port bindings'. */
export const neutronMigrations: Record<string, Migration> = {
  '001_core': core,
  ...ml2Migrations,
  ...agentMigrations,
  ...tagMigrations,
  '005_port_indexes': portIndexes,
  ...routerMigrations,
  ...subnetpoolMigrations,
  ...portBindingMigrations,
  '009_nimbus_trace_events': traceEventsMigration,
  '010_nimbus_snapshots': snapshotTableMigration,
  ...tunnelEndpointMigrations,
};
