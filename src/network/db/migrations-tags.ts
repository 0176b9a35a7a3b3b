/**
 * The tags table of neutron's standard-attr-tag extension. Neutron keys tags by the
 * standardattributes id; Nimbus has no such table, so a tag names its parent by
 * (resource_type, resource_id), resource_type being the collection ('networks',
 * 'security_groups'...). Portable SQL only.
 */
import type { Kysely, Migration } from 'kysely';

/** Keys sort after '003_agents_table'. */
export const tagMigrations: Record<string, Migration> = {
  '004_tags': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('tags')
        .addColumn('resource_type', 'varchar(32)', (c) => c.notNull())
        .addColumn('resource_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('tag', 'varchar(255)', (c) => c.notNull())
        .addPrimaryKeyConstraint('pk_tags', ['resource_type', 'resource_id', 'tag'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('tags').execute();
    },
  },
};
