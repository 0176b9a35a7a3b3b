/**
 * Fault injection as data (issue 12 point 4): the faults an admin added through
 * nova-api's /nimbus/v1/faults, as every process of the cloud sees them.
 *
 * Where they live: one FaultBook per process (per bus: the embedded cloud's services
 * share one), kept in step over the `nimbus-faults` fanout topic. No book is special, so
 * any nova-api behind a balancer serves the same list: an addition or a removal made
 * through one is broadcast to all (`fault_added`, `fault_removed`), a process starting
 * later asks for the faults in force and every book answers with its own
 * (`faults_sync`, `faults_known`, merged as a union), and each use of a counted fault is
 * broadcast (`fault_used`) so every book, and so `nimbus fault list`, counts down
 * together. Removed or used-up faults are remembered, so a late answer cannot revive
 * them. A
 * fanout rather than a table polled from nova's database because the processes that
 * apply faults (neutron-server, the hosts' agents) have no access to nova's database,
 * and a broadcast applies a fault at once where a poll would lag by its interval. The
 * price: faults live in memory, so a cloud whose every process restarts forgets them
 * (as it should for a test tool: a restarted cloud starts clean).
 *
 * Two shapes of fault: *events* (a vif-plugged dropped, a neutron call failing, a plug
 * failing, a scheduler delay) are taken, one use each, at the point they apply
 * (`take`); *states* (an agent down, a compute service down, OVSDB down) hold while the
 * fault exists, and whoever owns the host registers an applier (`onState`) called when a
 * host enters or leaves the state. Each fault expires after `count` uses or `ttl`
 * seconds, whichever comes first.
 */
import type { Bus, Listener } from '../bus/bus.js';
import { defineTopic, listen, rpcClient } from '../bus/contract.js';
import { Topics } from '../bus/topics.js';
import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './log.js';

type ParamSpec = { type: 'number' | 'string'; required?: boolean; help: string; min?: number };

/** Every fault kind: what it does, whether it names a host, its own parameters. */
export const FAULT_KINDS = {
  'vif-plugged-drop': { shape: 'event', host: 'never', summary: "neutron's nova notifier drops network-vif-plugged events", params: {} },
  'vif-plugged-delay': { shape: 'event', host: 'never', summary: "neutron's nova notifier sends network-vif-plugged events `delay` seconds late", params: { delay: { type: 'number', required: true, min: 0, help: 'seconds' } } },
  'vif-plugged-duplicate': { shape: 'event', host: 'never', summary: "neutron's nova notifier sends each network-vif-plugged event twice", params: {} },
  'agent-down': { shape: 'state', host: 'required', summary: "the host's OVS agent stops reporting its state (dead after agent_down_time)", params: {} },
  'neutron-call-fail': {
    shape: 'event',
    host: 'never',
    summary: "nova's neutron client: the `nth` call of kind `call` fails with `status` (and NeutronError `error`)",
    params: {
      call: { type: 'string', required: true, help: 'create_port, update_port, delete_port, show_port, list_ports...' },
      nth: { type: 'number', min: 1, help: 'which matching call fails first (default 1)' },
      status: { type: 'number', min: 400, help: 'HTTP status (default 500)' },
      error: { type: 'string', help: 'NeutronError type (default HTTPInternalServerError)' },
    },
  },
  'compute-down': { shape: 'state', host: 'required', summary: "the host's nova-compute stops reporting (down after service_down_time)", params: {} },
  'plug-failure': { shape: 'event', host: 'required', summary: "plugging a VIF on the host fails (the virt driver's plug_vifs)", params: {} },
  'ovsdb-down': { shape: 'state', host: 'required', summary: "ovsdb-server stopped on the host: every ovs-vsctl fails", params: {} },
  'scheduler-delay': { shape: 'event', host: 'never', summary: 'select_destinations waits `delay` seconds first', params: { delay: { type: 'number', required: true, min: 0, help: 'seconds' } } },
} as const satisfies Record<string, { shape: 'event' | 'state'; host: 'never' | 'required'; summary: string; params: Record<string, ParamSpec> }>;

export type FaultKind = keyof typeof FAULT_KINDS;
export const FAULT_KIND_NAMES = Object.keys(FAULT_KINDS).sort() as FaultKind[];

