/**
 * The PostgreSQL and MariaDB dialects: driver pools, session settings, and the plugins
 * that make them behave as SQLite does where the stores rely on it (collation, NULL
 * order, data errors).
 */
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  CreateTableNode,
  MysqlDialect,
  OrderByItemNode,
  PostgresDialect,
  PostgresQueryCompiler,
  RawNode,
} from 'kysely';
import mysql from 'mysql2';
import pg from 'pg';
import { asDataError } from './errors.js';

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

/** What openDatabase gives Kysely for a server: the dialect and its plugins. */
export interface ServerDialect {
  dialect: Dialect;
  plugins: KyselyPlugin[];
}

/** PostgreSQL through a pg.Pool of at most `max` connections. */
export function postgresDialect(url: string, max: number): ServerDialect {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
  // An idle connection the server dropped (restart) errors on the pool; the next
  // checkout opens a new one, so this only must not crash the process.
  pool.on('error', () => {});
  // One cut off while checked out (a transaction open) emits 'error' on the client too;
  // its query fails, the transaction is retried on a new connection.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    preparing(client);
  });
  return { dialect: mappingDataErrors(nullsLikeSqlite(new PostgresDialect({ pool }))), plugins: [] };
}

/** Statements worth preparing: data statements (not DDL, whose tables a prepared plan would outlive). */
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;
/** Distinct statement texts named at most (IN lists of every length make new texts). */
const MAX_NAMED = 4000;
const names = new Map<string, string>();

/**
 * Kysely sends each statement as text with parameters, which PostgreSQL parses, analyses
 * and plans on every execution. The same few hundred statements run all the time: as
 * named (prepared) statements each connection parses one once and reuses it, as oslo.db
 * does not but pgbench -M prepared shows is cheaper. Texts past MAX_NAMED run unnamed.
 */
function preparing(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...a: unknown[]) => unknown;
  (client as unknown as { query: (...a: unknown[]) => unknown }).query = (text: unknown, values?: unknown, ...rest: unknown[]) => {
    if (typeof text !== 'string' || !Array.isArray(values) || rest.length || !PREPARABLE.test(text)) return query(text, values, ...rest);
    let name = names.get(text);
    if (name === undefined && names.size < MAX_NAMED) {
      name = `k${names.size.toString(36)}`;
      names.set(text, name);
    }
    return name === undefined ? query(text, values) : query({ name, text, values });
  };
}

/** MariaDB/MySQL through a mysql2 pool of at most `connectionLimit` connections. */
export function mysqlDialect(url: string, connectionLimit: number): ServerDialect {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit,
    charset: 'UTF8MB4_BIN',
    // SUM() is DECIMAL: a number, as on SQLite and PostgreSQL.
    decimalNumbers: true,
    supportBigNumbers: true,
  });
  pool.on('connection', (conn) => {
    // A connection the server drops (restart, KILL) also emits 'error': the query on it
    // fails and the pool discards it; unheard, the event would end the process.
    conn.on('error', () => {});
    // oslo.db's mysql_sql_mode: refuse truncation and bad values instead of warning.
    // READ COMMITTED as PostgreSQL's default, so a retried or racing transaction sees
    // the committed winner (REPEATABLE READ's snapshot would hide it).
    conn.query(`SET SESSION sql_mode = 'TRADITIONAL'`);
    conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
  });
  return { dialect: mappingDataErrors(new MysqlDialect({ pool: pool as never })), plugins: [new MysqlTableOptions()] };
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
 * Done while compiling each ORDER BY item: a plugin would walk and copy every
 * statement's tree, most of which order nothing.
 */
class NullsLikeSqliteCompiler extends PostgresQueryCompiler {
  protected override visitOrderByItem(node: OrderByItemNode): void {
    if (node.nulls) return super.visitOrderByItem(node);
    const dir = node.direction && RawNode.is(node.direction) ? node.direction.sqlFragments.join('').trim().toLowerCase() : 'asc';
    super.visitOrderByItem(OrderByItemNode.cloneWith(node, { nulls: dir === 'desc' ? 'last' : 'first' }));
  }
}

/** PostgreSQL's dialect with the compiler above. */
function nullsLikeSqlite(d: Dialect): Dialect {
  return {
    createAdapter: () => d.createAdapter(),
    createDriver: () => d.createDriver(),
    createIntrospector: (db) => d.createIntrospector(db),
    createQueryCompiler: () => new NullsLikeSqliteCompiler(),
  };
}
