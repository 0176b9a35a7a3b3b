/**
 * One query layer for every service: Kysely over SQLite (embedded, better-sqlite3),
 * PostgreSQL (pg) or MySQL/MariaDB (mysql2), with one schema and one set of migrations
 * (URLs: url.ts; server dialects: dialects.ts; transaction retry: retry.ts). Services
 * write SQL through Kysely's builder only, with types all three accept: booleans are integers 0/1, timestamps ISO-8601 text, JSON
 * text, identifiers varchar(36)/varchar(64). No INSERT OR IGNORE / ON CONFLICT: a
 * unique violation is caught with `isUniqueViolation`, which knows each dialect.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  type CreateTableBuilder,
  type InsertQueryBuilder,
  type InsertResult,
  type Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  MysqlAdapter,
  PostgresAdapter,
  SqliteDialect,
  sql,
} from 'kysely';
import { type ServerDialect, mysqlDialect, postgresDialect } from './dialects.js';
import { type OpenOptions, RetryingKysely, retryingOnDisconnect } from './retry.js';
import { type DialectName, parseDatabaseUrl } from './url.js';

export { type DialectName, type DatabaseUrl, type DatabaseUrls, type ServiceDatabase, parseDatabaseUrl, redactUrl, serviceConnection, serviceDatabaseUrl } from './url.js';
export { type OpenOptions, type RetryPolicy, DEFAULT_RETRY, isDeadlock, isDisconnect } from './retry.js';
export { dropDatabase, ensureDatabase } from './server-admin.js';

export interface Db<T> {
  kysely: Kysely<T>;
  dialect: DialectName;
  close(): Promise<void>;
}

/** The pool and retry options `[database]` sets (oslo.db's names). */
export function databaseOptions(cfg: { database: { max_pool_size: number; db_max_retries: number; db_retry_interval: number; db_max_retry_interval: number } }): OpenOptions {
  const d = cfg.database;
  return { poolSize: d.max_pool_size, retry: { maxRetries: d.db_max_retries, interval: d.db_retry_interval, maxInterval: d.db_max_retry_interval } };
}

/**
 * Opens a database from a URL (see parseDatabaseUrl). PostgreSQL and MariaDB get a pool
 * that connects lazily, so this does not touch the server: the first query does.
 * Every dialect's `transaction().execute()` is retried on deadlock and serialization
 * failure (as oslo.db's wrap_db_retry), so the callback must be safe to run again:
 * no side effects outside the transaction.
 */
export function openDatabase<T>(url: string, opts: OpenOptions = {}): Db<T> {
  const parsed = parseDatabaseUrl(url);
  if (parsed.dialect === 'postgres') return openServer<T>('postgres', postgresDialect(parsed.serverUrl!, opts.poolSize ?? 10), opts);
  if (parsed.dialect === 'mysql') return openServer<T>('mysql', mysqlDialect(parsed.serverUrl!, opts.poolSize ?? 10), opts);
  const path = parsed.database;
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
  const kysely = new RetryingKysely<T>({ dialect: new SqliteDialect({ database: sqlite }) }, opts);
  return { kysely, dialect: 'sqlite', close: () => kysely.destroy() };
}

function openServer<T>(dialect: DialectName, d: ServerDialect, opts: OpenOptions): Db<T> {
  const kysely = new RetryingKysely<T>({ dialect: retryingOnDisconnect(d.dialect, opts), plugins: d.plugins }, opts);
  return { kysely, dialect, close: () => kysely.destroy() };
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

/** The dialect a Kysely instance (or transaction) speaks, for the few portable forks. */
export function dialectOf(db: Kysely<any>): DialectName {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof MysqlAdapter) return 'mysql';
  return 'sqlite';
}

/**
 * Adds an integer primary key the database numbers: `serial` on PostgreSQL (which has
 * no AUTO_INCREMENT), INTEGER PRIMARY KEY AUTOINCREMENT / AUTO_INCREMENT elsewhere.
 */
export function withAutoId<T extends CreateTableBuilder<any, any>>(db: Kysely<any>, table: T, column = 'id'): T {
  if (dialectOf(db) === 'postgres') return table.addColumn(column, 'serial', (c) => c.primaryKey()) as T;
  return table.addColumn(column, 'integer', (c) => c.primaryKey().autoIncrement()) as T;
}

/**
 * Runs an INSERT and returns the numbered key it got: RETURNING where the dialect has
 * it (PostgreSQL reports no insert id), the driver's insert id on MariaDB.
 */
export async function insertedId(db: Kysely<any>, insert: InsertQueryBuilder<any, any, any>, column = 'id'): Promise<number> {
  if (db.getExecutor().adapter.supportsReturning) {
    const row = (await insert.returning(column).executeTakeFirstOrThrow()) as Record<string, unknown>;
    return Number(row[column]);
  }
  const r = (await insert.executeTakeFirstOrThrow()) as InsertResult;
  return Number(r.insertId);
}

let savepoints = 0;

/**
 * Runs a statement whose unique violation the caller catches and survives. PostgreSQL
 * aborts the whole transaction on any error ("current transaction is aborted") unless a
 * savepoint taken before is rolled back to; SQLite and MariaDB undo only the failed
 * statement. Outside a transaction, or on those two, this is just `run()`.
 */
export async function guardUnique<R>(db: Kysely<any>, run: () => Promise<R>): Promise<R> {
  if (!db.isTransaction || dialectOf(db) !== 'postgres') return run();
  const name = sql.raw(`nimbus_sp_${++savepoints}`);
  await sql`SAVEPOINT ${name}`.execute(db);
  try {
    const r = await run();
    await sql`RELEASE SAVEPOINT ${name}`.execute(db);
    return r;
  } catch (e) {
    await sql`ROLLBACK TO SAVEPOINT ${name}`.execute(db);
    throw e;
  }
}