/** One fault as stored, listed and broadcast. */
export interface Fault {
  id: string;
  kind: FaultKind;
  host: string | null;
  params: Record<string, string | number>;
  /** Uses left; null: unlimited until ttl or removal. */
  remaining: number | null;
  /** Uses so far. */
  used: number;
  /** Matching occurrences seen (neutron-call-fail counts calls before its nth). */
  seen: number;
  created_at: string;
  /** ISO time it expires; null: never by time. */
  expires_at: string | null;
}

/** What an admin asks for (the POST body's `fault`). */
export interface FaultRequest {
  kind: string;
  host?: string;
  count?: number;
  ttl?: number;
  [param: string]: unknown;
}

/** A request that cannot be a fault; the message says what to change. */
export class FaultRequestError extends Error {}

/** Checks a request and builds the fault; throws FaultRequestError naming the problem. */
export function buildFault(req: FaultRequest, id: string, now: number): Fault {
  if (!req || typeof req !== 'object') throw new FaultRequestError("The request body must hold 'fault', an object.");
  const { kind, host, count, ttl, ...rest } = req;
  if (typeof kind !== 'string' || !(kind in FAULT_KINDS)) {
    throw new FaultRequestError(`Invalid fault kind '${String(kind)}': must be one of ${FAULT_KIND_NAMES.join(', ')}.`);
  }
  const spec = FAULT_KINDS[kind as FaultKind];
  if (spec.host === 'required' && (typeof host !== 'string' || !host)) throw new FaultRequestError(`Fault ${kind} needs 'host', the compute host it applies to.`);
  if (spec.host === 'never' && host !== undefined && host !== null) throw new FaultRequestError(`Fault ${kind} takes no 'host'.`);
  const positive = (name: string, v: unknown) => {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (name === 'count' && !Number.isInteger(v))) {
      throw new FaultRequestError(`Invalid '${name}' ${JSON.stringify(v)}: must be a positive ${name === 'count' ? 'integer' : 'number'}.`);
    }
    return v;
  };
  const uses = positive('count', count);
  const seconds = positive('ttl', ttl);
  const params: Record<string, string | number> = {};
  const specs = spec.params as Record<string, ParamSpec>;
  for (const name of Object.keys(rest)) {
    if (!(name in specs)) {
      const known = ['host', 'count', 'ttl', ...Object.keys(specs)].filter((n) => n !== 'host' || spec.host !== 'never');
      throw new FaultRequestError(`Unknown parameter '${name}' for fault ${kind}: it takes ${known.join(', ')}.`);
    }
  }
  for (const [name, p] of Object.entries(specs)) {
    const v = rest[name];
    if (v === undefined || v === null) {
      if (p.required) throw new FaultRequestError(`Fault ${kind} needs '${name}' (${p.help}).`);
      continue;
    }
    if (p.type === 'number' && (typeof v !== 'number' || !Number.isFinite(v) || (p.min !== undefined && v < p.min))) {
      throw new FaultRequestError(`Invalid '${name}' ${JSON.stringify(v)} for fault ${kind}: must be a number${p.min !== undefined ? ` >= ${p.min}` : ''}.`);
    }
    if (p.type === 'string' && (typeof v !== 'string' || !v)) throw new FaultRequestError(`Invalid '${name}' ${JSON.stringify(v)} for fault ${kind}: must be a string.`);
    params[name] = v as string | number;
  }
  return {
    id,
    kind: kind as FaultKind,
    host: typeof host === 'string' ? host : null,
    params,
    remaining: uses,
    used: 0,
    seen: 0,
    created_at: new Date(now).toISOString(),
    expires_at: seconds === null ? null : new Date(now + seconds * 1000).toISOString(),
  };
}

/** The nimbus-faults fanout (casts): changes, a late process's request and the answers, one use. */
export interface FaultsTopic {
  fault_added: { args: { fault: Fault; by: string }; result: void };
  /** id null: every fault. */
  fault_removed: { args: { id: string | null; by: string }; result: void };
  faults_sync: { args: { by: string }; result: void };
  faults_known: { args: { faults: Fault[]; by: string }; result: void };
  fault_used: { args: { id: string; by: string }; result: void };
}
export const FaultsTopicDef = defineTopic<FaultsTopic>(Topics.faults, { fault_added: true, fault_removed: true, faults_sync: true, faults_known: true, fault_used: true });

