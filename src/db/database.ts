/**
 * One query layer for every service: Kysely over SQLite (embedded, better-sqlite3),
 * PostgreSQL (pg) or MySQL/MariaDB (mysql2), with one schema and one set of migrations. Services write SQL through Kysely's builder only, with
 * types all three accept: booleans are integers 0/1, timestamps ISO-8601 text, JSON
 * text, identifiers varchar(36)/varchar(64). No INSERT OR IGNORE / ON CONFLICT: a
 * unique violation is caught with `isUniqueViolation`, which knows each dialect.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  MysqlDialect,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Dialect,
  type KyselyConfig,
  type KyselyPlugin,
  type Migration,
  type MigrationProvider,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type TransactionBuilder,
  type UnknownRow,
  type CompiledQuery,
  type CreateTableBuilder,
  type DatabaseConnection,
  type InsertQueryBuilder,
  type InsertResult,
  CreateTableNode,
  MysqlAdapter,
  PostgresAdapter,
  OperationNodeTransformer,
  OrderByItemNode,
  type QueryId,
  RawNode,
} from 'kysely';
import mysql from 'mysql2';
import { type Clock, type Random, systemClock, systemRandom } from '../common/clock.js';
import { asDataError } from './errors.js';
import mysqlPromise from 'mysql2/promise';
import pg from 'pg';

export type DialectName = 'sqlite' | 'postgres' | 'mysql';

export interface Db<T> {
  kysely: Kysely<T>;
  dialect: DialectName;
  close(): Promise<void>;
}

/** oslo.db's wrap_db_retry knobs: how often and how patiently a transaction is retried. */
export interface RetryPolicy {
  /** Retries after the first attempt (oslo.db's db_max_retries). */
  maxRetries: number;
  /** Seconds before the first retry, doubled each time (db_retry_interval, db_inc_retry_interval). */
  interval: number;
  /** Ceiling of the wait in seconds (db_max_retry_interval). */
  maxInterval: number;
}

export interface OpenOptions {
  /** Connections a PostgreSQL/MariaDB pool holds at most (oslo.db's max_pool_size + max_overflow). */
  poolSize?: number;
  retry?: RetryPolicy;
  /** Waits between retries; a fake clock lets tests not sleep. */
  clock?: Clock;
  /** Jitter spreading the retries of racing transactions apart. */
  random?: Random;
}

/** Neutron's retry_db_errors: 0.1 s doubling up to 10 s, jittered (nova's 5 retries are fewer). */
export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 10, interval: 0.1, maxInterval: 10 };

/** The pool and retry options `[database]` sets (oslo.db's names). */
export function databaseOptions(cfg: { database: { max_pool_size: number; db_max_retries: number; db_retry_interval: number; db_max_retry_interval: number } }): OpenOptions {
  const d = cfg.database;
  return { poolSize: d.max_pool_size, retry: { maxRetries: d.db_max_retries, interval: d.db_retry_interval, maxInterval: d.db_max_retry_interval } };
}

/** A parsed `[database] connection` URL. */
export interface DatabaseUrl {
  dialect: DialectName;
  /** sqlite: the file or `:memory:`; otherwise the database name (may be empty). */
  database: string;
  /** Server URLs only: the URL the driver gets (scheme normalised, `+driver` and query removed). */
  serverUrl?: string;
}

/**
 * Parses the URL forms nova.conf and neutron.conf use: `sqlite:///abs/path`,
 * `sqlite://` (memory), a bare path, `postgresql[+psycopg2]://user:pass@host:port/db`,
 * `mysql[+pymysql]://user:pass@host:port/db?charset=utf8`. The SQLAlchemy driver suffix
 * only names the Python driver, so it is ignored, as are query parameters (the
 * connection is always utf8mb4 on MariaDB, UTF-8 on PostgreSQL).
 */
