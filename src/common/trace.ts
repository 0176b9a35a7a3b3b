/**
 * The trace recorder each service writes its steps to, for `nimbus trace` (issue 12,
 * point 3): one event per step (API request, conductor, scheduler decision, compute
 * steps, every neutron call, binding, plug, agent, port status, external events), keyed
 * by the request id (nova's, which travels in x-openstack-request-id and the bus
 * context) and the instance uuid.
 *
 * Recording costs one object push on the hot path: events are buffered and written in
 * one batch every `[trace] flush_ms` by the sink the service gives (its own database,
 * or the conductor for a nova-compute without one), never awaited by the step itself.
 * When `[trace] otlp_endpoint` is set, each batch is also exported as OpenTelemetry
 * spans (OTLP/HTTP): the trace id is the request id's uuid and every service's top
 * span is a child of the request's root span (the nova-api request), whose id derives
 * from the request id too, so no span id has to cross REST or RPC.
 */
import type { Clock, Random, TimerHandle } from './clock.js';
import type { Logger } from './log.js';
import { OtlpSpanExport } from './trace-otlp.js';

/** One recorded step. `startedAt` is ms since the epoch (fractions break ties, keeping order). */
export interface TraceEvent {
  spanId: string;
  /** The enclosing step's span, or the request's root span (rootSpanId) for a service's top step. */
  parentId?: string | null;
  requestId: string;
  instanceUuid?: string | null;
  /** nova-api, nova-conductor, nova-scheduler, nova-compute, neutron-server... */
  service: string;
  step: string;
  status: 'ok' | 'error';
  startedAt: number;
  durationMs: number;
  detail?: Record<string, unknown>;
}

/** Where a recorder's batches go; may throw (the batch is dropped and logged). */
export type TraceSink = (events: TraceEvent[]) => Promise<void>;

/** What a step belongs to: the request, the instance when known, the enclosing span. */
export interface TraceScope {
  requestId: string;
  instanceUuid?: string | null;
  parentId?: string | null;
}

/** A step in progress: end it once (later ends are ignored). */
export interface OpenSpan {
  readonly id: string;
  /** A scope whose steps nest under this one. */
  readonly scope: TraceScope;
  end(detail?: Record<string, unknown>, error?: unknown): void;
}

export interface TraceOptions {
  enabled: boolean;
  flush_ms: number;
  max_age_s: number;
  otlp_endpoint: string;
}

/** The 32-hex trace id of a request: its uuid (req-<uuid>), else a hash-free hex spelling of it. */
export function traceIdOf(requestId: string): string {
  const hex = requestId.replace(/^req-/, '').replace(/-/g, '').toLowerCase();
  if (/^[0-9a-f]{32}$/.test(hex)) return hex;
  return Buffer.from(requestId).toString('hex').padEnd(32, '0').slice(0, 32);
}

/** The root span of a request (the nova-api request): derived, so every service can name it as parent. */
export function rootSpanId(requestId: string): string {
  return traceIdOf(requestId).slice(16);
}

/** Breaks ties between events of one millisecond so they keep the order they were recorded in. */
let lastStamp = 0;
function stamp(clock: Clock): number {
  const now = clock.now();
  lastStamp = now > lastStamp ? now : lastStamp + 0.001;
  return lastStamp;
}

/** The recorder: buffers, flushes in batches, prunes old events, exports OTLP when configured. */
export class TraceRecorder {
  #buffer: TraceEvent[] = [];
  #timer: TimerHandle | null = null;
  #flushing: Promise<void> = Promise.resolve();
  #lastPrune = 0;
  readonly #otlp: OtlpSpanExport | null;
  /** Buffered events beyond this are dropped (a sink that cannot keep up must not grow memory). */
  static readonly MAX_BUFFER = 20_000;

  constructor(
    private readonly o: {
      clock: Clock;
      random: Random;
      log: Logger;
      cfg: TraceOptions;
      sink: TraceSink;
      /** Deletes events older than the given time; the services that own a table give it. */
      prune?: (before: number) => Promise<void>;
      /** The resource's service.name for OTLP (nova, neutron). */
      name: string;
    },
  ) {
    this.#otlp = o.cfg.enabled && o.cfg.otlp_endpoint ? new OtlpSpanExport(o.cfg.otlp_endpoint, o.name, o.log) : null;
  }

  /** A recorder that records nothing (tests and tools that need none). */
  static disabled(clock: Clock, random: Random, log: Logger): TraceRecorder {
    return new TraceRecorder({ clock, random, log, name: 'nimbus', cfg: { enabled: false, flush_ms: 0, max_age_s: 0, otlp_endpoint: '' }, sink: async () => {} });
  }

  get enabled(): boolean {
    return this.o.cfg.enabled;
  }

