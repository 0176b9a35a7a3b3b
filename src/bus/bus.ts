/**
 * The RPC bus, with oslo.messaging's semantics.
 *
 * A server listens on a topic three ways at once: the shared topic queue (one of the
 * servers of that topic gets each message, round robin), its own `topic.server` queue,
 * and the topic's fanout exchange (every server gets every message). Clients `call`
 * (request/reply with a timeout; the remote exception comes back as RemoteError),
 * `cast` (one way, fire and forget) or fanout-cast. Payloads are plain JSON values:
 * every transport serialises them, so nothing shared by reference crosses the bus.
 *
 * Transports (transport.ts picks one from `transport_url`): `inproc` (one process, the
 * embedded default) and `rabbit` (RabbitMQ with oslo.messaging's layout, rabbit.ts).
 * test/contract/bus.test.ts runs the same cases over both.
 */
import type { OpenStackError } from '../common/errors.js';

/** Where a message goes: a topic, optionally one server on it, optionally to all. */
export interface Target {
  topic: string;
  server?: string;
  fanout?: boolean;
}

/** What a handler learns about the message it serves. */
export interface MessageContext {
  /** Request id of the API request that caused it, for the logs. */
  requestId?: string;
}

/** An endpoint: method name → handler. The handler's return value is the call's reply. */
export type Endpoint = Record<string, (args: never, ctx: MessageContext) => unknown>;

export interface CallOptions {
  /** Reply deadline; oslo.messaging's rpc_response_timeout defaults to 60 s. */
  timeoutMs?: number;
  ctx?: MessageContext;
}

export interface Listener {
  stop(): Promise<void>;
}

export interface Bus {
  /** Sends and waits for the reply. Throws MessagingTimeout, or RemoteError carrying the remote exception. */
  call<R>(target: Target, method: string, args: unknown, opts?: CallOptions): Promise<R>;
  /** Sends without waiting for anything; delivery errors are logged by the transport. */
  cast(target: Target, method: string, args: unknown, opts?: { ctx?: MessageContext }): Promise<void>;
  /** Serves `endpoint` as `server` on `topic` (shared queue, server queue and fanout). */
  listen(topic: string, server: string, endpoint: Endpoint): Promise<Listener>;
  /**
   * Messages waiting in each of `queues` (a topic, or `topic.server`) for a consumer, for
   * the metrics exporters. A queue the broker does not have is left out. Never throws
   * for a missing queue; throws only when the transport is closed.
   */
  queueDepths(queues: readonly string[]): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export class MessagingTimeout extends Error {
  constructor(target: Target, method: string, ms: number) {
    super(`Timed out waiting for a reply to ${method} on ${target.topic}${target.server ? '.' + target.server : ''} after ${ms / 1000} s`);
    this.name = 'MessagingTimeout';
  }
}

/** No server is listening where the message was sent (oslo's behaviour is a timeout; we fail fast). */
export class NoListener extends MessagingTimeout {}

/** The exception a remote handler raised, as oslo.messaging's RemoteError carries it. */
export class RemoteError extends Error {
  constructor(
    readonly excType: string,
    readonly value: string,
    /** Status and details when the remote raised an OpenStackError, so callers can re-raise it. */
    readonly status?: number,
    readonly detail?: string,
  ) {
    super(`Remote error: ${excType} ${value}`);
    this.name = 'RemoteError';
  }
}

/** The wire form of a failure, shared by transports. */
export interface WireFailure {
  excType: string;
  message: string;
  status?: number;
  detail?: string;
}

export function toWireFailure(e: unknown): WireFailure {
  if (e instanceof Error) {
    const os = e as Partial<OpenStackError>;
    return {
      excType: os.type ?? e.name,
      message: e.message,
      status: typeof os.status === 'number' ? os.status : undefined,
      ...(os.detail ? { detail: os.detail } : {}),
    };
  }
  return { excType: 'Error', message: String(e) };
}

export const DEFAULT_CALL_TIMEOUT_MS = 60_000;
