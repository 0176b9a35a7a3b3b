/**
 * The in-process transport: queues are maps of listeners, delivery is asynchronous
 * (a microtask later, never re-entrant) and payloads are JSON-copied so behaviour
 * matches a broker's.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import {
  type Bus,
  type CallOptions,
  type Endpoint,
  type Listener,
  type MessageContext,
  type Target,
  DEFAULT_CALL_TIMEOUT_MS,
  MessagingTimeout,
  NoListener,
  RemoteError,
  toWireFailure,
} from './bus.js';

interface Server {
  server: string;
  endpoint: Endpoint;
  live: boolean;
}

export class InprocBus implements Bus {
  readonly #topics = new Map<string, Server[]>();
  readonly #rr = new Map<string, number>();
  /** Held casts by method name (fault injection): delivered when released. */
  readonly #held = new Map<string, { queue: string; deliver: () => void }[]>();

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    /** rpc_response_timeout: a call's deadline unless the caller gives one. */
    private readonly defaultTimeoutMs = DEFAULT_CALL_TIMEOUT_MS,
  ) {}

  async listen(topic: string, server: string, endpoint: Endpoint): Promise<Listener> {
    const entry: Server = { server, endpoint, live: true };
    const list = this.#topics.get(topic) ?? [];
    list.push(entry);
    this.#topics.set(topic, list);
    return {
      stop: async () => {
        entry.live = false;
        this.#topics.set(
          topic,
          (this.#topics.get(topic) ?? []).filter((s) => s !== entry),
        );
      },
    };
  }

  #pick(target: Target): Server[] {
    const list = (this.#topics.get(target.topic) ?? []).filter((s) => s.live);
    if (target.fanout) return list;
    if (target.server !== undefined) return list.filter((s) => s.server === target.server).slice(0, 1);
    if (list.length === 0) return [];
    const i = (this.#rr.get(target.topic) ?? 0) % list.length;
    this.#rr.set(target.topic, i + 1);
    return [list[i]!];
  }

  async #invoke(server: Server, method: string, payload: string, ctx: MessageContext): Promise<unknown> {
    const handler = server.endpoint[method];
    if (!handler) throw new Error(`Endpoint does not support RPC method ${method}`);
    await Promise.resolve();
    const result = await (handler as (a: unknown, c: MessageContext) => unknown)(JSON.parse(payload), ctx);
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  }

  call<R>(target: Target, method: string, args: unknown, opts: CallOptions = {}): Promise<R> {
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    const [server] = this.#pick({ ...target, fanout: false });
    if (!server) return Promise.reject(new NoListener(target, method, 0));
    const payload = JSON.stringify(args ?? null);
    return new Promise<R>((resolve, reject) => {
      let done = false;
      const timer = this.clock.after(timeoutMs, () => {
        if (done) return;
        done = true;
        reject(new MessagingTimeout(target, method, timeoutMs));
      });
      this.#invoke(server, method, payload, opts.ctx ?? {}).then(
        (r) => {
          if (done) return;
          done = true;
          timer.cancel();
          resolve(r as R);
        },
        (e: unknown) => {
          if (done) return;
          done = true;
          timer.cancel();
          const f = toWireFailure(e);
          reject(new RemoteError(f.excType, f.message, f.status, f.detail));
        },
      );
    });
  }

  /**
   * Fault injection (data, an admin-like call): casts of `method` wait, as messages in a
   * broker's queue wait for a busy consumer, until the returned function releases them
   * (in order) and stops holding.
   */
  hold(method: string): () => void {
    this.#held.set(method, []);
    return () => {
      const waiting = this.#held.get(method) ?? [];
      this.#held.delete(method);
      for (const { deliver } of waiting) deliver();
    };
  }

  async cast(target: Target, method: string, args: unknown, opts: { ctx?: MessageContext } = {}): Promise<void> {
    const held = this.#held.get(method);
    if (held) {
      held.push({ queue: target.server === undefined ? target.topic : `${target.topic}.${target.server}`, deliver: () => void this.cast(target, method, args, opts) });
      return;
    }
    const payload = JSON.stringify(args ?? null);
    for (const server of this.#pick(target)) {
      this.#invoke(server, method, payload, opts.ctx ?? {}).catch((e: unknown) =>
        this.log.error({ err: e, topic: target.topic, method }, 'cast handler failed'),
      );
    }
  }

  /**
   * Delivery is a microtask away, so only held casts wait: each counts on the queue it
   * was sent to. Every asked queue is reported (this transport has them all).
   */
  async queueDepths(queues: readonly string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = Object.fromEntries(queues.map((q) => [q, 0]));
    for (const waiting of this.#held.values()) for (const { queue } of waiting) if (queue in out) out[queue]! += 1;
    return out;
  }

  async close(): Promise<void> {
    this.#topics.clear();
  }
}
