/**
 * routerl3agentbindings (neutron/db/models/l3agent.py RouterL3AgentBinding): which L3
 * agent hosts a router (legacy routers: one binding, binding_index 1). Portable SQL only.
 */
import type { Kysely, Migration } from 'kysely';

/** Keys sort after '010_nimbus_snapshots'. */
export const l3AgentMigrations: Record<string, Migration> = {
  '011_routerl3agentbindings': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('routerl3agentbindings')
        .addColumn('router_id', 'varchar(36)', (c) => c.notNull().references('routers.id').onDelete('cascade'))
        .addColumn('l3_agent_id', 'varchar(36)', (c) => c.notNull().references('agents.id').onDelete('cascade'))
        .addColumn('binding_index', 'integer', (c) => c.notNull().defaultTo(1))
        .addPrimaryKeyConstraint('pk_routerl3agentbindings', ['router_id', 'l3_agent_id'])
        .addUniqueConstraint('uniq_router_l3_agent_binding0router_id0binding_index0', ['router_id', 'binding_index'])
        .execute();
      await db.schema.createIndex('ix_routerl3agentbindings_l3_agent_id').on('routerl3agentbindings').column('l3_agent_id').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('routerl3agentbindings').execute();
    },
  },
};
