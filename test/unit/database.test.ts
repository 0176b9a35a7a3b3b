import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDatabase } from '../../src/db/database.js';

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
