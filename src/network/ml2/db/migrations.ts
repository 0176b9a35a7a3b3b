/**
 * ML2's schema: networksegments and the allocation tables of the flat, vlan and vxlan
 * type drivers, as neutron's models. Portable SQL only (integers for booleans,
 * varchar for indexed text). No foreign key to networks: the core plugin deletes a
 * network's segments through Ml2.releaseNetworkSegments in the same transaction.
 */
import { type Kysely, type Migration } from 'kysely';

/** Keys sort after the core plugin's '001_core'. */
export const ml2Migrations: Record<string, Migration> = {
  '002_ml2_segments_and_allocations': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('networksegments')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
        .addColumn('physical_network', 'varchar(64)')
        .addColumn('segmentation_id', 'integer')
        .addColumn('segment_index', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('is_dynamic', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('ix_networksegments_network_id').on('networksegments').column('network_id').execute();

      await db.schema
        .createTable('ml2_vlan_allocations')
        .addColumn('physical_network', 'varchar(64)', (c) => c.notNull())
        .addColumn('vlan_id', 'integer', (c) => c.notNull())
        .addColumn('allocated', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('pk_ml2_vlan_allocations', ['physical_network', 'vlan_id'])
        .execute();
      await db.schema
        .createIndex('ix_ml2_vlan_allocations_physical_network_allocated')
        .on('ml2_vlan_allocations')
        .columns(['physical_network', 'allocated'])
        .execute();

      await db.schema
        .createTable('ml2_vxlan_allocations')
        .addColumn('vxlan_vni', 'integer', (c) => c.primaryKey())
        .addColumn('allocated', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('ix_ml2_vxlan_allocations_allocated').on('ml2_vxlan_allocations').column('allocated').execute();

      await db.schema
        .createTable('ml2_flat_allocations')
        .addColumn('physical_network', 'varchar(64)', (c) => c.primaryKey())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of ['ml2_flat_allocations', 'ml2_vxlan_allocations', 'ml2_vlan_allocations', 'networksegments']) {
        await db.schema.dropTable(t).execute();
      }
    },
  },
};
