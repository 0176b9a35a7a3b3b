/**
 * The tables of neutron's L3 router plugin (neutron/db/models/l3.py): routers, the
 * ports each router holds (routerports, one owner per port) and its extra routes
 * (routerroutes). enable_snat lives on the router row as in Zed's model. Portable SQL only.
 */
import type { Kysely, Migration } from 'kysely';

/** Keys sort after '005_port_indexes'. */
export const routerMigrations: Record<string, Migration> = {
  '006_routers': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('routers')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('admin_state_up', 'integer', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('gw_port_id', 'varchar(36)')
        .addColumn('enable_snat', 'integer', (c) => c.notNull())
        .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('ix_routers_project_id').on('routers').column('project_id').execute();
      await db.schema
        .createTable('routerports')
        .addColumn('router_id', 'varchar(36)', (c) => c.notNull().references('routers.id').onDelete('cascade'))
        .addColumn('port_id', 'varchar(36)', (c) => c.primaryKey().references('ports.id').onDelete('cascade'))
        .addColumn('port_type', 'varchar(255)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ix_routerports_router_id').on('routerports').column('router_id').execute();
      await db.schema
        .createTable('routerroutes')
        .addColumn('router_id', 'varchar(36)', (c) => c.notNull().references('routers.id').onDelete('cascade'))
        .addColumn('destination', 'varchar(64)', (c) => c.notNull())
        .addColumn('nexthop', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('pk_routerroutes', ['router_id', 'destination', 'nexthop'])
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('routerroutes').execute();
      await db.schema.dropTable('routerports').execute();
      await db.schema.dropTable('routers').execute();
    },
  },
};
