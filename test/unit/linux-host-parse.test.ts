/**
 * The linux host driver's pure parts (no root needed): OVSDB's JSON values as
 * ovs-vsctl/ovsdb-client print them, and the argv as run (ovs-vsctl gets --db and a timeout).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realArgv } from '../../src/hostnet/linux/exec.js';
import { mapOf, optional, setOf, tableRows, uuidOf } from '../../src/hostnet/linux/ovsdb-json.js';

describe('OVSDB JSON values', () => {
  it('a --format=json table becomes rows by heading; sets, maps, uuids and optional scalars decode', () => {
    const rows = tableRows(
      '{"data":[[["uuid","c975bf02-9367-4e2f-a51a-6830f2cd699d"],"qvo1",["set",[]],["map",[["iface-id","p1"],["vm-uuid","i1"]]],5,["set",[1,2]]]],"headings":["_uuid","name","tag","external_ids","ofport","trunks"]}',
    );
    assert.equal(rows.length, 1);
    const r = rows[0]!;
    assert.equal(uuidOf(r['_uuid']), 'c975bf02-9367-4e2f-a51a-6830f2cd699d');
    assert.equal(optional<number>(r['tag']), null);
    assert.equal(optional<number>(r['ofport']), 5);
    assert.deepEqual(mapOf(r['external_ids']), { 'iface-id': 'p1', 'vm-uuid': 'i1' });
    assert.deepEqual(setOf(r['trunks']), [1, 2]);
    assert.deepEqual(setOf('single'), ['single']);
  });
});

describe('argv as run', () => {
  it('ovs-vsctl gets the configured database and a timeout; other tools run as given', () => {
    assert.deepEqual(realArgv(['ovs-vsctl', '--', '--if-exists', 'del-port', 'qvo1'], 'unix:/tmp/x/db.sock'), ['ovs-vsctl', '--db=unix:/tmp/x/db.sock', '--timeout=10', '--', '--if-exists', 'del-port', 'qvo1']);
    assert.deepEqual(realArgv(['ovs-vsctl', 'show'], null), ['ovs-vsctl', '--timeout=10', 'show']);
    assert.deepEqual(realArgv(['brctl', 'addbr', 'qbr1'], 'unix:/tmp/x/db.sock'), ['brctl', 'addbr', 'qbr1']);
  });
});
