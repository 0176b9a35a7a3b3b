/**
 * The Prometheus `/metrics` route both API services serve (issue 12): the exposition
 * text of one service's own registry, with no token, as exporters are scraped. Each app
 * has its own Registry, never prom-client's global one: the embedded process runs both
 * APIs and tests run many clouds in one process.
 */
import type { FastifyInstance } from 'fastify';
import { Gauge, type Registry } from 'prom-client';

/** The path the route serves; isPublic lets it through without a token. */
export const METRICS_PATH = '/metrics';

/** Serves `registry` at GET /metrics; every metric is computed at the scrape (their collect()). */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get(METRICS_PATH, async (_req, reply) => {
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(text);
  });
}

/** Bus queue depths by queue, as a metrics source reads them (Bus.queueDepths). */
export type QueueDepths = (queues: readonly string[]) => Promise<Record<string, number>>;

/** `nimbus_rpc_queue_messages{queue}`: the depth of each queue `queues()` names, read at the scrape. */
export function registerQueueDepthGauge(registry: Registry, help: string, queueDepths: QueueDepths, queues: () => Promise<string[]>): void {
  new Gauge({
    name: 'nimbus_rpc_queue_messages',
    help,
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      const depths = await queueDepths(await queues());
      this.reset();
      for (const [queue, n] of Object.entries(depths)) this.set({ queue }, n);
    },
  });
}
