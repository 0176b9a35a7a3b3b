/**
 * Typed RPC over the bus: each topic is declared once as a contract (method name →
 * its args and result, plain JSON) and both sides are checked against it. Clients send
 * with `rpcClient(bus, topic).call/cast(method, args)`; servers serve with
 * `listen(bus, topic, server, handlers)`, whose table must hold exactly the contract's
 * methods with compatible argument types. The method list also exists at runtime
 * (defineTopic), so `listen` refuses a table that drifted from it (e.g. built by spread).
 */
import type { Bus, CallOptions, Endpoint, Listener, MessageContext, Target } from './bus.js';

/** A declared topic: its name, its method names at runtime, and (type only) its contract. */
export interface TopicDef<C> {
  readonly name: string;
  readonly methods: readonly (keyof C & string)[];
  /** Never set: carries C for inference. */
  readonly contract?: C;
}

/**
 * Declares a topic. `methods` lists every method of C once, as `{ name: true }` so the
 * compiler rejects a missing or an unknown one (an object literal must match the
 * mapped type exactly).
 */
export function defineTopic<C extends Shape<C>>(name: string, methods: { [M in keyof C & string]: true }): TopicDef<C> {
  return { name, methods: Object.keys(methods) as (keyof C & string)[] };
}

/** What a contract type must be: every method has args and a result (an interface qualifies). */
export type Shape<C> = { [M in keyof C]: { args: unknown; result: unknown } };
type Args<C extends Shape<C>, M extends keyof C> = C[M]['args'];
type Result<C extends Shape<C>, M extends keyof C> = C[M]['result'];

export interface RpcClient<C extends Shape<C>> {
  /** Request/reply: the handler's result, or its error as RemoteError. */
  call<M extends keyof C & string>(method: M, args: Args<C, M>, opts?: CallOptions): Promise<Result<C, M>>;
  /** One way. */
  cast<M extends keyof C & string>(method: M, args: Args<C, M>, opts?: { ctx?: MessageContext }): Promise<void>;
}

/** A client of `topic`, optionally to one server or fanout (`target` adds to the topic). */
export function rpcClient<C extends Shape<C>>(bus: Bus, topic: TopicDef<C>, target: Omit<Target, 'topic'> = {}): RpcClient<C> {
  const t: Target = { topic: topic.name, ...target };
  // bus.call/cast are looked up on each send so a test may wrap them on the bus.
  return {
    call: (method, args, opts) => bus.call(t, method, args, opts),
    cast: (method, args, opts) => bus.cast(t, method, args, opts),
  };
}

/** What a server implements: one handler per method, taking (at least) the declared args. */
export type Handlers<C extends Shape<C>> = {
  [M in keyof C]: (args: Args<C, M>, ctx: MessageContext) => Result<C, M> | Promise<Result<C, M>>;
};

export class ContractMismatch extends Error {
  override name = 'ContractMismatch';
}

/** The methods `handlers` has too many or too few against the topic's list (empty when they match). */
export function contractDrift(topic: { readonly methods: readonly string[] }, handlers: object): { missing: string[]; extra: string[] } {
  const have = new Set(Object.keys(handlers));
  const want = new Set<string>(topic.methods);
  return { missing: [...want].filter((m) => !have.has(m)), extra: [...have].filter((m) => !want.has(m)) };
}

/** Serves `handlers` as `server` on the topic; throws ContractMismatch when they do not match its method list. */
export function listen<C extends Shape<C>>(bus: Bus, topic: TopicDef<C>, server: string, handlers: NoInfer<Handlers<C>>): Promise<Listener> {
  const { missing, extra } = contractDrift(topic, handlers);
  if (missing.length || extra.length) {
    return Promise.reject(new ContractMismatch(`Handlers for ${topic.name} do not match its contract: missing [${missing.join(', ')}], extra [${extra.join(', ')}]`));
  }
  return bus.listen(topic.name, server, handlers as unknown as Endpoint);
}