export function parseDatabaseUrl(url: string): DatabaseUrl {
  const m = /^([a-z][a-z0-9]*)(\+[a-z0-9_]+)?:\/\//i.exec(url);
  const scheme = m?.[1]?.toLowerCase();
  if (!m || scheme === 'sqlite') {
    const path = (m ? url.slice(m[0].length) : url).replace(/\?.*$/, '').replace(/^\/(\/)/, '$1') || ':memory:';
    return { dialect: 'sqlite', database: path };
  }
  const dialect: DialectName | undefined =
    scheme === 'postgresql' || scheme === 'postgres' ? 'postgres' : scheme === 'mysql' || scheme === 'mariadb' ? 'mysql' : undefined;
  if (!dialect) throw new Error(`[database] connection: unknown database scheme ${scheme}:// (sqlite, postgresql, mysql)`);
  const u = new URL(url.replace(/^[^:]+:/, dialect === 'postgres' ? 'postgresql:' : 'mysql:'));
  u.search = '';
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  return { dialect, database, serverUrl: u.toString() };
}

/** The URL with its password masked, for messages (secrets are never logged). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z0-9+]+:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

/** The databases OpenStack gives each service (nova's API and cell databases are one here). */
export type ServiceDatabase = 'keystone' | 'glance' | 'nova' | 'neutron';

/**
 * The URL one service's database is at. OpenStack keeps each service in its own
 * database, so a shared `[database] connection` never puts two services in one: a URL
 * with `{service}` has it replaced by the service's name (keystone, glance, nova,
 * neutron); any other URL is a base to which `_<service>` is appended (database name on
 * a server, file name before its extension for SQLite). `sqlite://` (memory) is already
 * one database per opener.
 */
