/**
 * The linux host driver's pure parts (no root needed): OVSDB's JSON values as
 * ovs-vsctl/ovsdb-client print them, and the argv as run (ovs-vsctl gets --db and a timeout).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realArgv } from '../../src/hostnet/linux/exec.js';
import { InterfaceMonitorState, monitorRows } from '../../src/hostnet/linux/interface-monitor.js';
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

describe('ovsdb-client monitor Interface lines as events', () => {
  // As ovsdb-client monitor --format=json prints them (captured): a modification is an "old"
  // row with the uuid and a "new" row whose uuid cell is empty.
  const TUN = '11111111-1301-4eba-ac4e-7badff67e524';
  const QVO = '22222222-11d6-41ec-9c7a-4768e3369927';
  const insert = `{"data":[["${TUN}","insert","patch-tun",["set",[]],["map",[]]],["${QVO}","insert","qvo1",["set",[]],["map",[["iface-id","p1"]]]]],"headings":["row","action","name","ofport","external_ids"]}`;
  const ofport = (uuid: string, name: string, n: number, ids: string) =>
    `{"data":[["${uuid}","old",null,["set",[]],null],["","new","${name}",${n},["map",[${ids}]]]],"headings":["row","action","name","ofport","external_ids"]}`;

  it('an update takes the uuid of its "old" row: each interface keeps its own bridge (the ofport OVS assigns after the insert reaches br-int\'s agent)', async () => {
    let lookups = 0;
    const state = new InterfaceMonitorState(async () => {
      lookups++;
      return new Map([['patch-tun', 'br-tun'], ['qvo1', 'br-int']]);
    });
    const ins = await state.events(insert);
    assert.deepEqual(ins.map((e) => [e.action, e.name, e.bridge, e.ofport]), [['insert', 'patch-tun', 'br-tun', -1], ['insert', 'qvo1', 'br-int', -1]]);
    // br-tun's port gets its ofport first: the bridge of the later qvo1 update must not be br-tun's.
    assert.deepEqual(await state.events(ofport(TUN, 'patch-tun', 1, '')), [{ action: 'update', name: 'patch-tun', bridge: 'br-tun', ofport: 1, externalIds: {} }]);
    assert.deepEqual(await state.events(ofport(QVO, 'qvo1', 5, '["iface-id","p1"]')), [{ action: 'update', name: 'qvo1', bridge: 'br-int', ofport: 5, externalIds: { 'iface-id': 'p1' } }]);
    assert.equal(lookups, 1, 'known interfaces need no ovs-vsctl list');
    const del = await state.events(`{"data":[["${QVO}","delete","qvo1",5,["map",[["iface-id","p1"]]]]],"headings":["row","action","name","ofport","external_ids"]}`);
    assert.deepEqual(del.map((e) => [e.action, e.bridge]), [['delete', 'br-int']]);
  });

  it('several modifications in one line pair each "new" row with its own "old" row', () => {
    const line = `{"data":[["${TUN}","old",null,["set",[]],null],["","new","patch-tun",1,["map",[]]],["${QVO}","old",null,["set",[]],null],["","new","qvo1",5,["map",[]]]],"headings":["row","action","name","ofport","external_ids"]}`;
    assert.deepEqual(monitorRows(line).map((r) => [r.action, r.uuid, r.row['name']]), [['new', TUN, 'patch-tun'], ['new', QVO, 'qvo1']]);
  });

  it('an interface first seen outside any bridge is looked up again at its next update', async () => {
    let bridges = new Map<string, string>();
    const state = new InterfaceMonitorState(async () => bridges);
    assert.equal((await state.events(insert))[1]!.bridge, null);
    bridges = new Map([['qvo1', 'br-int']]);
    assert.equal((await state.events(ofport(QVO, 'qvo1', 5, '')))[0]!.bridge, 'br-int');
  });
});
