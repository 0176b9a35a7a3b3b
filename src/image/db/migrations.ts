/** The image service's schema migrations, applied by `migrate()` under the table prefix "image". */
import type { Kysely, Migration } from 'kysely';
import { snapshotTableMigration } from '../../db/table-snapshot.js';

/** Migration name → migration; names sort in application order. */
export const IMAGE_MIGRATIONS: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('images')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)')
        .addColumn('status', 'varchar(30)', (c) => c.notNull())
        .addColumn('visibility', 'varchar(20)', (c) => c.notNull())
        .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('os_hidden', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('owner', 'varchar(255)')
        .addColumn('disk_format', 'varchar(20)')
        .addColumn('container_format', 'varchar(20)')
        .addColumn('size', 'bigint')
        .addColumn('virtual_size', 'bigint')
        .addColumn('checksum', 'varchar(32)')
        .addColumn('os_hash_algo', 'varchar(64)')
        .addColumn('os_hash_value', 'varchar(128)')
        .addColumn('min_disk', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('min_ram', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ix_images_owner').on('images').column('owner').execute();
      await db.schema.createIndex('ix_images_visibility').on('images').column('visibility').execute();
      await db.schema.createIndex('ix_images_name').on('images').column('name').execute();
      await db.schema
        .createTable('image_properties')
        .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id').onDelete('cascade'))
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('pk_image_properties', ['image_id', 'name'])
        .execute();
      await db.schema
        .createTable('image_tags')
        .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id').onDelete('cascade'))
        .addColumn('value', 'varchar(255)', (c) => c.notNull())
        .addPrimaryKeyConstraint('pk_image_tags', ['image_id', 'value'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['image_tags', 'image_properties', 'images']) await db.schema.dropTable(t).execute();
    },
  },
  '0002_image_members': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('image_members')
        .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id').onDelete('cascade'))
        .addColumn('member', 'varchar(255)', (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('pk_image_members', ['image_id', 'member'])
        .execute();
      // The image list looks memberships up by member project.
      await db.schema.createIndex('ix_image_members_member').on('image_members').column('member').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('image_members').execute();
    },
  },
  /** The metadefs API's tables (task i9). */
  '0003_i9_metadefs': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('metadef_namespaces')
        .addColumn('namespace', 'varchar(80)', (c) => c.primaryKey())
        .addColumn('display_name', 'varchar(80)')
        .addColumn('description', 'text')
        .addColumn('visibility', 'varchar(32)', (c) => c.notNull())
        .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('owner', 'varchar(255)')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('metadef_resource_types')
        .addColumn('name', 'varchar(80)', (c) => c.primaryKey())
        .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('metadef_items')
        .addColumn('namespace', 'varchar(80)', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('pk_metadef_items', ['namespace', 'kind', 'name'])
        .execute();
    },
  },
  '0004_nimbus_snapshots': snapshotTableMigration,
};
