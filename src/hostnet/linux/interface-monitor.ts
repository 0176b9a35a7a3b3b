/**
 * OVSDB monitor updates of the Interface, Port and Bridge tables as InterfaceEvents
 * (RFC 7047 §4.1.6: per row, insert = "new" only, delete = "old" only, modify = both).
 *
 * The bridge of an interface is not an Interface column: it is the Bridge whose `ports`
 * holds the Port whose `interfaces` holds it. The Port and Bridge rows come in the same
 * monitor, so the bridge is read from the database's own rows as of each update; a
 * deleted interface is named with the bridge it had before the update (ovs-vsctl
 * del-port removes the Interface, its Port and the Bridge's reference in one transaction).
 *
 * Only Interface changes make events (name, ofport, external_ids), in the order of the
 * update: as `ovsdb-client monitor Interface` reported them, which the l2 agent expects.
 */
import type { InterfaceEvent } from '../host-network.js';
import type { MonitorRequest, OvsdbRow, TableUpdates } from './ovsdb/client.js';
import { mapOf, optional, setOf, uuidOf } from './ovsdb-json.js';

/** The monitor request this state reads: Interface's event columns and the Port/Bridge links. */
export const INTERFACE_MONITOR: Record<string, MonitorRequest> = {
  Interface: { columns: ['name', 'ofport', 'external_ids'] },
  Port: { columns: ['name', 'interfaces'] },
  Bridge: { columns: ['name', 'ports'] },
};

const uuids = (v: unknown): string[] => setOf(v).map(uuidOf);

/** One monitor's copy of the rows it needs, turning each update into events. */
export class InterfaceMonitorState {
  readonly #interfaces = new Map<string, OvsdbRow>();
  /** Interface uuid -> the uuid of the Port that holds it. */
  readonly #portOfInterface = new Map<string, string>();
  /** Port uuid -> its interfaces' uuids (to undo the index when the port changes). */
  readonly #portInterfaces = new Map<string, string[]>();
  /** Port uuid -> the uuid of the Bridge that holds it. */
  readonly #bridgeOfPort = new Map<string, string>();
  readonly #bridgePorts = new Map<string, string[]>();
  readonly #bridgeNames = new Map<string, string>();

  /** The events of the monitor reply (every Interface row "initial"). */
  initial(rows: TableUpdates): InterfaceEvent[] {
    return this.#apply(rows, true);
  }

  /** The events of one `update` notification, in order. */
  update(updates: TableUpdates): InterfaceEvent[] {
    return this.#apply(updates, false);
  }

  /** The bridge of an interface row as the rows held now say (null: in no bridge's port). */
  bridgeOf(ifaceUuid: string): string | null {
    const port = this.#portOfInterface.get(ifaceUuid);
    const br = port === undefined ? undefined : this.#bridgeOfPort.get(port);
    return br === undefined ? null : (this.#bridgeNames.get(br) ?? null);
  }

  #apply(u: TableUpdates, initial: boolean): InterfaceEvent[] {
    const ifaces = Object.entries(u['Interface'] ?? {});
    // Deleted interfaces keep the bridge they had before this update.
    const before = new Map(ifaces.filter(([, r]) => !r.new).map(([id]) => [id, this.bridgeOf(id)]));
    for (const [id, r] of Object.entries(u['Port'] ?? {})) this.#setLinks(this.#portInterfaces, this.#portOfInterface, 'interfaces', id, r);
    for (const [id, r] of Object.entries(u['Bridge'] ?? {})) {
      this.#setLinks(this.#bridgePorts, this.#bridgeOfPort, 'ports', id, r);
      if (r.new) this.#bridgeNames.set(id, String(r.new['name'] ?? this.#bridgeNames.get(id) ?? ''));
      else this.#bridgeNames.delete(id);
    }
    const events: InterfaceEvent[] = [];
    for (const [id, r] of ifaces) {
      if (!r.new) {
        const row = { ...this.#interfaces.get(id), ...r.old };
        this.#interfaces.delete(id);
        events.push(toEvent('delete', row, before.get(id) ?? null));
        continue;
      }
      // A modify's "new" holds every monitored column; merging keeps a partial one safe.
      const row = { ...this.#interfaces.get(id), ...r.new };
      this.#interfaces.set(id, row);
      events.push(toEvent(initial ? 'initial' : r.old ? 'update' : 'insert', row, this.bridgeOf(id)));
    }
    return events;
  }

  /** Applies a Port (interfaces) or Bridge (ports) row to the child -> parent index. */
  #setLinks(children: Map<string, string[]>, parentOf: Map<string, string>, column: string, id: string, r: { old?: OvsdbRow; new?: OvsdbRow }): void {
    if (r.new && !(column in r.new)) return;
    for (const c of children.get(id) ?? []) if (parentOf.get(c) === id) parentOf.delete(c);
    if (!r.new) {
      children.delete(id);
      return;
    }
    const now = uuids(r.new[column]);
    children.set(id, now);
    for (const c of now) parentOf.set(c, id);
  }
}

function toEvent(action: InterfaceEvent['action'], row: OvsdbRow, bridge: string | null): InterfaceEvent {
  return { action, name: String(row['name'] ?? ''), bridge, ofport: optional<number>(row['ofport']) ?? -1, externalIds: mapOf(row['external_ids']) };
}
