/**
 * oslo.messaging's wire format for the AMQP drivers (amqpdriver.py, common.py), so a
 * message on Nimbus's broker reads like one on an OpenStack cloud's:
 *
 * - every message is the 2.0 envelope `{"oslo.version": "2.0", "oslo.message": "<json>"}`;
 * - a request holds `method`, `args`, optionally `namespace`/`version`, the request
 *   context flattened into `_context_<key>` entries, `_unique_id`, and for a call
 *   `_msg_id`, `_reply_q` and `_timeout`;
 * - a reply holds `result`, `failure` (serialize_remote_exception's JSON string, or
 *   null) and `ending`, with the request's `_msg_id` and its own `_unique_id`.
 *
 * Pure functions: the transport owns the sockets.
 */
import type { MessageContext, WireFailure } from './bus.js';

export const ENVELOPE_VERSION = '2.0';

/** A request as it travels inside the envelope. */
export interface OsloRequest {
  method: string;
  args: unknown;
  namespace?: string | null;
  version?: string;
  _unique_id: string;
  _msg_id?: string;
  _reply_q?: string;
  _timeout?: number | null;
  [context: `_context_${string}`]: unknown;
}

/** A reply as it travels inside the envelope. */
export interface OsloReply {
  result: unknown;
  failure: string | null;
  ending: boolean;
  _msg_id: string;
  _unique_id: string;
}

/** Wraps a message in the 2.0 envelope (serialize_msg). */
export function envelope(msg: object): Buffer {
  return Buffer.from(JSON.stringify({ 'oslo.version': ENVELOPE_VERSION, 'oslo.message': JSON.stringify(msg) }));
}

/** Unwraps an envelope (deserialize_msg); a bare JSON object is taken as is, as oslo does. Throws on non-JSON. */
export function unwrap(body: Buffer): Record<string, unknown> {
  const outer = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  if (typeof outer['oslo.message'] !== 'string' || !('oslo.version' in outer)) return outer;
  const major = String(outer['oslo.version']).split('.')[0];
  if (major !== ENVELOPE_VERSION.split('.')[0]) throw new Error(`Specified RPC envelope version, ${String(outer['oslo.version'])}, not supported by this endpoint.`);
  return JSON.parse(outer['oslo.message']) as Record<string, unknown>;
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** pack_context: each context key as `_context_<snake_case key>` (nova's RequestContext.to_dict names). */
export function packContext(ctx: MessageContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ctx)) if (v !== undefined) out[`_context_${snake(k)}`] = v;
  return out;
}

/** unpack_context: gathers the `_context_` entries back into a MessageContext. */
export function unpackContext(msg: Record<string, unknown>): MessageContext {
  const ctx: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) if (k.startsWith('_context_')) ctx[camel(k.slice('_context_'.length))] = v;
  return ctx as MessageContext;
}

/**
 * serialize_remote_exception's JSON: `class`, `module`, `message`, `tb`, `args`,
 * `kwargs`. Nova's exceptions carry their HTTP code in kwargs (`code`); Nimbus adds
 * neutron's `detail` there, so the receiver rebuilds exactly what the in-process bus gives.
 */
export function serializeFailure(f: WireFailure, module: string, stack?: string): string {
  const kwargs: Record<string, unknown> = {};
  if (f.status !== undefined) kwargs.code = f.status;
  if (f.detail) kwargs.detail = f.detail;
  return JSON.stringify({
    class: f.excType,
    module: f.status === undefined ? 'builtins' : module,
    message: f.message,
    tb: stack ? [`Traceback (most recent call last):\n`, ...stack.split('\n').slice(1).map((l) => `${l}\n`)] : [],
    args: [f.message],
    kwargs,
  });
}

/** deserialize_remote_exception's reading of a failure: the same WireFailure the sender had. */
export function deserializeFailure(data: string): WireFailure {
  const f = JSON.parse(data) as { class?: string; message?: string; kwargs?: { code?: unknown; detail?: unknown } };
  const out: WireFailure = { excType: f.class ?? 'Exception', message: f.message ?? '' };
  if (typeof f.kwargs?.code === 'number') out.status = f.kwargs.code;
  if (typeof f.kwargs?.detail === 'string' && f.kwargs.detail) out.detail = f.kwargs.detail;
  return out;
}

/** The module oslo would name for a service's exceptions (what `tb`-less logs show). */
export function exceptionModule(exchange: string): string {
  return exchange === 'neutron' ? 'neutron_lib.exceptions' : 'nova.exception';
}
