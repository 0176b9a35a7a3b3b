/**
 * The RabbitMQ transport (AMQP 0-9-1 through amqplib), laid out as oslo.messaging's
 * rabbit driver lays out a broker, so `rabbitmqctl list_exchanges|list_queues|list_bindings`
 * reads as on an OpenStack cloud:
 *
 * - a topic exchange per control exchange (`nova`, `neutron`: see topics.ts);
 * - per listener, the shared queue `<topic>` (round robin between the servers of a
 *   topic) and `<topic>.<server>`, bound to it with those routing keys, neither
 *   auto-deleted, so a cast to a host that is down waits for it (durable only when
 *   amqp_durable_queues says so, oslo's default being false);
 * - per listener, a fanout exchange `<topic>_fanout` (auto-delete) and its own queue
 *   `<topic>_fanout_<uuid hex>` (x-expires: rabbit_transient_queues_ttl);
 * - per process, a reply queue `reply_<uuid hex>` on the default exchange, declared at
 *   the first call;
 * - messages in the oslo 2.0 envelope (oslo-wire.ts). A request is acknowledged when it
 *   arrives, before it is served, as oslo's RPC listener does.
 *
 * The connection has AMQP heartbeats. When it drops (a broker restart, a missed
 * heartbeat, a channel error), the transport reconnects with oslo's back-off (wait
 * rabbit_retry_interval, then rabbit_retry_backoff more each attempt, at most
 * rabbit_interval_max), trying the URL's hosts in turn, and declares again every queue,
 * binding and consumer it had. Publishes made meanwhile wait for the new connection;
 * a call still times out after its timeout. A call is published `mandatory`: when no
 * queue is bound to its routing key the broker returns it and the call fails at once
 * with NoListener (a MessagingTimeout), as the in-process transport does.
 */
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Message, Options } from 'amqplib';
import type { Clock, Random, TimerHandle } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import {
  type Bus,
  type CallOptions,
  type Endpoint,
  type Listener,
  type MessageContext,
  type Target,
  MessagingTimeout,
  NoListener,
  RemoteError,
  toWireFailure,
} from './bus.js';
import {
  type OsloReply,
  type OsloRequest,
  deserializeFailure,
  envelope,
  exceptionModule,
  packContext,
  serializeFailure,
  unpackContext,
  unwrap,
} from './oslo-wire.js';
import { controlExchange } from './topics.js';
import type { BrokerHost } from './transport-url.js';

export interface RabbitBusOptions {
  hosts: BrokerHost[];
  vhost: string;
  clock: Clock;
  random: Random;
  log: Logger;
  /** rpc_response_timeout in ms: a call's deadline unless the caller gives one. */
  defaultTimeoutMs: number;
  /** heartbeat_timeout_threshold in seconds; 0 disables heartbeats. */
  heartbeatSec: number;
  retryIntervalMs: number;
  retryBackoffMs: number;
  intervalMaxMs: number;
  /** rabbit_transient_queues_ttl in ms (x-expires of reply and fanout queues). */
  transientTtlMs: number;
  /** amqp_durable_queues. */
  durable: boolean;
}

/** One connection and its two channels; everything declared is declared per session. */
interface Session {
  conn: ChannelModel;
  /** Publisher confirms: a cast has reached the broker when its publish resolves. */
  pub: ConfirmChannel;
  sub: Channel;
  exchanges: Set<string>;
}

/** How long a stopping listener waits for the requests it took (oslo.service's graceful_shutdown_timeout). */
const GRACEFUL_STOP_MS = 60_000;

interface RabbitListener {
  topic: string;
  server: string;
  endpoint: Endpoint;
  fanoutQueue: string;
  consumerTags: string[];
  /** _unique_ids served lately: per listener, as oslo's _MsgIdCache (a fanout copy is not a duplicate). */
  seen: string[];
  declared?: { session: Session; done: Promise<void> };
  /** Requests taken and still being served: stop() waits for them (oslo's server.stop() then wait()). */
  inflight: Set<Promise<void>>;
}

