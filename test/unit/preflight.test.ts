/** Start-up error wording: a failed write is told in words, with the option that moves the path. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataDirError, describeFsError, isFsError } from '../../src/common/preflight.js';

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
