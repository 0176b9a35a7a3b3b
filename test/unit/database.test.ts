import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isDeadlock, isDisconnect, isUniqueViolation, openDatabase, parseDatabaseUrl, redactUrl, serviceConnection, serviceDatabaseUrl } from '../../src/db/database.js';

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
  for (const e of [{ code: 'ECONNRESET' }, { code: '57P01' }, { code: '08006' }, { errno: 2013 }, { code: 'PROTOCOL_CONNECTION_LOST' }, new Error('Connection terminated unexpectedly')]) {
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
