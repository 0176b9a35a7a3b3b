/**
 * A small RFC 7047 client: JSON-RPC 1.0 to ovsdb-server over `unix:PATH` or
 * `tcp:IP:PORT` (the forms ovs-vsctl's --db takes). It answers the server's `echo`
 * (ovsdb-server probes idle clients and drops those that do not answer), and offers
 * `transact`, `monitor` / `monitor_cancel` with their `update` notifications.
 *
 * No reconnection: when the connection closes every pending request fails with
 * OvsdbConnectionClosed and the onClose listeners learn why, so the owner can
 * subscribe again on a new client (a new monitor brings the rows afresh anyway).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { Logger } from '../../../common/log.js';
import { OvsdbConnectionClosed, OvsdbProtocolError, OvsdbRequestFailed } from './errors.js';
import { JsonStreamParser } from './json-stream.js';

/** One row as the wire carries it: column name -> OVSDB JSON value (RFC 7047 §5.1). */
export type OvsdbRow = Record<string, unknown>;
/** §4.1.6 <row-update>: insert = new only, delete = old only, modify = both (old: the changed columns). */
export interface RowUpdate {
  old?: OvsdbRow;
  new?: OvsdbRow;
}
/** §4.1.6 <table-updates>: table name -> row uuid -> its update. */
export type TableUpdates = Record<string, Record<string, RowUpdate>>;
/** §4.1.5 <monitor-request> of one table. */
export interface MonitorRequest {
  columns?: string[];
  select?: { initial?: boolean; insert?: boolean; delete?: boolean; modify?: boolean };
}

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** Parses ovs-vsctl's --db form: unix:PATH or tcp:IP:PORT (IPv6 in brackets). */
export function parseTarget(target: string): { path: string } | { host: string; port: number } {
  if (target.startsWith('unix:')) return { path: target.slice(5) };
  const m = /^tcp:(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target);
  if (m) return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  throw new OvsdbProtocolError(`unsupported OVSDB target ${JSON.stringify(target)} (unix:PATH or tcp:IP:PORT)`);
}

/** One connection to ovsdb-server. */
export class OvsdbClient {
  readonly #socket: Socket;
  readonly #parser = new JsonStreamParser();
  readonly #decoder = new StringDecoder('utf8');
  readonly #pending = new Map<number, Pending>();
  readonly #monitors = new Map<string, (updates: TableUpdates) => void>();
  readonly #closeListeners = new Set<(err: OvsdbConnectionClosed) => void>();
  readonly #log: Logger | undefined;
  #nextId = 1;
  #closed: OvsdbConnectionClosed | null = null;

