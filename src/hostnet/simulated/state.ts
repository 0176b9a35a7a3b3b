/**
 * The state of one simulated host: kernel links (veth, tap, Linux bridges, OVS-owned
 * devices) and the OVSDB Bridge/Port/Interface tables, with what ties them together
 * the way the kernel and ovs-vswitchd do:
 * - deleting one end of a veth deletes its peer; deleting a link frees it from its bridge;
 * - a Linux bridge's MTU follows its smallest port unless set explicitly;
 * - an OVS Interface of type "" gets an ofport when its device exists (and -1 with
 *   "could not open network device X (No such device)" when it does not), and follows
 *   the device appearing or disappearing later; "internal" interfaces create their device.
 *
 * OVSDB changes are made inside a transaction (one ovs-vsctl invocation): every change
 * records its undo, a failure rolls all of them back, and a commit reports the net change
 * of each Interface row to the monitor listeners (insert/delete/update), as
 * `ovsdb-client monitor Interface` would.
 */
import type { Random } from '../../common/clock.js';
import type { InterfaceEvent, LinkKind } from '../host-network.js';

export interface Link {
  name: string;
  ifindex: number;
  kind: LinkKind;
  peer: string | null;
  master: string | null;
  up: boolean;
  promisc: boolean;
  mtu: number;
  /** The MTU was set by hand (a bridge then stops following its ports). */
  mtuSet: boolean;
  mac: string;
}

export interface LinuxBridge {
  name: string;
  stp: boolean;
  /** Centiseconds, as the kernel keeps it. */
  forwardDelay: number;
  multicastSnooping: boolean;
  ports: string[];
}

export interface OvsBridgeRow {
  uuid: string;
  name: string;
  datapathType: string;
  failMode: string | null;
  externalIds: Record<string, string>;
  otherConfig: Record<string, string>;
  ports: Set<string>;
  nextOfport: number;
}

export interface OvsPortRow {
  uuid: string;
  name: string;
  bridge: string;
  tag: number | null;
  vlanMode: string | null;
  trunks: number[];
  externalIds: Record<string, string>;
  otherConfig: Record<string, string>;
  interfaces: string[];
}

export interface OvsIfaceRow {
  uuid: string;
  name: string;
  port: string;
  type: string;
  ofport: number;
  externalIds: Record<string, string>;
  options: Record<string, string>;
  otherConfig: Record<string, string>;
  error: string | null;
  mtuRequest: number | null;
}

/** OpenFlow's local port: every bridge's own internal interface. */
export const OFPP_LOCAL = 65534;
/** The datapath device every OVS port's netdev is enslaved to. */
export const OVS_SYSTEM = 'ovs-system';
const DEFAULT_MTU = 1500;
const hex2 = (x: number) => x.toString(16).padStart(2, '0');

interface Touched {
  row: OvsIfaceRow;
  /** The row's monitored columns before the transaction; null when the transaction inserted it. */
  before: { ofport: number; externalIds: string; bridge: string | null } | null;
}

/** One ovs-vsctl invocation's changes: undo log and touched Interface rows. */
export class OvsTxn {
  readonly undo: (() => void)[] = [];
  readonly touched = new Map<string, Touched>();
}

/** A host's devices as data (HostState.dump). */
export interface HostDump {
  links: Map<string, Link>;
  linuxBridges: Map<string, LinuxBridge>;
  bridges: Map<string, OvsBridgeRow>;
  ports: Map<string, OvsPortRow>;
  ifaces: Map<string, OvsIfaceRow>;
}

export class HostState {
  readonly links = new Map<string, Link>();
  readonly linuxBridges = new Map<string, LinuxBridge>();
  readonly bridges = new Map<string, OvsBridgeRow>();
  readonly ports = new Map<string, OvsPortRow>();
  readonly ifaces = new Map<string, OvsIfaceRow>();
  readonly listeners = new Set<(ev: InterfaceEvent) => void>();
  readonly ovsUuid: string;
  #ifindex = 1;
  #uuidSeq = 0;
  readonly #uuidPrefix: string;

