/**
 * Copies of a running service's SQLite database, for `nimbus snapshot save|load` and
 * reset (src/deploy/snapshots.ts): VACUUM INTO writes a consistent copy while the
 * service keeps its connection, and a restore copies every table back through that same
 * connection (ATTACH, then DELETE and INSERT ... SELECT in one transaction), so the
 * service never reopens its database. SQLite only: a server database (PostgreSQL,
 * MariaDB) has its own dump tools, and the caller refuses those.
 */
import { type Kysely, sql } from 'kysely';

/** Writes a consistent copy of the database to `file` (which must not exist). */
export async function saveSqliteCopy(db: Kysely<unknown>, file: string): Promise<void> {
  await sql`VACUUM INTO ${file}`.execute(db);
}

/**
 * Replaces every table's rows with the copy's, except `keep` (rows that describe the
 * running processes, such as heartbeats, stay as they are). One transaction, with
 * foreign keys checked off while tables are emptied and refilled in any order.
 */
export async function restoreSqliteCopy(db: Kysely<unknown>, file: string, keep: readonly string[]): Promise<void> {
  // One connection held throughout: no other query of the service runs in between.
  await db.connection().execute(async (c) => {
    await sql`ATTACH DATABASE ${file} AS snap`.execute(c);
    try {
      await sql`PRAGMA foreign_keys = OFF`.execute(c);
      const tables = (await sql<{ name: string }>`SELECT name FROM snap.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`.execute(c)).rows.map((r) => r.name);
      const live = new Set((await sql<{ name: string }>`SELECT name FROM main.sqlite_master WHERE type = 'table'`.execute(c)).rows.map((r) => r.name));
      await sql`BEGIN`.execute(c);
      try {
        for (const t of tables) {
          if (keep.includes(t) || !live.has(t)) continue;
          const cols = (await sql<{ name: string }>`SELECT name FROM pragma_table_info(${t}, 'snap')`.execute(c)).rows.map((r) => sql.id(r.name));
          await sql`DELETE FROM main.${sql.id(t)}`.execute(c);
          await sql`INSERT INTO main.${sql.id(t)} (${sql.join(cols)}) SELECT ${sql.join(cols)} FROM snap.${sql.id(t)}`.execute(c);
        }
        if (live.has('sqlite_sequence')) {
          await sql`DELETE FROM main.sqlite_sequence`.execute(c);
          await sql`INSERT INTO main.sqlite_sequence SELECT * FROM snap.sqlite_sequence`.execute(c);
        }
        await sql`COMMIT`.execute(c);
      } catch (e) {
        await sql`ROLLBACK`.execute(c);
        throw e;
      }
    } finally {
      await sql`PRAGMA foreign_keys = ON`.execute(c);
      await sql`DETACH DATABASE snap`.execute(c);
    }
  });
}
