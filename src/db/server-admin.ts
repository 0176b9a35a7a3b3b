/**
 * Creating and dropping a service's database on a PostgreSQL or MariaDB server (start-up
 * and the contract suite's fresh databases), on a connection of its own.
 */
import mysqlPromise from 'mysql2/promise';
import pg from 'pg';
import { type DatabaseUrl, parseDatabaseUrl } from './url.js';

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
