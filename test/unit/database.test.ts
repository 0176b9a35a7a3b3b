import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, SqliteDialect } from 'kysely';
import { isDeadlock, isDisconnect, isUniqueViolation, openDatabase, parseDatabaseUrl, redactUrl, serviceConnection, serviceDatabaseUrl } from '../../src/db/database.js';
import { retryingOnDisconnect } from '../../src/db/retry.js';

test('an embedded database file is held by the process that opened it; a second opener is told so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-db-'));
  const path = join(dir, 'x.sqlite');
  const first = openDatabase<{ t: { a: number } }>(`sqlite://${path}`);
  try {
    await first.kysely.schema.createTable('t').addColumn('a', 'integer').execute();
    assert.throws(() => openDatabase(`sqlite://${path}`), { message: `${path} is in use by another process (is Nimbus already running on this data directory?)` });
  } finally {
    await first.close();
  }
  // Once closed, the file opens again with what was written.
  const again = openDatabase<{ t: { a: number } }>(`sqlite://${path}`);
  assert.deepEqual(await again.kysely.selectFrom('t').selectAll().execute(), []);
  await again.close();
  rmSync(dir, { recursive: true, force: true });
});

test('nova.conf URL forms pick the dialect; the SQLAlchemy driver and query parameters are dropped', () => {
  assert.deepEqual(parseDatabaseUrl('sqlite:////var/lib/nimbus/nova.sqlite'), { dialect: 'sqlite', database: '/var/lib/nimbus/nova.sqlite' });
  assert.deepEqual(parseDatabaseUrl('sqlite://'), { dialect: 'sqlite', database: ':memory:' });
  assert.deepEqual(parseDatabaseUrl('/tmp/x.sqlite'), { dialect: 'sqlite', database: '/tmp/x.sqlite' });
  assert.deepEqual(parseDatabaseUrl('postgresql+psycopg2://nova:s%40cret@db:5432/nova?sslmode=disable'), {
    dialect: 'postgres',
    database: 'nova',
    serverUrl: 'postgresql://nova:s%40cret@db:5432/nova',
  });
  assert.deepEqual(parseDatabaseUrl('mysql+pymysql://neutron:pw@10.0.0.2/neutron?charset=utf8'), { dialect: 'mysql', database: 'neutron', serverUrl: 'mysql://neutron:pw@10.0.0.2/neutron' });
  assert.throws(() => parseDatabaseUrl('oracle://x/y'), { message: '[database] connection: unknown database scheme oracle:// (sqlite, postgresql, mysql)' });
});

test('each service gets its own database: {service} is replaced, otherwise _<service> is appended', () => {
  assert.equal(serviceDatabaseUrl('postgresql://u:p@h:5432/{service}', 'nova'), 'postgresql://u:p@h:5432/nova');
  assert.equal(serviceDatabaseUrl('mysql+pymysql://u:p@h/nimbus?charset=utf8', 'neutron'), 'mysql+pymysql://u:p@h/nimbus_neutron?charset=utf8');
  assert.equal(serviceDatabaseUrl('postgresql://u@h', 'glance'), 'postgresql://u@h/glance');
  assert.equal(serviceDatabaseUrl('sqlite:////data/nimbus.sqlite', 'keystone'), 'sqlite:////data/nimbus_keystone.sqlite');
  assert.equal(serviceDatabaseUrl('sqlite://', 'keystone'), 'sqlite://');
});

test('a URL in a message has its password masked', () => {
  assert.equal(redactUrl('postgresql://nova:s3cret@db:5432/nova'), 'postgresql://nova:***@db:5432/nova');
  assert.equal(redactUrl('mysql+pymysql://root@127.0.0.1/nimbus'), 'mysql+pymysql://root@127.0.0.1/nimbus');
  assert.equal(redactUrl('sqlite:////data/nova.sqlite'), 'sqlite:////data/nova.sqlite');
});