type StateApplier = (host: string, faulted: boolean) => void | Promise<void>;

/** A process's view of the faults in force. */
export class FaultBook {
  #faults = new Map<string, Fault>();
  /** Faults used up or removed here, so a broadcast crossing the removal cannot revive them. */
  #gone = new Set<string>();
  #appliers = new Map<FaultKind, StateApplier[]>();
  #inState = new Map<FaultKind, Set<string>>();
  #expiry: TimerHandle | null = null;
  #listener: Listener | null = null;
  readonly #name: string;

  constructor(
    private readonly d: { bus: Bus; clock: Clock; log: Logger; name: string },
  ) {
    this.#name = d.name;
  }

  /** Joins the fanout and asks the other processes for the faults in force (this one may start late). */
  start(): Promise<void> {
    return (this.#starting ??= this.#start());
  }
  #starting: Promise<void> | null = null;

  async #start(): Promise<void> {
    const mine = (by: string) => by === this.#name;
    this.#listener = await listen(this.d.bus, FaultsTopicDef, this.#name, {
      fault_added: ({ fault, by }) => {
        if (!mine(by)) this.#merge([fault]);
      },
      fault_removed: ({ id, by }) => {
        if (!mine(by)) this.#remove(id);
      },
      faults_sync: ({ by }) => {
        if (!mine(by) && this.#faults.size) void this.#cast('faults_known', { faults: this.list(), by: this.#name });
      },
      faults_known: ({ faults, by }) => {
        if (!mine(by)) this.#merge(faults);
      },
      fault_used: ({ id, by }) => {
        if (!mine(by)) this.#use(id, false);
      },
    });
    await this.#cast('faults_sync', { by: this.#name });
  }

  async stop(): Promise<void> {
    this.#expiry?.cancel();
    await this.#listener?.stop();
    this.#listener = null;
  }

  /** Faults in force, oldest first. */
  list(): Fault[] {
    this.#expire();
    return [...this.#faults.values()].map((f) => ({ ...f, params: { ...f.params } }));
  }

  /** Adds a fault and tells every process. */
  async add(f: Fault): Promise<Fault> {
    this.#faults.set(f.id, f);
    this.#changed();
    await this.#cast('fault_added', { fault: f, by: this.#name });
    return f;
  }

  /** Removes one fault, or all of them when `id` is undefined; false when `id` is unknown. */
  async clear(id?: string): Promise<boolean> {
    this.#expire();
    if (id !== undefined && !this.#faults.has(id)) return false;
    this.#remove(id ?? null);
    await this.#cast('fault_removed', { id: id ?? null, by: this.#name });
    return true;
  }

  #remove(id: string | null): void {
    for (const k of id === null ? [...this.#faults.keys()] : [id]) {
      this.#faults.delete(k);
      this.#gone.add(k);
    }
    this.#changed();
  }

  /**
   * One use of the first event fault of `kind` in force (for `host` when it names one)
   * whose params pass `match`: counted here and broadcast. Undefined: nothing to inject.
   */
  take(kind: FaultKind, opts: { host?: string; match?: (params: Fault['params']) => boolean } = {}): Fault | undefined {
    this.#expire();
    for (const f of this.#faults.values()) {
      if (f.kind !== kind || (f.host !== null && f.host !== opts.host)) continue;
      if (opts.match && !opts.match(f.params)) continue;
      f.seen += 1;
      const nth = typeof f.params.nth === 'number' ? f.params.nth : 1;
      if (f.seen < nth) {
        void this.#broadcastUse(f.id, 'seen');
        continue;
      }
      const taken = { ...f, params: { ...f.params } };
      this.#use(f.id, true);
      return taken;
    }
    return undefined;
  }

  /** Whether a state fault of `kind` holds for `host` now. */
  holds(kind: FaultKind, host: string): boolean {
    this.#expire();
    return [...this.#faults.values()].some((f) => f.kind === kind && f.host === host);
  }

  /** Registers who applies a state fault: called when a host enters (true) or leaves (false) it. */
  onState(kind: FaultKind, apply: StateApplier): () => void {
    const list = this.#appliers.get(kind) ?? [];
    list.push(apply);
    this.#appliers.set(kind, list);
    for (const host of this.#inState.get(kind) ?? []) void apply(host, true);
    return () => list.splice(list.indexOf(apply), 1);
  }

  #use(id: string, local: boolean): void {
    const f = this.#faults.get(id);
    if (!f) return;
    f.used += 1;
    if (f.remaining !== null) {
      f.remaining -= 1;
      if (f.remaining <= 0) {
        this.#faults.delete(id);
        this.#gone.add(id);
        this.#changed();
      }
    }
    if (local) void this.#broadcastUse(id, 'used');
  }

  async #broadcastUse(id: string, what: 'used' | 'seen'): Promise<void> {
    // A call before the nth is only counted where it happened: one process makes them all.
    if (what === 'used') await this.#cast('fault_used', { id, by: this.#name });
  }

  /** Adds the faults this book does not know yet (and never saw go); a lower count wins. */
  #merge(incoming: Fault[]): void {
    for (const f of incoming) {
      if (this.#gone.has(f.id)) continue;
      const mine = this.#faults.get(f.id);
      if (!mine) this.#faults.set(f.id, { ...f, params: { ...f.params } });
      else if (f.remaining !== null && mine.remaining !== null) mine.remaining = Math.min(mine.remaining, f.remaining);
    }
    this.#changed();
  }

  /** One fanout cast; a transport failure is logged (the fault still applies here). */
  async #cast<M extends keyof FaultsTopic & string>(method: M, args: FaultsTopic[M]['args']): Promise<void> {
    if (!this.#listener) return;
    try {
      await rpcClient(this.d.bus, FaultsTopicDef, { fanout: true }).cast(method, args);
    } catch (e) {
      this.d.log.warn({ err: e, method }, 'could not broadcast a fault change');
    }
  }

  /** Drops faults past their time; returns nothing, re-arms the timer for the next expiry. */
  #expire(): void {
    const now = this.d.clock.now();
    let dropped = false;
    for (const f of [...this.#faults.values()]) {
      if (f.expires_at !== null && Date.parse(f.expires_at) <= now) {
        this.#faults.delete(f.id);
        this.#gone.add(f.id);
        dropped = true;
      }
    }
    if (dropped) this.#changed();
  }

  /** Calls the state appliers for hosts entering or leaving a state; arms the next ttl expiry. */
  #changed(): void {
    for (const [kind, spec] of Object.entries(FAULT_KINDS) as [FaultKind, (typeof FAULT_KINDS)[FaultKind]][]) {
      if (spec.shape !== 'state') continue;
      const now = new Set([...this.#faults.values()].filter((f) => f.kind === kind && f.host).map((f) => f.host!));
      const was = this.#inState.get(kind) ?? new Set<string>();
      this.#inState.set(kind, now);
      for (const apply of this.#appliers.get(kind) ?? []) {
        for (const h of now) if (!was.has(h)) void this.#apply(apply, kind, h, true);
        for (const h of was) if (!now.has(h)) void this.#apply(apply, kind, h, false);
      }
    }
    this.#expiry?.cancel();
    this.#expiry = null;
    const next = Math.min(...[...this.#faults.values()].filter((f) => f.expires_at !== null).map((f) => Date.parse(f.expires_at!)));
    if (Number.isFinite(next)) this.#expiry = this.d.clock.after(Math.max(0, next - this.d.clock.now()), () => this.#expire());
  }

  async #apply(apply: StateApplier, kind: FaultKind, host: string, faulted: boolean): Promise<void> {
    try {
      await apply(host, faulted);
      this.d.log.info({ kind, host, faulted }, `fault ${kind} ${faulted ? 'applied to' : 'lifted from'} ${host}`);
    } catch (e) {
      this.d.log.error({ err: e, kind, host }, 'applying a fault failed');
    }
  }
}

const books = new WeakMap<Bus, FaultBook>();

/**
 * This process's book: one per bus, so the services of the embedded cloud (one bus)
 * share one and each process of a distributed cloud has its own. Started on first use.
 */
export function faultBook(bus: Bus, deps: { clock: Clock; log: Logger; name: string }): FaultBook {
  let book = books.get(bus);
  if (!book) {
    book = new FaultBook({ bus, ...deps });
    books.set(bus, book);
  }
  return book;
}