export function serviceDatabaseUrl(connection: string, service: ServiceDatabase): string {
  if (connection.includes('{service}')) return connection.replaceAll('{service}', service);
  const parsed = parseDatabaseUrl(connection);
  if (parsed.dialect === 'sqlite') {
    if (parsed.database === ':memory:') return connection;
    return connection.replace(/(\.[a-z0-9]+)?(\?.*)?$/i, (_all, ext?: string, q?: string) => `_${service}${ext ?? ''}${q ?? ''}`);
  }
  const u = new URL(connection.replace(/^[^:]+:/, 'x:'));
  const base = decodeURIComponent(u.pathname.replace(/^\//, ''));
  const name = base ? `${base}_${service}` : service;
  const scheme = connection.slice(0, connection.indexOf(':'));
  u.pathname = `/${encodeURIComponent(name)}`;
  return `${scheme}:${u.toString().slice(2)}`;
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
  if (parsed.dialect === 'postgres') return openServer<T>('postgres', postgresDialect(parsed.serverUrl!, opts.poolSize ?? 10), [new PostgresNullsOrder()], opts);
  if (parsed.dialect === 'mysql') return openServer<T>('mysql', mysqlDialect(parsed.serverUrl!, opts.poolSize ?? 10), [new MysqlTableOptions()], opts);
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

function openServer<T>(dialect: DialectName, d: Dialect, plugins: KyselyPlugin[], opts: OpenOptions): Db<T> {
  const kysely = new RetryingKysely<T>({ dialect: mappingDataErrors(d), plugins }, opts);
  return { kysely, dialect, close: () => kysely.destroy() };
}

const PATCHED = Symbol('nimbus.dataErrors');

/**
 * The dialect with every statement's data error (too long, out of range, NUL) thrown as
 * DBDataError (src/db/errors.ts), so the APIs answer 400 as they do on SQLite, which
 * stores such values. Other errors pass unchanged (unique violations, deadlocks).
 */
function mappingDataErrors(d: Dialect): Dialect {
  return {
    createAdapter: () => d.createAdapter(),
    createQueryCompiler: () => d.createQueryCompiler(),
    createIntrospector: (db) => d.createIntrospector(db),
    createDriver: () => {
      const driver = d.createDriver();
      const acquire = driver.acquireConnection.bind(driver);
      driver.acquireConnection = async () => {
        const conn = (await acquire()) as DatabaseConnection & { [PATCHED]?: true };
        if (!conn[PATCHED]) {
          const execute = conn.executeQuery.bind(conn);
          conn.executeQuery = async <R>(q: CompiledQuery) => {
            try {
              return await execute<R>(q);
            } catch (e) {
              throw asDataError(e) ?? e;
            }
          };
          conn[PATCHED] = true;
        }
        return conn;
      };
      return driver;
    },
  };
}

// PostgreSQL's bigint (COUNT) and numeric (SUM) come back as strings by default; the
// stores count and sum small values, which numbers hold exactly, as on SQLite.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

function postgresDialect(url: string, max: number): Dialect {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
  // An idle connection the server dropped (restart) errors on the pool; the next
  // checkout opens a new one, so this only must not crash the process.
  pool.on('error', () => {});
  // One cut off while checked out (a transaction open) emits 'error' on the client too;
  // its query fails, the transaction is retried on a new connection.
  pool.on('connect', (client) => client.on('error', () => {}));
  return new PostgresDialect({ pool });
}

function mysqlDialect(url: string, connectionLimit: number): Dialect {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit,
    charset: 'UTF8MB4_BIN',
    // SUM() is DECIMAL: a number, as on SQLite and PostgreSQL.
    decimalNumbers: true,
    supportBigNumbers: true,
    // oslo.db's mysql_sql_mode: refuse truncation and bad values instead of warning.
    // READ COMMITTED as PostgreSQL's default, so a retried or racing transaction sees
    // the committed winner (REPEATABLE READ's snapshot would hide it).
  });
  pool.on('connection', (conn) => {
    // A connection the server drops (restart, KILL) also emits 'error': the query on it
    // fails and the pool discards it; unheard, the event would end the process.
    conn.on('error', () => {});
    conn.query(`SET SESSION sql_mode = 'TRADITIONAL'`);
    conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
  });
  return new MysqlDialect({ pool: pool as never });
}

/**
 * MariaDB tables get utf8mb4 with binary collation: names compare case-sensitively and
 * accents distinctly, as on SQLite and PostgreSQL (and as OpenStack's API promises where
 * a unique name is case-sensitive; a _ci collation would call "Web" and "web" the same).
 */
class MysqlTableOptions implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node;
    if (!CreateTableNode.is(node)) return node;
    return CreateTableNode.cloneWithEndModifier(node, RawNode.createWithSql('ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin'));
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/**
 * PostgreSQL sorts NULL after every value in ascending order; SQLite and MariaDB sort it
 * first. Ordering without an explicit NULLS clause gets SQLite's, so a list sorted on a
 * nullable column (a server's host, a port's device) pages the same on every dialect.
 */
class PostgresNullsOrder implements KyselyPlugin {
  readonly #transformer = new (class extends OperationNodeTransformer {
    protected override transformOrderByItem(node: OrderByItemNode, queryId?: QueryId): OrderByItemNode {
      const item = super.transformOrderByItem(node, queryId);
      if (item.nulls) return item;
      const dir = item.direction && RawNode.is(item.direction) ? item.direction.sqlFragments.join('').trim().toLowerCase() : 'asc';
      return OrderByItemNode.cloneWith(item, { nulls: dir === 'desc' ? 'last' : 'first' });
    }
  })();
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node, args.queryId);
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/** True when `e` is a deadlock or serialization failure, which oslo.db retries (DBDeadlock). */
export function isDeadlock(e: unknown): boolean {
  const err = e as { code?: string; errno?: number };
  return (
    err?.code === '40P01' || // deadlock_detected
    err?.code === '40001' || // serialization_failure
    err?.errno === 1213 || // ER_LOCK_DEADLOCK
    err?.errno === 1205 || // ER_LOCK_WAIT_TIMEOUT: oslo.db maps it to DBDeadlock too
    err?.code === 'SQLITE_BUSY'
  );
}

/**
 * True when `e` is a lost or refused connection (oslo.db's DBConnectionError): the
 * server restarted or went away. The pool drops the broken connection and opens a new
 * one for the retry, as oslo.db's retry_on_disconnect.
 */
export function isDisconnect(e: unknown): boolean {
  const err = e as { code?: string; errno?: number; message?: string };
  const code = err?.code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST'].includes(code) ||
    // admin_shutdown, crash_shutdown, cannot_connect_now; connection exceptions (08xxx)
    ['57P01', '57P02', '57P03'].includes(code) ||
    code.startsWith('08') ||
    err?.errno === 2006 || // CR_SERVER_GONE_ERROR
    err?.errno === 2013 || // CR_SERVER_LOST
    /Connection terminated|Client was closed|not queryable|connection is in closed state/i.test(err?.message ?? '')
  );
}

/**
 * Kysely whose transactions are retried whole on deadlock, serialization failure and a
 * lost connection, waiting interval·2^n seconds (jittered, capped) between attempts;
 * after maxRetries the last error is thrown. A transaction cut off before its COMMIT
 * left nothing behind; one cut off during COMMIT may have committed, and is run again
 * as oslo.db's retry_on_disconnect does (the callers' writes are keyed, so a second run
 * meets a unique violation rather than writing twice). Single statements outside a
 * transaction are not retried.
 */