test('what a transaction is retried on: deadlocks, serialization failures and lost connections, not unique violations', () => {
  for (const e of [{ code: '40P01' }, { code: '40001' }, { errno: 1213 }, { errno: 1205 }]) assert.equal(isDeadlock(e), true, JSON.stringify(e));
  for (const e of [{ code: 'ECONNRESET' }, { code: '57P01' }, { code: '57P03' }, { code: '08006' }, { errno: 2013 }, { errno: 1053 }, { code: 'PROTOCOL_CONNECTION_LOST' }, new Error('Connection terminated unexpectedly')]) {
    assert.equal(isDisconnect(e), true, JSON.stringify(e));
  }
  for (const e of [{ code: '23505' }, { errno: 1062, code: 'ER_DUP_ENTRY' }, { code: 'SQLITE_CONSTRAINT_UNIQUE' }]) {
    assert.equal(isUniqueViolation(e), true);
    assert.equal(isDeadlock(e) || isDisconnect(e), false);
  }
});

test("a service's own URL wins over the shared one; neither set is no URL (SQLite in data_dir)", () => {
  const none = { connection: '', keystone_connection: '', glance_connection: '', nova_connection: '', neutron_connection: '' };
  assert.equal(serviceConnection(none, 'nova'), null);
  const shared = { ...none, connection: 'postgresql://nimbus:pw@db/{service}', nova_connection: 'mysql+pymysql://nova:novapw@db2/nova' };
  assert.equal(serviceConnection(shared, 'nova'), 'mysql+pymysql://nova:novapw@db2/nova');
  assert.equal(serviceConnection(shared, 'neutron'), 'postgresql://nimbus:pw@db/neutron');
  assert.equal(serviceConnection({ ...none, glance_connection: 'postgresql://glance:g@db/glance' }, 'keystone'), null);
});

test('outside a transaction a lost connection is ridden out: checkout retried, a cut statement run again on a new connection; inside one it is thrown', async () => {
  const events: string[] = [];
  let refusals = 2;
  let cuts = 1;
  let next = 0;
  const fail = (code: string) => Object.assign(new Error(code), { code });
  const connection = (id: number): DatabaseConnection => ({
    async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
      events.push(`${id}: ${q.sql}`);
      if (q.sql === 'select cut' && cuts-- > 0) throw fail('57P01');
      if (q.sql === 'select cut in tx') throw fail('57P01');
      return { rows: [] };
    },
    streamQuery: () => {
      throw new Error('unused');
    },
  });
  const driver: Driver = {
    init: async () => undefined,
    acquireConnection: async () => {
      if (refusals-- > 0) {
        events.push('refused');
        throw fail('ECONNREFUSED');
      }
      return connection(++next);
    },
    beginTransaction: async (c) => void (await c.executeQuery(CompiledQuery.raw('begin'))),
    commitTransaction: async (c) => void (await c.executeQuery(CompiledQuery.raw('commit'))),
    rollbackTransaction: async (c) => void (await c.executeQuery(CompiledQuery.raw('rollback'))),
    releaseConnection: async (c) => void events.push(`release ${(c as unknown as { id?: number }).id ?? '?'}`),
    destroy: async () => undefined,
  };
  const base = new SqliteDialect({ database: {} as never });
  const dialect = retryingOnDisconnect({ createAdapter: () => base.createAdapter(), createQueryCompiler: () => base.createQueryCompiler(), createIntrospector: (db) => base.createIntrospector(db), createDriver: () => driver }, { retry: { maxRetries: 5, interval: 0, maxInterval: 0 } });
  const d = dialect.createDriver();
  const c = await d.acquireConnection();
  assert.deepEqual(events.splice(0), ['refused', 'refused']);
  await c.executeQuery(CompiledQuery.raw('select cut'));
  assert.deepEqual(events.splice(0), ['1: select cut', 'release ?', '2: select cut']);
  await d.beginTransaction(c, {});
  await assert.rejects(c.executeQuery(CompiledQuery.raw('select cut in tx')), { code: '57P01' });
  await d.rollbackTransaction(c);
  assert.deepEqual(events.splice(0), ['2: begin', '2: select cut in tx', '2: rollback']);
  // Not a disconnect: thrown at once, whatever the transaction state.
  const other = retryingOnDisconnect({ ...dialect, createDriver: () => ({ ...driver, acquireConnection: async () => Promise.reject(fail('28P01')) }) }, {});
  await assert.rejects(other.createDriver().acquireConnection(), { code: '28P01' });
});
