/**
 * The three SQL dialects the storage contract suite runs on, each as fresh databases
 * (nimbus_test_<random>_<service>) dropped afterwards. PostgreSQL and MariaDB are the
 * local servers CI starts (.ci/run); NIMBUS_TEST_POSTGRES / NIMBUS_TEST_MYSQL point
 * elsewhere. A server that does not answer fails the suite under CI=true and skips it
 * locally, saying how to start it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { type DialectName, type ServiceDatabase, dropDatabase, ensureDatabase, openDatabase, serviceDatabaseUrl } from '../../src/db/database.js';

export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres', 'mysql'];

const SERVERS: Record<Exclude<DialectName, 'sqlite'>, { url: string; start: string }> = {
  postgres: {
    url: process.env.NIMBUS_TEST_POSTGRES ?? 'postgresql+psycopg2://postgres@127.0.0.1:5432',
    start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
  mysql: {
    url: process.env.NIMBUS_TEST_MYSQL ?? 'mysql+pymysql://root@127.0.0.1:3306',
    start: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
  },
};

/** A connection template with `{service}`, fresh for one suite, and its cleanup. */
export interface TestDatabases {
  dialect: DialectName;
  connection: string;
  url(service: ServiceDatabase): string;
  drop(): Promise<void>;
}

/** Why a dialect cannot run here (its server does not answer), or null when it can. */
export async function unavailable(dialect: DialectName): Promise<string | null> {
  if (dialect === 'sqlite') return null;
  const s = SERVERS[dialect];
  const probe = `${s.url}/nimbus_probe_${randomBytes(3).toString('hex')}`;
  try {
    await ensureDatabase(probe);
    const db = openDatabase(probe);
    try {
      await sql`SELECT 1`.execute(db.kysely);
    } finally {
      await db.close();
      await dropDatabase(probe);
    }
    return null;
  } catch (e) {
    return `${dialect} at ${s.url} does not answer (${(e as Error).message}); start it with: ${s.start}`;
  }
}

/** Fresh databases for one suite on `dialect`. */
export function freshDatabases(dialect: DialectName): TestDatabases {
  const tag = `nimbus_test_${randomBytes(4).toString('hex')}`;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-contract-'));
    const connection = `sqlite://${join(dir, `${tag}_{service}.sqlite`)}`;
    return { dialect, connection, url: (s) => serviceDatabaseUrl(connection, s), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const connection = `${SERVERS[dialect].url}/${tag}_{service}`;
  return {
    dialect,
    connection,
    url: (s) => serviceDatabaseUrl(connection, s),
    async drop() {
      for (const s of ['keystone', 'glance', 'nova', 'neutron'] as const) await dropDatabase(serviceDatabaseUrl(connection, s));
    },
  };
}
