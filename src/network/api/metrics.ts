/**
 * neutron-server's Prometheus metrics, computed at each scrape from neutron's database
 * (as openstack-exporter does), so they read the same embedded and distributed: ports
 * by status and owner, active bindings by vif_type, agents alive, and the neutron RPC
 * queues' depths.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { Gauge, Registry } from 'prom-client';
import { Topics } from '../../bus/topics.js';
import type { Clock } from '../../common/clock.js';
import { type QueueDepths, registerMetricsRoute, registerQueueDepthGauge } from '../../common/metrics.js';
import { isAlive, listAgents } from '../agents/index.js';
import { countPortsByStatusAndOwner } from '../db/metrics.js';
import type { NeutronDB } from '../db/schema.js';
import { countActiveBindingsByVifType } from '../ml2/db/port-bindings.js';

export interface NetworkMetricsDeps {
  db: Kysely<NeutronDB>;
  clock: Clock;
  /** [network] agent_down_time, seconds. */
  agentDownTimeS: number;
  queueDepths?: QueueDepths;
}

/** A registry of neutron-server's metrics; each is read from the database when scraped. */
export function networkMetricsRegistry(d: NetworkMetricsDeps): Registry {
  const registry = new Registry();
  const { db } = d;

  new Gauge({
    name: 'nimbus_network_ports',
    help: 'Ports by status and device_owner.',
    labelNames: ['status', 'device_owner'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await countPortsByStatusAndOwner(db)) this.set({ status: r.status, device_owner: r.deviceOwner }, r.count);
    },
  });

  new Gauge({
    name: 'nimbus_network_ports_bindings',
    help: "Ports' active bindings by vif_type (unbound, binding_failed, or the bound type).",
    labelNames: ['vif_type'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await countActiveBindingsByVifType(db)) this.set({ vif_type: r.vifType }, r.count);
    },
  });

  new Gauge({
    name: 'nimbus_network_agents_alive',
    help: 'Neutron agents: 1 when their last report is at most agent_down_time old, else 0.',
    labelNames: ['agent_type', 'host'],
    registers: [registry],
    async collect() {
      const now = d.clock.now();
      this.reset();
      for (const a of await listAgents(db)) this.set({ agent_type: a.agent_type, host: a.host }, isAlive(a, now, d.agentDownTimeS) ? 1 : 0);
    },
  });

  if (d.queueDepths) {
    registerQueueDepthGauge(registry, "Messages waiting in neutron-server's RPC queues (what agents send it).", d.queueDepths, async () => [Topics.plugin, Topics.reports]);
  }
  return registry;
}

/** Serves neutron-server's metrics at GET /metrics. */
export function registerNetworkMetrics(app: FastifyInstance, d: NetworkMetricsDeps): void {
  registerMetricsRoute(app, networkMetricsRegistry(d));
}