  constructor(
    readonly host: string,
    private readonly random: Random,
  ) {
    this.#uuidPrefix = random.bytes(10).toString('hex');
    const b = random.bytes(3);
    this.#macPrefix = [(b[0]! & 0xfe) | 0x02, b[1]!, b[2]!].map(hex2).join(':');
    this.ovsUuid = this.newUuid();
  }

  /** Every device as structured-clonable data (maps of plain rows), for snapshots. */
  dump(): HostDump {
    return structuredClone({ links: this.links, linuxBridges: this.linuxBridges, bridges: this.bridges, ports: this.ports, ifaces: this.ifaces });
  }

  /** Replaces every device with a dump's (no events: watchers resubscribe to see them). */
  restore(d: HostDump): void {
    const copy = structuredClone(d);
    for (const key of ['links', 'linuxBridges', 'bridges', 'ports', 'ifaces'] as const) {
      const live = this[key] as Map<string, unknown>;
      live.clear();
      for (const [k, v] of copy[key] as Map<string, unknown>) live.set(k, v);
    }
  }

  /** Row uuids: random per host, then a counter (cheap, unique, uuid-shaped). */
  newUuid(): string {
    const n = (this.#uuidSeq++).toString(16).padStart(12, '0');
    const p = this.#uuidPrefix;
    return `${p.slice(0, 8)}-${p.slice(8, 12)}-4${p.slice(13, 16)}-a${p.slice(17, 20)}-${n}`;
  }

  /**
   * A locally administered unicast MAC for a new veth or bridge. The kernel picks them at
   * random; here a random per-host prefix and a counter keep them unique and cheap.
   */
  randomMac(): string {
    const n = this.#macSeq++;
    return `${this.#macPrefix}:${hex2((n >> 16) & 0xff)}:${hex2((n >> 8) & 0xff)}:${hex2(n & 0xff)}`;
  }
  #macSeq = 0;
  readonly #macPrefix: string;

  // ---- kernel links -------------------------------------------------------

  addLink(name: string, kind: LinkKind, opts: Partial<Pick<Link, 'peer' | 'mac' | 'mtu' | 'master'>> = {}): Link {
    const link: Link = {
      name,
      ifindex: this.#ifindex++,
      kind,
      peer: opts.peer ?? null,
      master: opts.master ?? null,
      up: false,
      promisc: false,
      mtu: opts.mtu ?? DEFAULT_MTU,
      mtuSet: false,
      mac: opts.mac ?? this.randomMac(),
    };
    this.links.set(name, link);
    if (kind === 'bridge') this.linuxBridges.set(name, { name, stp: false, forwardDelay: 1500, multicastSnooping: true, ports: [] });
    this.#deviceChanged(name);
    return link;
  }

  /** Removes a link as the kernel does: its veth peer too, its bridge membership, a bridge's ports. */
  deleteLink(name: string): void {
    const link = this.links.get(name);
    if (!link) return;
    this.links.delete(name);
    if (link.master) this.detach(link);
    const br = this.linuxBridges.get(name);
    if (br) {
      for (const p of br.ports) {
        const l = this.links.get(p);
        if (l) l.master = null;
      }
      this.linuxBridges.delete(name);
    }
    this.#deviceChanged(name);
    if (link.peer) {
      const peer = this.links.get(link.peer);
      if (peer && peer.peer === name) this.deleteLink(peer.name);
    }
  }

  /** Enslaves a link to a Linux bridge (the caller checked both). */
  attach(link: Link, bridge: LinuxBridge): void {
    link.master = bridge.name;
    bridge.ports.push(link.name);
    this.adjustBridgeMtu(bridge.name);
  }

  /** Frees a link from its Linux bridge (nothing for ovs-system: OVS does that). */
  detach(link: Link): void {
    const br = link.master ? this.linuxBridges.get(link.master) : undefined;
    link.master = null;
    if (br) {
      br.ports = br.ports.filter((p) => p !== link.name);
      this.adjustBridgeMtu(br.name);
    }
  }

  /** A Linux bridge without a hand-set MTU takes its smallest port's (br_mtu_auto_adjust). */
  adjustBridgeMtu(bridge: string): void {
    const link = this.links.get(bridge);
    const br = this.linuxBridges.get(bridge);
    if (!link || !br || link.mtuSet) return;
    let mtu = Infinity;
    for (const p of br.ports) mtu = Math.min(mtu, this.links.get(p)?.mtu ?? Infinity);
    link.mtu = Number.isFinite(mtu) ? mtu : DEFAULT_MTU;
  }

  /** A veth or tap carries traffic: up, and for a veth its peer up too. */
  lowerUp(link: Link): boolean {
    if (!link.up) return false;
    if (link.kind === 'veth') return !!link.peer && !!this.links.get(link.peer)?.up;
    if (link.kind === 'bridge') return (this.linuxBridges.get(link.name)?.ports ?? []).some((p) => this.links.get(p)?.up);
    if (link.kind === 'tap') return false;
    return true;
  }

  // ---- OVSDB --------------------------------------------------------------

  /** Records a change to an Interface row inside `txn` (its state before the first change). */
  touch(txn: OvsTxn, row: OvsIfaceRow, inserted = false): void {
    if (txn.touched.has(row.uuid)) return;
    const bridge = this.ports.get(row.port)?.bridge ?? null;
    txn.touched.set(row.uuid, { row, before: inserted ? null : { ofport: row.ofport, externalIds: JSON.stringify(row.externalIds), bridge } });
  }

  insertBridge(txn: OvsTxn, name: string, datapathType: string): OvsBridgeRow {
    const br: OvsBridgeRow = { uuid: this.newUuid(), name, datapathType, failMode: null, externalIds: {}, otherConfig: {}, ports: new Set(), nextOfport: 1 };
    this.bridges.set(name, br);
    txn.undo.push(() => this.bridges.delete(name));
    this.insertPort(txn, br, name, 'internal');
    return br;
  }

  deleteBridge(txn: OvsTxn, br: OvsBridgeRow): void {
    for (const p of [...br.ports]) this.deletePort(txn, this.ports.get(p)!);
    this.bridges.delete(br.name);
    txn.undo.push(() => this.bridges.set(br.name, br));
  }

  insertPort(txn: OvsTxn, br: OvsBridgeRow, name: string, type = ''): OvsPortRow {
    const port: OvsPortRow = { uuid: this.newUuid(), name, bridge: br.name, tag: null, vlanMode: null, trunks: [], externalIds: {}, otherConfig: {}, interfaces: [name] };
    const iface: OvsIfaceRow = { uuid: this.newUuid(), name, port: name, type, ofport: 0, externalIds: {}, options: {}, otherConfig: {}, error: null, mtuRequest: null };
    this.ports.set(name, port);
    this.ifaces.set(name, iface);
    br.ports.add(name);
    this.touch(txn, iface, true);
    txn.undo.push(() => {
      this.ports.delete(name);
      this.ifaces.delete(name);
      br.ports.delete(name);
    });
    return port;
  }

  deletePort(txn: OvsTxn, port: OvsPortRow): void {
    const br = this.bridges.get(port.bridge);
    const rows = port.interfaces.map((i) => this.ifaces.get(i)!).filter(Boolean);
    for (const row of rows) {
      this.touch(txn, row);
      this.ifaces.delete(row.name);
    }
    this.ports.delete(port.name);
    br?.ports.delete(port.name);
    txn.undo.push(() => {
      this.ports.set(port.name, port);
      for (const row of rows) this.ifaces.set(row.name, row);
      br?.ports.add(port.name);
    });
  }

  /** Sets a field of a row, with its undo. */
  setField<T extends object, K extends keyof T>(txn: OvsTxn, row: T, key: K, value: T[K]): void {
    const old = row[key];
    row[key] = value;
    txn.undo.push(() => {
      row[key] = old;
    });
  }

  rollback(txn: OvsTxn): void {
    for (let i = txn.undo.length - 1; i >= 0; i--) txn.undo[i]!();
  }

  /** Applies the device side of the committed rows, then tells the monitor what changed. */
  commit(txn: OvsTxn): void {
    if (!txn.touched.size) return;
    const events: InterfaceEvent[] = [];
    for (const { row, before } of txn.touched.values()) {
      const live = this.ifaces.get(row.name) === row;
      if (!live) {
        this.#releaseDevice(row);
        if (before) events.push({ action: 'delete', name: row.name, bridge: before.bridge, ofport: before.ofport, externalIds: JSON.parse(before.externalIds) });
        continue;
      }
      this.#bindDevice(row);
      if (!before) events.push(this.#event('insert', row));
      else if (before.ofport !== row.ofport || before.externalIds !== JSON.stringify(row.externalIds)) events.push(this.#event('update', row));
    }
    this.emit(events);
  }

  emit(events: InterfaceEvent[]): void {
    if (!events.length || !this.listeners.size) return;
    for (const l of this.listeners) for (const ev of events) l(ev);
  }

  /** The monitor's view of a live row. */
  #event(action: InterfaceEvent['action'], row: OvsIfaceRow): InterfaceEvent {
    return { action, name: row.name, bridge: this.ports.get(row.port)?.bridge ?? null, ofport: row.ofport, externalIds: { ...row.externalIds } };
  }

  /** What `ovsdb-client monitor` prints first: every row, as "initial". */
  initialEvents(): InterfaceEvent[] {
    return [...this.ifaces.values()].map((row) => this.#event('initial', row));
  }

  /** ovs-vswitchd opening a row's device: internal ones are created, system ones must exist. */
  #bindDevice(row: OvsIfaceRow): void {
    const port = this.ports.get(row.port);
    const br = port && this.bridges.get(port.bridge);
    if (!br) return;
    if (row.type === 'internal') {
      if (!this.links.has(row.name)) this.addLink(row.name, 'internal', { master: OVS_SYSTEM });
      row.error = null;
      if (row.ofport <= 0) row.ofport = row.name === br.name ? OFPP_LOCAL : br.nextOfport++;
      return;
    }
    if (row.type !== '' && row.type !== 'system') {
      row.error = null;
      if (row.ofport <= 0) row.ofport = br.nextOfport++;
      return;
    }
    const link = this.links.get(row.name);
    if (!link) {
      row.ofport = -1;
      row.error = `could not open network device ${row.name} (No such device)`;
    } else if (link.master && link.master !== OVS_SYSTEM) {
      row.ofport = -1;
      row.error = `could not add network device ${row.name} to ofproto (Device or resource busy)`;
    } else {
      link.master = OVS_SYSTEM;
      row.error = null;
      if (row.ofport <= 0) row.ofport = br.nextOfport++;
    }
  }

  #releaseDevice(row: OvsIfaceRow): void {
    const link = this.links.get(row.name);
    if (row.type === 'internal') {
      if (link?.kind === 'internal') this.deleteLink(row.name);
    } else if (link?.master === OVS_SYSTEM && !this.ifaces.has(row.name)) {
      link.master = null;
    }
  }

  /** A device appeared or vanished: an OVS interface of that name gains or loses its ofport. */
  #deviceChanged(name: string): void {
    const row = this.ifaces.get(name);
    if (!row || (row.type !== '' && row.type !== 'system')) return;
    const before = row.ofport;
    if (this.links.has(name)) {
      this.#bindDevice(row);
    } else {
      row.ofport = -1;
      row.error = `could not open network device ${name} (No such device)`;
    }
    if (row.ofport !== before) this.emit([this.#event('update', row)]);
  }
}
