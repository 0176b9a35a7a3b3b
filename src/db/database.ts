/**
 * One query layer for every service: Kysely over SQLite (embedded), PostgreSQL or
 * MySQL/MariaDB (distributed). Services write SQL through Kysely's builder only, with
 * types all three accept: booleans are integers 0/1, timestamps ISO-8601 text, JSON
 * text, identifiers varchar(36)/varchar(64). No INSERT OR IGNORE / ON CONFLICT: a
 * unique violation is caught with `isUniqueViolation`, which knows each dialect.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';

export type DialectName = 'sqlite' | 'postgres' | 'mysql';

export interface Db<T> {
  kysely: Kysely<T>;
  dialect: DialectName;
  close(): Promise<void>;
}

/**
 * Opens a database from a URL: `sqlite:///abs/path.sqlite`, `sqlite://:memory:`, a bare
 * path, `postgresql://...` or `mysql://...`.
 */
export function openDatabase<T>(url: string): Db<T> {
  if (/^(postgres|postgresql|mysql|mysql\+pymysql):\/\//.test(url)) {
    throw new Error(`database ${url.split(':')[0]} is not supported yet: only sqlite is wired in this version`);
  }
  const path = url.replace(/^sqlite:\/\//, '').replace(/^\/(\/)/, '$1') || ':memory:';
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  // One process owns an embedded database (several hosts share PostgreSQL/MariaDB
  // instead): holding the lock spares every statement WAL's shared-memory locking,
  // a third of a simple read's cost. Another process opening the file gets SQLITE_BUSY.
  // Set before WAL is entered, so no -shm file is used at all.
  if (path !== ':memory:') sqlite.pragma('locking_mode = EXCLUSIVE');
  try {
    sqlite.pragma('journal_mode = WAL');
  } catch (e) {
    sqlite.close();
    if ((e as { code?: string }).code === 'SQLITE_BUSY') throw new Error(`${path} is in use by another process (is Nimbus already running on this data directory?)`);
    throw e;
  }
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Fewer, larger checkpoints: each one syncs the file, the commits in between only append.
  sqlite.pragma('wal_autocheckpoint = 8000');
  cacheStatements(sqlite);
  const kysely = new Kysely<T>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { kysely, dialect: 'sqlite', close: () => kysely.destroy() };
}

/**
 * Kysely prepares every statement anew; better-sqlite3 statements are reusable (every
 * call runs synchronously to completion), so keep the compiled ones by SQL text.
 */
function cacheStatements(sqlite: Database.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, Database.Statement>();
  (sqlite as { prepare: (sql: string) => Database.Statement }).prepare = (sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = prepare(sql);
      if (cache.size > 2000) cache.clear();
      cache.set(sql, stmt);
    }
    return stmt;
  };
}

/** Runs a service's migrations (name → migration, applied in name order). */
export async function migrate(db: Kysely<unknown>, migrations: Record<string, Migration>, table: string): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: `${table}_migrations`,
    migrationLockTableName: `${table}_migrations_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    // The cause keeps SQLite's code (SQLITE_FULL...) for start-up to explain.
    throw new Error(`migration ${failed?.migrationName ?? '?'} of ${table} failed: ${String(error)}`, { cause: error });
  }
}

/** True when `e` is a unique/primary-key violation in any supported dialect. */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; errno?: number };
  return (
    err?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    err?.code === '23505' ||
    err?.code === 'ER_DUP_ENTRY' ||
    err?.errno === 1062
  );
}

/** 0/1 ↔ boolean, since booleans are stored as integers everywhere. */
export const toBool = (v: number | boolean | null | undefined): boolean => v === true || v === 1;
export const fromBool = (v: boolean): number => (v ? 1 : 0);
