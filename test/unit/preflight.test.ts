/** Start-up error wording: a failed write is told in words, with the option that moves the path. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StartupError, dataDirError, describeFsError, explainStartFailure, isFsError } from '../../src/common/preflight.js';

const err = (code: string, message = `${code}: something`) => Object.assign(new Error(message), { code });

test('file-system causes are told in words', () => {
  assert.equal(describeFsError(err('EROFS')), 'read-only file system');
  assert.equal(describeFsError(err('EACCES')), 'permission denied');
  assert.equal(describeFsError(err('ENOSPC')), 'no space left on device');
  assert.equal(describeFsError(err('SQLITE_FULL')), 'no space left on device');
  assert.equal(describeFsError(err('SQLITE_IOERR_WRITE', 'disk I/O error')), 'disk I/O error: the file or its directory cannot be written');
  assert.equal(describeFsError(err('EWHATEVER', 'odd')), 'odd');
});

test('only I/O failures are blamed on the data directory', () => {
  assert.equal(isFsError(err('SQLITE_READONLY_DBMOVED')), true);
  assert.equal(isFsError(err('ENOTDIR')), true);
  assert.equal(isFsError(err('SQLITE_BUSY')), false);
  assert.equal(isFsError(new Error('no code')), false);
});

test('the data directory error names the path, the cause and the three ways to change it', () => {
  assert.equal(
    dataDirError('/x/data', err('EROFS')).message,
    'cannot write to the data directory /x/data (read-only file system); choose another with --data-dir, NIMBUS_DATA_DIR or [DEFAULT] data_dir',
  );
});

test('a start failing on a full disk mid-migration blames the data directory, other failures stay as they are', () => {
  const migration = new Error('migration 001 of nova failed: SqliteError: database or disk is full', { cause: err('SQLITE_FULL', 'database or disk is full') });
  const e = explainStartFailure(migration, '/x/data') as Error;
  assert.ok(e instanceof StartupError);
  assert.match(e.message, /^cannot write to the data directory \/x\/data \(no space left on device\); /);
  const logic = new Error('the admin project is missing from identity');
  assert.equal(explainStartFailure(logic, '/x/data'), logic);
  const busy = err('SQLITE_BUSY');
  assert.equal(explainStartFailure(busy, '/x/data'), busy);
});
