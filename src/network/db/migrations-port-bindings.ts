/**
 * Multiple port bindings (binding-extended): ml2_port_bindings keyed by (port_id, host)
 * with a status column, as neutron's PortBinding model since Rocky, so a port can hold
 * its ACTIVE binding and INACTIVE ones for other hosts (live migration's destination).
 * SQLite cannot change a primary key in place: the table is rebuilt and every existing
 * row (one per port) becomes that port's ACTIVE binding. Portable SQL only.
 */
import { type Kysely, type Migration, sql } from 'kysely';

const COLUMNS = ['port_id', 'host', 'vnic_type', 'profile', 'vif_type', 'vif_details'] as const;

/** Keys sort after '007_subnetpools'. */
export const portBindingMigrations: Record<string, Migration> = {
  '008_port_bindings_host_key': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('ml2_port_bindings_new')
        .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
        .addColumn('host', 'varchar(255)', (c) => c.notNull())
        .addColumn('vnic_type', 'varchar(64)', (c) => c.notNull())
        .addColumn('profile', 'varchar(4095)', (c) => c.notNull())
        .addColumn('vif_type', 'varchar(64)', (c) => c.notNull())
        .addColumn('vif_details', 'varchar(4095)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('ACTIVE'))
        .addPrimaryKeyConstraint('pk_ml2_port_bindings', ['port_id', 'host'])
        .execute();
      await db
        .insertInto('ml2_port_bindings_new')
        .columns([...COLUMNS, 'status'])
        .expression(db.selectFrom('ml2_port_bindings').select([...COLUMNS, sql<string>`'ACTIVE'`.as('status')]))
        .execute();
      // Dropping the table drops its index in every dialect (DROP INDEX alone needs ON
      // <table> on MariaDB and must not have it elsewhere).
      await db.schema.dropTable('ml2_port_bindings').execute();
      await db.schema.alterTable('ml2_port_bindings_new').renameTo('ml2_port_bindings').execute();
      await db.schema.createIndex('ix_ml2_port_bindings_host').on('ml2_port_bindings').column('host').execute();
    },
  },
};
