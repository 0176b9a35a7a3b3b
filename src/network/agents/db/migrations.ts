/** The agents table, as neutron's (unique per agent_type and host). Portable SQL only. */
import type { Kysely, Migration } from 'kysely';

/** Keys sort after the core '001_core' and ML2's '002_ml2_...'. */
export const agentMigrations: Record<string, Migration> = {
  '003_agents_table': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('agents')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('agent_type', 'varchar(255)', (c) => c.notNull())
        .addColumn('binary', 'varchar(255)', (c) => c.notNull())
        .addColumn('topic', 'varchar(255)', (c) => c.notNull())
        .addColumn('host', 'varchar(255)', (c) => c.notNull())
        .addColumn('availability_zone', 'varchar(255)')
        .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('heartbeat_timestamp', 'varchar(32)', (c) => c.notNull())
        .addColumn('description', 'varchar(255)')
        .addColumn('configurations', 'text', (c) => c.notNull())
        .addColumn('resource_versions', 'text')
        .addColumn('load', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('resources_synced', 'integer')
        .addUniqueConstraint('uniq_agents0agent_type0host', ['agent_type', 'host'])
        .execute();
      await db.schema.createIndex('ix_agents_host').on('agents').column('host').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('agents').execute();
    },
  },
};
