/**
 * networkdhcpagentbindings (neutron's NetworkDhcpAgentBinding): the DHCP agents a
 * network is scheduled to. Neutron's foreign keys cascade from networks and agents;
 * Nimbus deletes a network's and an agent's bindings itself (db/dhcp-agents.ts), so the
 * table stays portable without them. Portable SQL only.
 */
import type { Kysely, Migration } from 'kysely';

/** Keys sort after '011_routerl3agentbindings'. */
export const dhcpMigrations: Record<string, Migration> = {
  '012_network_dhcp_agent_bindings': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('networkdhcpagentbindings')
        .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('dhcp_agent_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('binding_index', 'integer', (c) => c.notNull().defaultTo(1))
        .addPrimaryKeyConstraint('pk_networkdhcpagentbindings', ['network_id', 'dhcp_agent_id'])
        .addUniqueConstraint('uniq_network_dhcp_agent_binding0network_id0binding_index0', ['network_id', 'binding_index'])
        .execute();
      await db.schema.createIndex('ix_networkdhcpagentbindings_dhcp_agent_id').on('networkdhcpagentbindings').column('dhcp_agent_id').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('networkdhcpagentbindings').execute();
    },
  },
};
