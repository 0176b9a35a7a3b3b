/**
 * The tables of neutron's subnet pools (neutron/db/models_v2.py SubnetPool and
 * SubnetPoolPrefix) and the subnets' subnetpool_id column. `hash` is the row neutron's
 * SubnetAllocator rewrites to serialise allocations from one pool. No address scopes:
 * address_scope_id is not stored. Portable SQL only.
 */
import type { Kysely, Migration } from 'kysely';

/** Keys sort after '006_routers'. */
export const subnetpoolMigrations: Record<string, Migration> = {
  '007_subnetpools': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('subnetpools')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('ip_version', 'integer', (c) => c.notNull())
        .addColumn('default_prefixlen', 'integer', (c) => c.notNull())
        .addColumn('min_prefixlen', 'integer', (c) => c.notNull())
        .addColumn('max_prefixlen', 'integer', (c) => c.notNull())
        .addColumn('shared', 'integer', (c) => c.notNull())
        .addColumn('is_default', 'integer', (c) => c.notNull())
        .addColumn('default_quota', 'integer')
        .addColumn('hash', 'varchar(36)', (c) => c.notNull().defaultTo(''))
        .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('ix_subnetpools_project_id').on('subnetpools').column('project_id').execute();
      await db.schema
        .createTable('subnetpoolprefixes')
        .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
        .addColumn('subnetpool_id', 'varchar(36)', (c) => c.notNull().references('subnetpools.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('pk_subnetpoolprefixes', ['cidr', 'subnetpool_id'])
        .execute();
      await db.schema.createIndex('ix_subnetpoolprefixes_subnetpool_id').on('subnetpoolprefixes').column('subnetpool_id').execute();
      await db.schema.alterTable('subnets').addColumn('subnetpool_id', 'varchar(36)').execute();
      await db.schema.createIndex('ix_subnets_subnetpool_id').on('subnets').column('subnetpool_id').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('ix_subnets_subnetpool_id').execute();
      await db.schema.alterTable('subnets').dropColumn('subnetpool_id').execute();
      await db.schema.dropTable('subnetpoolprefixes').execute();
      await db.schema.dropTable('subnetpools').execute();
    },
  },
};