  /** Starts a step; `end` records it with its duration. */
  start(scope: TraceScope, service: string, step: string, detail?: Record<string, unknown>): OpenSpan {
    const id = this.o.random.bytes(8).toString('hex');
    const inner: TraceScope = { requestId: scope.requestId, instanceUuid: scope.instanceUuid ?? null, parentId: id };
    if (!this.o.cfg.enabled) return { id, scope: inner, end: () => {} };
    const startedAt = stamp(this.o.clock);
    const t0 = this.o.clock.now();
    let ended = false;
    return {
      id,
      scope: inner,
      end: (more, error) => {
        if (ended) return;
        ended = true;
        const d = { ...detail, ...more };
        if (error !== undefined) d.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        this.#push({
          spanId: id,
          parentId: scope.parentId ?? rootSpanId(scope.requestId),
          requestId: scope.requestId,
          instanceUuid: scope.instanceUuid ?? null,
          service,
          step,
          status: error !== undefined ? 'error' : 'ok',
          startedAt,
          durationMs: this.o.clock.now() - t0,
          detail: d,
        });
      },
    };
  }

  /** The instance(s) a REST request acts on, noted by the API, for the root step endRequest records. */
  readonly #requests = new Map<string, { instances: string[]; action: string }>();

  /** The request's start, for endRequest (a stamp: ordered before anything it causes). */
  now(): number {
    return stamp(this.o.clock);
  }

  /** Notes that `requestId` acts on `instanceUuid` (create, delete, attach...): its REST request becomes a root step. */
  noteRequest(requestId: string, instanceUuid: string, action: string): void {
    if (!this.o.cfg.enabled) return;
    const r = this.#requests.get(requestId);
    if (r) r.instances.push(instanceUuid);
    else if (this.#requests.size < 10_000) this.#requests.set(requestId, { instances: [instanceUuid], action });
  }

  /** Records the root step of a REST request that noted an instance; nothing for the others. */
  endRequest(requestId: string, service: string, step: string, startedAt: number, status: number): void {
    const r = this.#requests.get(requestId);
    if (!r) return;
    this.#requests.delete(requestId);
    const detail: Record<string, unknown> = { action: r.action, status };
    if (r.instances.length > 1) detail.instances = r.instances;
    this.#push({
      spanId: rootSpanId(requestId),
      parentId: null,
      requestId,
      instanceUuid: r.instances[0]!,
      service,
      step,
      status: status >= 400 ? 'error' : 'ok',
      startedAt,
      durationMs: Math.max(0, this.o.clock.now() - startedAt),
      detail,
    });
  }

  /** Runs `fn` as a step: its duration, and its error (rethrown) when it fails. */
  async span<T>(scope: TraceScope, service: string, step: string, fn: (inner: TraceScope) => Promise<T>, detail?: Record<string, unknown>): Promise<T> {
    const s = this.start(scope, service, step, detail);
    try {
      const r = await fn(s.scope);
      s.end();
      return r;
    } catch (e) {
      s.end(undefined, e);
      throw e;
    }
  }

  /** A moment without duration (the agent saw a device, a port went ACTIVE, an event arrived). */
  point(scope: TraceScope, service: string, step: string, detail?: Record<string, unknown>, spanId?: string, failed = false): void {
    if (!this.o.cfg.enabled) return;
    this.#push({
      spanId: spanId ?? this.o.random.bytes(8).toString('hex'),
      parentId: scope.parentId ?? rootSpanId(scope.requestId),
      requestId: scope.requestId,
      instanceUuid: scope.instanceUuid ?? null,
      service,
      step,
      status: failed ? 'error' : 'ok',
      startedAt: stamp(this.o.clock),
      durationMs: 0,
      detail: detail ?? {},
    });
  }

  /** A step whose start was stamped earlier (now()) and which ends now: a REST request seen by hooks. */
  endSpan(scope: TraceScope, service: string, step: string, startedAt: number, detail: Record<string, unknown>, failed: boolean): void {
    if (!this.o.cfg.enabled) return;
    this.#push({
      spanId: this.o.random.bytes(8).toString('hex'),
      parentId: scope.parentId ?? rootSpanId(scope.requestId),
      requestId: scope.requestId,
      instanceUuid: scope.instanceUuid ?? null,
      service,
      step,
      status: failed ? 'error' : 'ok',
      startedAt,
      durationMs: Math.max(0, this.o.clock.now() - startedAt),
      detail,
    });
  }

  /** Events recorded elsewhere (a nova-compute without database sends its batches to the conductor). */
  accept(events: readonly TraceEvent[]): void {
    for (const e of events) this.#push(e);
  }

  #push(e: TraceEvent): void {
    if (this.#buffer.length >= TraceRecorder.MAX_BUFFER) return;
    this.#buffer.push(e);
    this.#timer ??= this.o.clock.after(this.o.cfg.flush_ms, () => {
      this.#timer = null;
      void this.flush();
    });
  }

  /** Writes what is buffered (and exports it); resolves when written. Never throws. */
  flush(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = null;
    this.#flushing = this.#flushing.then(async () => {
      const batch = this.#buffer;
      if (!batch.length) return;
      this.#buffer = [];
      try {
        await this.o.sink(batch);
      } catch (err) {
        this.o.log.warn({ err, events: batch.length }, 'trace events dropped: the sink failed');
      }
      if (this.#otlp) await this.#otlp.export(batch);
      const now = this.o.clock.now();
      if (this.o.prune && now - this.#lastPrune > 60_000) {
        this.#lastPrune = now;
        await this.o.prune(now - this.o.cfg.max_age_s * 1000).catch((err: unknown) => this.o.log.warn({ err }, 'pruning trace events failed'));
      }
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = null;
    await this.flush();
    await this.#otlp?.shutdown();
  }
}
