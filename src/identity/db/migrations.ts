/**
 * The identity schema, portable to SQLite, PostgreSQL and MySQL: booleans as 0/1
 * integers, times as ISO text, bounded varchar on every indexed column.
 */
import type { Kysely, Migration } from 'kysely';
import { snapshotTableMigration } from '../../db/table-snapshot.js';

/** Migrations by name, applied in name order with the table prefix 'identity'. */
export const identityMigrations: Record<string, Migration> = {
  '001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('identity_projects')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('domain_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addUniqueConstraint('identity_projects_domain_name', ['domain_id', 'name'])
        .execute();
      await db.schema
        .createTable('identity_users')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('domain_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('password_hash', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('default_project_id', 'varchar(64)')
        .addColumn('description', 'text')
        .addColumn('email', 'text')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addUniqueConstraint('identity_users_domain_name', ['domain_id', 'name'])
        .execute();
      await db.schema
        .createTable('identity_roles')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('immutable', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('identity_implied_roles')
        .addColumn('prior_role_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('implied_role_id', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('identity_implied_roles_pk', ['prior_role_id', 'implied_role_id'])
        .execute();
      await db.schema
        .createTable('identity_assignments')
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('role_id', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('identity_assignments_pk', ['user_id', 'project_id', 'role_id'])
        .execute();
      await db.schema
        .createTable('identity_revocations')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('audit_id', 'varchar(64)')
        .addColumn('user_id', 'varchar(64)')
        .addColumn('project_id', 'varchar(64)')
        .addColumn('issued_before', 'varchar(32)', (c) => c.notNull())
        .addColumn('revoked_at', 'varchar(32)', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['identity_revocations', 'identity_assignments', 'identity_implied_roles', 'identity_roles', 'identity_users', 'identity_projects']) {
        await db.schema.dropTable(t).execute();
      }
    },
  },
  '002_nimbus_snapshots': snapshotTableMigration,
};