interface PendingCall {
  target: Target;
  method: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: TimerHandle;
}

/** oslo's _MsgIdCache keeps the last 16 ids; a reconnecting publisher may resend a few more. */
const SEEN_IDS = 64;

const hex = (random: Random) => random.uuid().replace(/-/g, '');

export class RabbitBus implements Bus {
  #session: Session | undefined;
  #waiting: (() => void)[] = [];
  #closed = false;
  /** Reconnection is for a transport that once connected; a failed start just fails. */
  #started = false;
  #attempt = 0;
  #reconnectTimer: TimerHandle | undefined;
  readonly #listeners = new Set<RabbitListener>();
  readonly #pending = new Map<string, PendingCall>();
  #replyQ: string | undefined;
  #replyDeclared: { session: Session; done: Promise<void> } | undefined;

  private constructor(private readonly o: RabbitBusOptions) {}

  /**
   * Connects and resolves once a broker of the URL has answered (each host tried once,
   * in order). The first connection is not retried: a wrong URL or a broker that is not
   * running fails the start with its cause.
   */
  static async connect(o: RabbitBusOptions): Promise<RabbitBus> {
    const bus = new RabbitBus(o);
    const errors: string[] = [];
    for (const host of o.hosts) {
      try {
        await bus.#open(host);
        return bus;
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    throw new Error(errors.join('; '));
  }

  /** Where the transport connects, its password masked as oslo.messaging logs a TransportURL (logs, messages). */
  describe(host: BrokerHost = this.o.hosts[0]!): string {
    return `rabbit://${host.username}:***@${host.hostname}:${host.port}/${this.o.vhost === '/' ? '' : this.o.vhost}`;
  }

  async #open(host: BrokerHost): Promise<void> {
    const opts: Options.Connect = {
      protocol: 'amqp',
      hostname: host.hostname,
      port: host.port,
      username: host.username,
      password: host.password,
      vhost: this.o.vhost,
      heartbeat: this.o.heartbeatSec,
    };
    let conn: ChannelModel;
    try {
      conn = await amqp.connect(opts, { clientProperties: { connection_name: `nimbus:${process.pid}` } });
    } catch (e) {
      const msg = (e as Error).message;
      // The broker closes the handshake without a reason amqplib reports for a vhost it
      // lacks or one the user may not use, and says ACCESS_REFUSED for bad credentials.
      const why = /ConnectionClose|NOT_ALLOWED/.test(msg)
        ? ` (does vhost '${this.o.vhost}' exist, and may user '${host.username}' use it? rabbitmqctl add_vhost / set_permissions)`
        : /ACCESS_REFUSED|403/.test(msg)
          ? ` (user '${host.username}' or its password refused)`
          : '';
      throw new Error(`cannot connect to RabbitMQ at ${this.describe(host)}: ${msg}${why}`, { cause: e });
    }
    // Listened for at once: an 'error' nobody listens for (a missed heartbeat) would crash the process.
    conn.on('error', (e: Error) => this.o.log.warn({ err: e.message }, 'RabbitMQ connection error'));
    let session: Session | undefined;
    try {
      const pub = await conn.createConfirmChannel();
      const sub = await conn.createChannel();
      session = { conn, pub, sub, exchanges: new Set() };
      const s = session;
      conn.on('blocked', (reason: string) => this.o.log.warn({ reason }, 'RabbitMQ blocked the connection'));
      conn.on('close', () => this.#lost(s));
      // A channel error (e.g. a 404 from a queue deleted under us) closes only the
      // channel; the connection goes with it, so one path re-declares everything.
      for (const ch of [pub, sub]) {
        ch.on('error', (e: Error) => this.o.log.warn({ err: e.message }, 'RabbitMQ channel error'));
        ch.on('close', () => {
          if (this.#session === s) void s.conn.close().catch(() => undefined);
        });
      }
      pub.on('return', (m: Message) => this.#returned(m));
      await this.#declareAll(s);
    } catch (e) {
      await conn.close().catch(() => undefined);
      throw e;
    }
    if (this.#closed) {
      await conn.close().catch(() => undefined);
      return;
    }
    this.#session = session;
    this.#started = true;
    this.#attempt = 0;
    for (const w of this.#waiting.splice(0)) w();
    this.o.log.info({ broker: this.describe(host) }, 'connected to RabbitMQ');
  }

  /** Everything this process had on the broker, declared on a new session. */
  async #declareAll(s: Session): Promise<void> {
    if (this.#replyQ) await this.#declareReply(s);
    for (const l of this.#listeners) await this.#declareListener(s, l);
  }

  #lost(s: Session): void {
    if (this.#session === s) this.#session = undefined;
    if (this.#closed || !this.#started || this.#reconnectTimer) return;
    this.o.log.warn({ broker: this.describe() }, 'lost the RabbitMQ connection; reconnecting');
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#reconnectTimer) return;
    const { retryIntervalMs, retryBackoffMs, intervalMaxMs, hosts } = this.o;
    const wait = Math.min(retryIntervalMs + this.#attempt * retryBackoffMs, intervalMaxMs);
    const host = hosts[this.#attempt % hosts.length]!;
    this.#attempt++;
    this.#reconnectTimer = this.o.clock.after(wait, () => {
      this.#reconnectTimer = undefined;
      if (this.#closed) return;
      this.#open(host).catch((e: unknown) => {
        this.o.log.warn({ err: (e as Error).message, retryInS: Math.min(retryIntervalMs + this.#attempt * retryBackoffMs, intervalMaxMs) / 1000 }, 'RabbitMQ reconnection failed');
        if (!this.#closed && !this.#session) this.#scheduleReconnect();
      });
    });
  }

  /** The live session, waiting for a reconnection when there is none. Throws once closed. */
  async #ready(): Promise<Session> {
    for (;;) {
      if (this.#closed) throw new Error('the RabbitMQ transport is closed');
      if (this.#session) return this.#session;
      await new Promise<void>((r) => this.#waiting.push(r));
    }
  }

  async #exchange(s: Session, name: string, type: 'topic' | 'fanout'): Promise<void> {
    // A fanout exchange goes with its last queue (a listener that stopped), so it is
    // declared before each publish: publishing to a deleted one is a channel error,
    // which costs a reconnection. Topic exchanges are never deleted: once a session.
    if (type === 'topic' && s.exchanges.has(name)) return;
    // oslo: topic exchanges durable as amqp_durable_queues, never auto-deleted (amqp_auto_delete);
    // fanout exchanges transient and auto-deleted once their last queue goes.
    await s.pub.assertExchange(name, type, type === 'topic' ? { durable: this.o.durable, autoDelete: false } : { durable: false, autoDelete: true });
    s.exchanges.add(name);
  }

  #declareListener(s: Session, l: RabbitListener): Promise<void> {
    if (l.declared?.session === s) return l.declared.done;
    const done = (async () => {
      const exchange = controlExchange(l.topic);
      await this.#exchange(s, exchange, 'topic');
      await this.#exchange(s, `${l.topic}_fanout`, 'fanout');
      const shared = { durable: this.o.durable, autoDelete: false };
      const bindings: [queue: string, source: string, key: string, opts: Options.AssertQueue][] = [
        [l.topic, exchange, l.topic, shared],
        [`${l.topic}.${l.server}`, exchange, `${l.topic}.${l.server}`, shared],
        [l.fanoutQueue, `${l.topic}_fanout`, l.topic, { durable: false, autoDelete: false, arguments: { 'x-expires': this.o.transientTtlMs } }],
      ];
      l.consumerTags = [];
      for (const [queue, source, key, opts] of bindings) {
        await s.sub.assertQueue(queue, opts);
        await s.sub.bindQueue(queue, source, key);
        const { consumerTag } = await s.sub.consume(queue, (m) => this.#request(s, l, m));
        l.consumerTags.push(consumerTag);
      }
    })();
    l.declared = { session: s, done };
    return done;
  }

  #declareReply(s: Session): Promise<void> {
    if (this.#replyDeclared?.session === s) return this.#replyDeclared.done;
    const q = this.#replyQ!;
    const done = (async () => {
      // oslo's declare_direct_consumer: a transient queue on the default exchange.
      await s.sub.assertQueue(q, { durable: false, autoDelete: false, arguments: { 'x-expires': this.o.transientTtlMs } });
      await s.sub.consume(q, (m) => this.#reply(m), { noAck: true });
    })();
    this.#replyDeclared = { session: s, done };
    return done;
  }

  async listen(topic: string, server: string, endpoint: Endpoint): Promise<Listener> {
    const l: RabbitListener = { topic, server, endpoint, fanoutQueue: `${topic}_fanout_${hex(this.o.random)}`, consumerTags: [], seen: [], inflight: new Set() };
    this.#listeners.add(l);
    await this.#untilDeclared((s) => this.#declareListener(s, l));
    return {
      stop: async () => {
        if (!this.#listeners.delete(l)) return;
        const s = this.#session;
        if (s && l.declared?.session === s) {
          try {
            for (const tag of l.consumerTags) await s.sub.cancel(tag);
            // The shared and per-server queues stay, as oslo leaves them: casts to a
            // stopped server wait for it. This listener's own fanout queue has no other reader.
            await s.sub.deleteQueue(l.fanoutQueue);
          } catch (e) {
            this.o.log.warn({ err: (e as Error).message, topic }, 'could not cancel a RabbitMQ consumer');
          }
        }
        // A request is acknowledged when taken: one stopped mid-way would be lost (a
        // SIGTERMed conductor lost a build). Like oslo's graceful stop, nothing new is
        // taken and what was taken is finished, its reply sent, for at most
        // graceful_shutdown_timeout (oslo.service's default, 60 s).
        let timer: { cancel(): void } | undefined;
        await Promise.race([Promise.allSettled([...l.inflight]), new Promise<void>((r) => (timer = this.o.clock.after(GRACEFUL_STOP_MS, r)))]);
        timer?.cancel();
      },
    };
  }

  /** Runs a declaration on the live session; a connection lost meanwhile means the next session's. */
  async #untilDeclared(declare: (s: Session) => Promise<void>): Promise<void> {
    for (;;) {
      const s = await this.#ready();
      try {
        await declare(s);
        return;
      } catch (e) {
        if (this.#session === s) throw e;
      }
    }
  }

  /** Publishes with a broker confirm, retried on the next connection until `deadline` (ms, clock time). */
  async #publish(exchange: { name: string; type: 'topic' | 'fanout' } | undefined, key: string, body: Buffer, opts: Options.Publish, deadline?: number): Promise<void> {
    for (;;) {
      const s = await this.#ready();
      try {
        if (exchange) await this.#exchange(s, exchange.name, exchange.type);
        await new Promise<void>((resolve, reject) => {
          s.pub.publish(exchange?.name ?? '', key, body, { contentType: 'application/json', contentEncoding: 'utf-8', ...opts }, (err: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()));
        });
        return;
      } catch (e) {
        if (this.#closed || (deadline !== undefined && this.o.clock.now() >= deadline)) throw e;
        if (this.#session === s) {
          // The connection is up but the publish failed: make the failure a reconnection.
          await s.conn.close().catch(() => undefined);
        }
      }
    }
  }

  #request(s: Session, l: RabbitListener, m: ConsumeMessage | null): void {
    if (!m) {
      // The broker cancelled the consumer (its queue was deleted): declare everything again.
      this.o.log.warn({ topic: l.topic }, 'RabbitMQ cancelled a consumer');
      if (this.#session === s) void s.conn.close().catch(() => undefined);
      return;
    }
    try {
      s.sub.ack(m);
    } catch {
      /* the channel went; the message comes again to whoever consumes next */
      return;
    }
    let req: OsloRequest;
    try {
      req = unwrap(m.content) as unknown as OsloRequest;
    } catch (e) {
      this.o.log.error({ err: (e as Error).message, topic: l.topic }, 'dropped an undecodable RPC message');
      return;
    }
    if (req._unique_id) {
      // A publisher that reconnected may have sent it twice (amqp.py's DuplicateMessageError).
      if (l.seen.includes(req._unique_id)) return;
      l.seen.push(req._unique_id);
      if (l.seen.length > SEEN_IDS) l.seen.shift();
    }
    // oslo.messaging's amqpdriver logs each message it takes at debug, as here: which of
    // several servers of a topic got it shows the broker's round robin.
    this.o.log.debug({ topic: l.topic, server: l.server, queue: m.fields.routingKey, method: req.method, unique_id: req._unique_id }, `received message with unique_id: ${req._unique_id}`);
    const serving = this.#serve(l, req);
    l.inflight.add(serving);
    void serving.finally(() => l.inflight.delete(serving));
  }

  async #serve(l: RabbitListener, req: OsloRequest): Promise<void> {
    const ctx = unpackContext(req as unknown as Record<string, unknown>);
    let reply: Pick<OsloReply, 'result' | 'failure'>;
    try {
      const handler = l.endpoint[req.method];
      if (!handler) throw new Error(`Endpoint does not support RPC method ${req.method}`);
      const result = await (handler as (a: unknown, c: MessageContext) => unknown)(req.args ?? null, ctx);
      reply = { result: result === undefined ? null : result, failure: null };
    } catch (e) {
      if (!req._msg_id) {
        this.o.log.error({ err: e, topic: l.topic, method: req.method }, 'cast handler failed');
        return;
      }
      reply = { result: null, failure: serializeFailure(toWireFailure(e), exceptionModule(controlExchange(l.topic)), (e as Error)?.stack) };
    }
    if (!req._msg_id || !req._reply_q) return;
    const msg: OsloReply = { ...reply, ending: true, _msg_id: req._msg_id, _unique_id: hex(this.o.random) };
    const waitMs = typeof req._timeout === 'number' && req._timeout > 0 ? req._timeout * 1000 : this.o.defaultTimeoutMs;
    try {
      await this.#publish(undefined, req._reply_q, envelope(msg), {}, this.o.clock.now() + waitMs);
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message, replyQ: req._reply_q, msgId: req._msg_id }, 'could not send an RPC reply');
    }
  }

  #reply(m: ConsumeMessage | null): void {
    if (!m) return;
    let data: OsloReply;
    try {
      data = unwrap(m.content) as unknown as OsloReply;
    } catch {
      return;
    }
    const call = this.#pending.get(data._msg_id);
    if (!call) return; // timed out already, or a heartbeat for a call we gave up on
    if (data.failure) {
      this.#settle(data._msg_id);
      const f = deserializeFailure(data.failure);
      call.reject(new RemoteError(f.excType, f.message, f.status, f.detail));
    } else if (data.ending !== false) {
      this.#settle(data._msg_id);
      call.resolve(data.result ?? null);
    }
    // `ending: false` without a failure is oslo's call-monitor heartbeat: keep waiting.
  }

  /** A mandatory publish nobody's queue took: the call has no listener. */
  #returned(m: Message): void {
    let msgId: string | undefined;
    try {
      msgId = (unwrap(m.content) as Partial<OsloRequest>)._msg_id;
    } catch {
      return;
    }
    const call = msgId ? this.#pending.get(msgId) : undefined;
    if (!call || !msgId) return;
    this.#settle(msgId);
    call.reject(new NoListener(call.target, call.method, 0));
  }

  #settle(msgId: string): void {
    this.#pending.get(msgId)?.timer.cancel();
    this.#pending.delete(msgId);
  }

  async call<R>(target: Target, method: string, args: unknown, opts: CallOptions = {}): Promise<R> {
    const timeoutMs = opts.timeoutMs ?? this.o.defaultTimeoutMs;
    const deadline = this.o.clock.now() + timeoutMs;
    if (!this.#replyQ) this.#replyQ = `reply_${hex(this.o.random)}`;
    const msgId = hex(this.o.random);
    const result = new Promise<R>((resolve, reject) => {
      const timer = this.o.clock.after(timeoutMs, () => {
        this.#pending.delete(msgId);
        reject(new MessagingTimeout(target, method, timeoutMs));
      });
      this.#pending.set(msgId, { target, method, resolve: resolve as (v: unknown) => void, reject, timer });
    });
    const req: OsloRequest = {
      method,
      args: args ?? null,
      ...packContext(opts.ctx ?? {}),
      _msg_id: msgId,
      _reply_q: this.#replyQ,
      _timeout: null,
      _unique_id: hex(this.o.random),
    };
    const exchange = controlExchange(target.topic);
    const key = target.server !== undefined ? `${target.topic}.${target.server}` : target.topic;
    this.#untilDeclared((s) => this.#declareReply(s))
      // oslo sets the message's expiration to the call's timeout: a request nobody
      // served in time is dropped rather than run after its caller gave up.
      .then(() => this.#publish({ name: exchange, type: 'topic' }, key, envelope(req), { mandatory: true, expiration: String(Math.max(1, Math.ceil(timeoutMs))) }, deadline))
      .catch((e: unknown) => {
        const call = this.#pending.get(msgId);
        if (!call) return;
        this.#settle(msgId);
        this.o.log.warn({ err: (e as Error).message, topic: target.topic, method }, 'could not publish an RPC call');
        call.reject(new MessagingTimeout(target, method, timeoutMs));
      });
    return result;
  }

  async cast(target: Target, method: string, args: unknown, opts: { ctx?: MessageContext } = {}): Promise<void> {
    const req: OsloRequest = { method, args: args ?? null, ...packContext(opts.ctx ?? {}), _unique_id: hex(this.o.random) };
    try {
      if (target.fanout) {
        await this.#publish({ name: `${target.topic}_fanout`, type: 'fanout' }, target.topic, envelope(req), {});
      } else {
        const key = target.server !== undefined ? `${target.topic}.${target.server}` : target.topic;
        // With durable queues a cast is stored on disk too, so it outlives a broker restart.
        await this.#publish({ name: controlExchange(target.topic), type: 'topic' }, key, envelope(req), { persistent: this.o.durable });
      }
    } catch (e) {
      // As the in-process transport: a cast never throws at its caller; delivery errors are logged.
      this.o.log.error({ err: (e as Error).message, topic: target.topic, method }, 'cast could not be published');
    }
  }

  /**
   * The broker's message count of each queue (checkQueue), over a channel of its own: a
   * missing queue is a 404 that closes the channel it was asked on, which must not be
   * the session's. A queue that does not exist is left out.
   */
  async queueDepths(queues: readonly string[]): Promise<Record<string, number>> {
    const s = await this.#ready();
    const out: Record<string, number> = {};
    let ch: Channel | undefined;
    try {
      for (const q of queues) {
        if (!ch) {
          ch = await s.conn.createChannel();
          ch.on('error', () => undefined);
        }
        try {
          out[q] = (await ch.checkQueue(q)).messageCount;
        } catch {
          ch = undefined; // the 404 closed it
        }
      }
    } finally {
      await ch?.close().catch(() => undefined);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#reconnectTimer?.cancel();
    for (const w of this.#waiting.splice(0)) w();
    for (const [id, call] of [...this.#pending]) {
      this.#settle(id);
      call.reject(new MessagingTimeout(call.target, call.method, 0));
    }
    const s = this.#session;
    this.#session = undefined;
    if (!s) return;
    try {
      // Queues only this process reads go with it; the topic queues stay, as in OpenStack.
      for (const l of this.#listeners) if (l.declared?.session === s) await s.sub.deleteQueue(l.fanoutQueue);
      if (this.#replyQ && this.#replyDeclared?.session === s) await s.sub.deleteQueue(this.#replyQ);
    } catch {
      /* closing anyway */
    }
    this.#listeners.clear();
    await s.conn.close().catch(() => undefined);
  }
}
