/**
 * `ovsdb-client monitor Open_vSwitch Interface name,ofport,external_ids --format=json`
 * lines as InterfaceEvents. Each line is one table: "initial" / "insert" / "delete" rows
 * carry their row uuid; a modification prints TWO rows, "old" (the uuid, and the old
 * values of the changed columns) then "new" (the whole new row, its uuid cell EMPTY).
 * The "new" row therefore takes the uuid of the "old" row before it.
 *
 * The bridge of an interface is not an Interface column: it is looked up by name (one
 * `ovs-vsctl list` per line that has an interface not seen yet, or seen without a
 * bridge) and remembered by row
 * uuid, so the delete (the row is gone by then) and later updates name it.
 */
import type { InterfaceEvent } from '../host-network.js';
import { mapOf, optional, tableRows, uuidOf } from './ovsdb-json.js';

/** One monitor row with its uuid resolved ("old" rows are folded into their "new" row). */
export interface MonitorRow {
  action: 'initial' | 'insert' | 'delete' | 'new';
  uuid: string;
  row: Record<string, unknown>;
}

/** A monitor line's rows, "new" rows carrying the uuid of the "old" row printed before them. */
export function monitorRows(json: string): MonitorRow[] {
  const out: MonitorRow[] = [];
  let oldUuid = '';
  for (const row of tableRows(json)) {
    const action = String(row['action']);
    const uuid = uuidOf(row['row']);
    if (action === 'old') {
      oldUuid = uuid;
      continue;
    }
    out.push({ action: action as MonitorRow['action'], uuid: uuid || (action === 'new' ? oldUuid : ''), row });
    oldUuid = '';
  }
  return out;
}

/** One monitor's state: the bridge of each interface row it has seen. */
export class InterfaceMonitorState {
  readonly #bridges = new Map<string, string | null>();

  /**
   * @param bridgesByName interface name -> its bridge now (called at most once per line, only when needed)
   */
  constructor(private readonly bridgesByName: () => Promise<Map<string, string>>) {}

  /** The events of one monitor line, in order. */
  async events(line: string): Promise<InterfaceEvent[]> {
    const rows = monitorRows(line);
    // An interface seen without a bridge (not yet in a port) is looked up again.
    const byName = rows.some((r) => r.action !== 'delete' && !this.#bridges.get(r.uuid)) ? await this.bridgesByName() : null;
    const events: InterfaceEvent[] = [];
    for (const { action, uuid, row } of rows) {
      const name = String(row['name']);
      if (action !== 'delete' && !this.#bridges.get(uuid)) this.#bridges.set(uuid, byName?.get(name) ?? null);
      const bridge = this.#bridges.get(uuid) ?? null;
      if (action === 'delete') this.#bridges.delete(uuid);
      events.push({ action: action === 'new' ? 'update' : action, name, bridge, ofport: optional<number>(row['ofport']) ?? -1, externalIds: mapOf(row['external_ids']) });
    }
    return events;
  }
}
