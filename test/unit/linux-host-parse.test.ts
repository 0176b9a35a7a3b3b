/**
 * The linux host driver's pure parts (no root needed): OVSDB's JSON values, the argv as
 * run (ovs-vsctl gets --db and a timeout), and OVSDB monitor updates as interface events.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realArgv } from '../../src/hostnet/linux/exec.js';
import { InterfaceMonitorState } from '../../src/hostnet/linux/interface-monitor.js';
import type { TableUpdates } from '../../src/hostnet/linux/ovsdb/client.js';
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

describe('OVSDB monitor updates of Interface, Port and Bridge as events', () => {
  // RFC 7047 §4.1.6 as ovsdb-server sends them: insert = "new" only, delete = "old" only,
  // modify = both ("old": the changed columns' old values, "new": every monitored column).
  const TUN = '11111111-1301-4eba-ac4e-7badff67e524';
  const QVO = '22222222-11d6-41ec-9c7a-4768e3369927';
  const P_TUN = '33333333-0000-4000-8000-000000000001';
  const P_QVO = '33333333-0000-4000-8000-000000000002';
  const BR_INT = '44444444-0000-4000-8000-000000000001';
  const BR_TUN = '44444444-0000-4000-8000-000000000002';
  const P_BR_INT = '33333333-0000-4000-8000-000000000003';
  const I_BR_INT = '22222222-0000-4000-8000-000000000003';
  const iface = (name: string, ofport: unknown, ids: [string, string][] = []) => ({ name, ofport, external_ids: ['map', ids] });
  const initial: TableUpdates = {
    Interface: { [I_BR_INT]: { new: iface('br-int', 65534) } },
    Port: { [P_BR_INT]: { new: { name: 'br-int', interfaces: ['uuid', I_BR_INT] } } },
    Bridge: { [BR_INT]: { new: { name: 'br-int', ports: ['uuid', P_BR_INT] } } },
  };
  // add-br br-tun + add-port br-int qvo1 in one update: Interface, Port and Bridge rows together.
  const insert: TableUpdates = {
    Interface: { [TUN]: { new: iface('patch-tun', ['set', []]) }, [QVO]: { new: iface('qvo1', ['set', []], [['iface-id', 'p1']]) } },
    Port: { [P_TUN]: { new: { name: 'patch-tun', interfaces: ['uuid', TUN] } }, [P_QVO]: { new: { name: 'qvo1', interfaces: ['set', [['uuid', QVO]]] } } },
    Bridge: {
      [BR_TUN]: { new: { name: 'br-tun', ports: ['uuid', P_TUN] } },
      [BR_INT]: { old: { ports: ['uuid', P_BR_INT] }, new: { name: 'br-int', ports: ['set', [['uuid', P_BR_INT], ['uuid', P_QVO]]] } },
    },
  };
  const ofport = (uuid: string, name: string, n: number, ids: [string, string][] = []): TableUpdates => ({ Interface: { [uuid]: { old: { ofport: ['set', []] }, new: iface(name, n, ids) } } });

  it('the monitor reply is "initial"; an insert names the bridge its port joined in the same transaction; modifications are updates; a delete keeps its bridge', () => {
    const state = new InterfaceMonitorState();
    assert.deepEqual(state.initial(initial), [{ action: 'initial', name: 'br-int', bridge: 'br-int', ofport: 65534, externalIds: {} }]);
    assert.deepEqual(
      state.update(insert).map((e) => [e.action, e.name, e.bridge, e.ofport]),
      [
        ['insert', 'patch-tun', 'br-tun', -1],
        ['insert', 'qvo1', 'br-int', -1],
      ],
    );
    // br-tun's port gets its ofport first: the bridge of the later qvo1 update must not be br-tun's.
    assert.deepEqual(state.update(ofport(TUN, 'patch-tun', 1)), [{ action: 'update', name: 'patch-tun', bridge: 'br-tun', ofport: 1, externalIds: {} }]);
    assert.deepEqual(state.update(ofport(QVO, 'qvo1', 5, [['iface-id', 'p1']])), [{ action: 'update', name: 'qvo1', bridge: 'br-int', ofport: 5, externalIds: { 'iface-id': 'p1' } }]);
    // del-port: the Interface, its Port and br-int's reference go in one update.
    const del = state.update({
      Interface: { [QVO]: { old: iface('qvo1', 5, [['iface-id', 'p1']]) } },
      Port: { [P_QVO]: { old: { name: 'qvo1', interfaces: ['uuid', QVO] } } },
      Bridge: { [BR_INT]: { old: { ports: ['set', [['uuid', P_BR_INT], ['uuid', P_QVO]]] }, new: { name: 'br-int', ports: ['uuid', P_BR_INT] } } },
    });
    assert.deepEqual(del, [{ action: 'delete', name: 'qvo1', bridge: 'br-int', ofport: 5, externalIds: { 'iface-id': 'p1' } }]);
    assert.equal(state.bridgeOf(QVO), null);
  });

  it('a Port or Bridge change alone makes no event; an interface moved to another bridge is named with it at its next update', () => {
    const state = new InterfaceMonitorState();
    state.initial(initial);
    state.update(insert);
    // qvo1's port moves from br-int to br-tun (ovs-vsctl del-port + add-port of the same Port row is not possible; a Bridge.ports edit is).
    const moved = state.update({
      Bridge: {
        [BR_INT]: { old: { ports: ['set', [['uuid', P_BR_INT], ['uuid', P_QVO]]] }, new: { name: 'br-int', ports: ['uuid', P_BR_INT] } },
        [BR_TUN]: { old: { ports: ['uuid', P_TUN] }, new: { name: 'br-tun', ports: ['set', [['uuid', P_TUN], ['uuid', P_QVO]]] } },
      },
    });
    assert.deepEqual(moved, []);
    assert.equal(state.update(ofport(QVO, 'qvo1', 7))[0]!.bridge, 'br-tun');
  });

  it('an interface first seen outside any bridge gets its bridge once a port holds it', () => {
    const state = new InterfaceMonitorState();
    assert.deepEqual(state.initial({ Interface: { [QVO]: { new: iface('qvo1', ['set', []]) } } }).map((e) => e.bridge), [null]);
    state.update({ Port: { [P_QVO]: { new: { name: 'qvo1', interfaces: ['uuid', QVO] } } }, Bridge: { [BR_INT]: { new: { name: 'br-int', ports: ['uuid', P_QVO] } } } });
    assert.equal(state.update(ofport(QVO, 'qvo1', 5))[0]!.bridge, 'br-int');
  });
});