  private constructor(
    readonly target: string,
    socket: Socket,
    log: Logger | undefined,
  ) {
    this.#socket = socket;
    this.#log = log;
    socket.on('data', (d: Buffer) => this.#onData(this.#decoder.write(d)));
    socket.on('error', (e) => this.#shutdown(e.message));
    socket.on('close', () => this.#shutdown('closed by ovsdb-server'));
  }

  /** Connects; rejects with OvsdbConnectionClosed when the socket cannot be reached. */
  static connect(target: string, opts: { log?: Logger } = {}): Promise<OvsdbClient> {
    const where = parseTarget(target);
    return new Promise((resolve, reject) => {
      const socket = 'path' in where ? netConnect(where.path) : netConnect(where.port, where.host);
      const fail = (e: Error) => reject(new OvsdbConnectionClosed(target, e.message));
      socket.once('error', fail);
      socket.once('connect', () => {
        socket.off('error', fail);
        resolve(new OvsdbClient(target, socket, opts.log));
      });
    });
  }

  /** Whether the connection is closed (then every request rejects). */
  get closed(): boolean {
    return this.#closed !== null;
  }

  /** Calls `fn` once when the connection closes (at once if it already has); returns the unsubscribe. */
  onClose(fn: (err: OvsdbConnectionClosed) => void): () => void {
    if (this.#closed) {
      queueMicrotask(() => fn(this.#closed!));
      return () => undefined;
    }
    this.#closeListeners.add(fn);
    return () => this.#closeListeners.delete(fn);
  }

  /** One JSON-RPC request; resolves to its result, rejects with OvsdbRequestFailed or OvsdbConnectionClosed. */
  request<T = unknown>(method: string, params: unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
      this.#send({ method, params, id });
    });
  }

  /** RFC 7047 §4.1.3 transact: the operations' results in order; an operation's error fails the call. */
  async transact(db: string, ...operations: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const results = await this.request<(Record<string, unknown> | null)[]>('transact', [db, ...operations]);
    const failed = results.find((r) => r && typeof r['error'] === 'string');
    if (failed) throw new OvsdbRequestFailed('transact', String(failed['error']), String(failed['details'] ?? ''));
    return results as Record<string, unknown>[];
  }

  /** `select` of the rows of `table` matching `where` (RFC 7047 §5.2.2), the given columns only. */
  async select(db: string, table: string, where: unknown[][] = [], columns?: string[]): Promise<OvsdbRow[]> {
    const [r] = await this.transact(db, { op: 'select', table, where, ...(columns ? { columns } : {}) });
    return (r!['rows'] as OvsdbRow[]) ?? [];
  }

  /**
   * RFC 7047 §4.1.5 monitor: resolves to the initial rows (as table-updates whose rows
   * have "new" only); `onUpdate` then gets each later `update` notification, in order.
   * The updates are registered before the request goes out, so none is missed.
   */
  async monitor(db: string, monitorId: string, requests: Record<string, MonitorRequest>, onUpdate: (updates: TableUpdates) => void): Promise<TableUpdates> {
    if (this.#monitors.has(monitorId)) throw new OvsdbProtocolError(`monitor ${monitorId} already exists on this connection`);
    this.#monitors.set(monitorId, onUpdate);
    try {
      return await this.request<TableUpdates>('monitor', [db, monitorId, requests]);
    } catch (e) {
      this.#monitors.delete(monitorId);
      throw e;
    }
  }

  /** RFC 7047 §4.1.7 monitor_cancel: no update of `monitorId` is delivered after this is called. */
  async monitorCancel(monitorId: string): Promise<void> {
    this.#monitors.delete(monitorId);
    await this.request('monitor_cancel', [monitorId]);
  }

  /** Closes the connection; pending requests reject with OvsdbConnectionClosed. */
  close(): void {
    this.#shutdown('closed by the client');
    this.#socket.destroy();
  }

  #send(msg: unknown): void {
    this.#socket.write(JSON.stringify(msg));
  }

  #onData(text: string): void {
    let messages: unknown[];
    try {
      messages = this.#parser.push(text);
    } catch (e) {
      this.#log?.error({ target: this.target, err: e }, 'OVSDB: unreadable stream; closing the connection');
      this.#shutdown((e as Error).message);
      this.#socket.destroy();
      return;
    }
    for (const m of messages) this.#dispatch(m as Record<string, unknown>);
  }

  #dispatch(m: Record<string, unknown>): void {
    const method = m['method'];
    if (typeof method === 'string') {
      // A request or notification from the server.
      if (method === 'echo') this.#send({ result: m['params'] ?? [], error: null, id: m['id'] ?? null });
      else if (method === 'update') {
        const [monitorId, updates] = (m['params'] ?? []) as [unknown, TableUpdates];
        const fn = typeof monitorId === 'string' ? this.#monitors.get(monitorId) : undefined;
        try {
          fn?.(updates);
        } catch (e) {
          // A failing subscriber must not take the connection (or the process) down with it.
          this.#log?.error({ target: this.target, monitor: monitorId, err: e }, 'OVSDB: a monitor update handler failed');
        }
      } else if (m['id'] !== null && m['id'] !== undefined) {
        this.#send({ result: null, error: { error: 'unknown method', details: method }, id: m['id'] });
      }
      return;
    }
    const p = typeof m['id'] === 'number' ? this.#pending.get(m['id']) : undefined;
    if (!p) return;
    this.#pending.delete(m['id'] as number);
    const err = m['error'];
    if (err !== null && err !== undefined) {
      const e = err as { error?: unknown; details?: unknown };
      p.reject(new OvsdbRequestFailed(p.method, typeof e === 'object' ? String(e.error) : String(err), typeof e === 'object' && e.details ? String(e.details) : ''));
    } else p.resolve(m['result']);
  }

  #shutdown(reason: string): void {
    if (this.#closed) return;
    const err = new OvsdbConnectionClosed(this.target, reason);
    this.#closed = err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    this.#monitors.clear();
    for (const fn of this.#closeListeners) fn(err);
    this.#closeListeners.clear();
  }
}
