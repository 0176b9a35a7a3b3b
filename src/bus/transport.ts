/**
 * Chooses the bus transport from `transport_url` (oslo.messaging's option): `inproc://`
 * for one process, `rabbit://` for RabbitMQ. An unknown driver fails the start naming
 * the known ones.
 */
import type { Clock, Random } from '../common/clock.js';
import { type Config, optionNames } from '../common/config.js';
import type { Logger } from '../common/log.js';
import { StartupError } from '../common/preflight.js';
import type { Bus } from './bus.js';
import { InprocBus } from './inproc.js';
import { RabbitBus } from './rabbit.js';
import { parseTransportUrl } from './transport-url.js';

export interface BusDeps {
  clock: Clock;
  random: Random;
  log: Logger;
}

/**
 * Opens the configured transport; for RabbitMQ, resolves once connected. A bad URL or a
 * broker that does not answer is a StartupError naming the cause and the option.
 */
export async function createBus(cfg: Config, deps: BusDeps): Promise<Bus> {
  const o = optionNames('DEFAULT', 'transport_url');
  const hint = `; set it with ${o.flag}, ${o.env} or ${o.ini}`;
  let url: ReturnType<typeof parseTransportUrl>;
  try {
    url = parseTransportUrl(cfg.DEFAULT.transport_url);
  } catch (e) {
    throw new StartupError(`${(e as Error).message}${hint}`);
  }
  const defaultTimeoutMs = cfg.DEFAULT.rpc_response_timeout * 1000;
  if (url.driver === 'inproc') return new InprocBus(deps.clock, deps.log, defaultTimeoutMs);
  const r = cfg.oslo_messaging_rabbit;
  return RabbitBus.connect({
    hosts: url.hosts,
    vhost: url.vhost,
    ...deps,
    defaultTimeoutMs,
    heartbeatSec: r.heartbeat_timeout_threshold,
    retryIntervalMs: r.rabbit_retry_interval * 1000,
    retryBackoffMs: r.rabbit_retry_backoff * 1000,
    intervalMaxMs: r.rabbit_interval_max * 1000,
    transientTtlMs: r.rabbit_transient_queues_ttl * 1000,
    durable: r.amqp_durable_queues,
  }).catch((e: unknown) => {
    throw new StartupError(`${(e as Error).message}${hint}`);
  });
}