class RetryingKysely<T> extends Kysely<T> {
  readonly #retry: RetryPolicy;
  readonly #clock: Clock;
  readonly #random: Random;
  constructor(args: KyselyConfig, opts: OpenOptions) {
    super(args);
    this.#retry = opts.retry ?? DEFAULT_RETRY;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? systemRandom;
  }
  override transaction(): TransactionBuilder<T> {
    return this.#retrying(super.transaction());
  }
  #retrying(tb: TransactionBuilder<T>): TransactionBuilder<T> {
    const execute = tb.execute.bind(tb);
    const setIsolationLevel = tb.setIsolationLevel.bind(tb);
    const setAccessMode = tb.setAccessMode.bind(tb);
    return Object.assign(tb, {
      execute: <R>(fn: Parameters<typeof execute<R>>[0]) => this.#withRetry(() => execute(fn)),
      setIsolationLevel: (l: Parameters<typeof setIsolationLevel>[0]) => this.#retrying(setIsolationLevel(l)),
      setAccessMode: (m: Parameters<typeof setAccessMode>[0]) => this.#retrying(setAccessMode(m)),
    });
  }
  async #withRetry<R>(attempt: () => Promise<R>): Promise<R> {
    const { maxRetries, interval, maxInterval } = this.#retry;
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (e) {
        if (n >= maxRetries || !(isDeadlock(e) || isDisconnect(e))) throw e;
        const wait = Math.min(maxInterval, interval * 2 ** n);
        await this.#clock.sleep(wait * 1000 * (0.5 + this.#random.int(1000) / 2000));
      }
    }
  }
}

/**
 * Creates a server database when it does not exist (SQLite files need nothing), so a
 * fresh PostgreSQL or MariaDB needs only a user allowed to create databases; MariaDB's
 * gets utf8mb4 with binary collation. Without that privilege the error says what to run.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const parsed = parseDatabaseUrl(url);
  if (parsed.dialect === 'sqlite' || !parsed.database) return;
  await onServer(parsed, async (q) => {
    if (parsed.dialect === 'postgres') {
      const { rows } = await q(`SELECT 1 FROM pg_database WHERE datname = $1`, [parsed.database]);
      if (rows.length) return;
      // Byte order (C) for ORDER BY on names, as SQLite and utf8mb4_bin sort.
      await q(`CREATE DATABASE "${parsed.database.replaceAll('"', '""')}" ENCODING 'UTF8' LC_COLLATE 'C' TEMPLATE template0`);
    } else {
      await q(`CREATE DATABASE IF NOT EXISTS \`${parsed.database.replaceAll('`', '``')}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    }
  });
}

/** Drops a server database (the contract suite's fresh databases); a SQLite file is left. */
export async function dropDatabase(url: string): Promise<void> {
  const parsed = parseDatabaseUrl(url);
  if (parsed.dialect === 'sqlite' || !parsed.database) return;
  await onServer(parsed, async (q) => {
    if (parsed.dialect === 'postgres') await q(`DROP DATABASE IF EXISTS "${parsed.database.replaceAll('"', '""')}" WITH (FORCE)`);
    else await q(`DROP DATABASE IF EXISTS \`${parsed.database.replaceAll('`', '``')}\``);
  });
}

type RawQuery = (text: string, params?: unknown[]) => Promise<{ rows: unknown[] }>;

/** Runs `fn` on one connection to the server's maintenance database (postgres) or none (MariaDB). */
async function onServer(parsed: DatabaseUrl, fn: (q: RawQuery) => Promise<void>): Promise<void> {
  const u = new URL(parsed.serverUrl!);
  if (parsed.dialect === 'postgres') {
    u.pathname = '/postgres';
    const client = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      await fn(async (text, params) => ({ rows: (await client.query(text, params)).rows }));
    } finally {
      await client.end();
    }
    return;
  }
  u.pathname = '/';
  const conn = await mysqlPromise.createConnection({ uri: u.toString(), connectTimeout: 10_000 });
  try {
    await fn(async (text, params) => ({ rows: (await conn.query(text, params))[0] as unknown[] }));
  } finally {
    await conn.end();
  }
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
