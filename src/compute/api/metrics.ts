/**
 * nova-api's Prometheus metrics, computed at each scrape from nova's database (as
 * openstack-exporter does), so they read the same embedded and distributed: servers by
 * the status the API shows, boots by result, live ERROR servers by their fault's class,
 * action event durations, services up and the nova RPC queues' depths.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Topics } from '../../bus/topics.js';
import type { Clock } from '../../common/clock.js';
import { type QueueDepths, registerMetricsRoute, registerQueueDepthGauge } from '../../common/metrics.js';
import { countLiveInstancesByState, selectCreateActionEvents, selectLiveInstanceUuidsInVmState, selectRecentFinishedEvents } from '../db/metrics.js';
import { selectFaultsOfInstances } from '../db/instances.js';
import type { NovaDB } from '../db/schema.js';
import { selectServices } from '../db/services.js';
import { faultCause } from '../objects/faults.js';
import { serviceIsUp } from '../objects/services.js';
import { serverStatus, VmState } from '../objects/states.js';

/** How many of the latest finished action events the duration histogram covers (bounds the scrape). */
export const EVENT_WINDOW = 1000;

/** Seconds buckets for action event durations: a fake boot takes milliseconds, a real one minutes. */
const EVENT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** The event a successful boot ends with (nova's build on the compute host). */
const BUILD_EVENT = 'compute__do_build_and_run_instance';

export interface ComputeMetricsDeps {
  db: Kysely<NovaDB>;
  clock: Clock;
  /** [DEFAULT] service_down_time, seconds. */
  serviceDownTimeS: number;
  queueDepths?: QueueDepths;
}

/**
 * Boots by result from the events of `create` actions: a success once a build event
 * succeeded (a reschedule that then succeeds is one success), an error once any event
 * failed and none built; a boot still under way counts in neither.
 */
export function bootResults(events: readonly { actionId: number; event: string; result: string | null }[]): { success: number; error: number } {
  const byAction = new Map<number, { built: boolean; failed: boolean }>();
  for (const e of events) {
    const a = byAction.get(e.actionId) ?? { built: false, failed: false };
    if (e.event === BUILD_EVENT && e.result === 'Success') a.built = true;
    if (e.result === 'Error') a.failed = true;
    byAction.set(e.actionId, a);
  }
  let success = 0;
  let error = 0;
  for (const a of byAction.values()) {
    if (a.built) success++;
    else if (a.failed) error++;
  }
  return { success, error };
}

/** A registry of nova-api's metrics; each is read from the database when scraped. */
export function computeMetricsRegistry(d: ComputeMetricsDeps): Registry {
  const registry = new Registry();
  const { db } = d;

  new Gauge({
    name: 'nimbus_compute_servers',
    help: 'Live servers by the status the compute API shows.',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await countLiveInstancesByState(db);
      const byStatus = new Map<string, number>();
      for (const r of rows) {
        const s = serverStatus(r.vmState, r.taskState);
        byStatus.set(s, (byStatus.get(s) ?? 0) + r.count);
      }
      this.reset();
      for (const [status, n] of byStatus) this.set({ status }, n);
    },
  });

  // A counter (boots only add up while nova keeps its actions), set from the database at
  // each scrape: reset, then increased by the count read.
  new Counter({
    name: 'nimbus_compute_boots_total',
    help: 'Server boots (create actions) by result: success once built, error once failed; boots under way are in neither.',
    labelNames: ['result'],
    registers: [registry],
    async collect() {
      const r = bootResults(await selectCreateActionEvents(db));
      this.reset();
      this.inc({ result: 'success' }, r.success);
      this.inc({ result: 'error' }, r.error);
    },
  });

  new Gauge({
    name: 'nimbus_compute_boot_failures',
    help: 'Live servers in ERROR by the exception class of their latest fault.',
    labelNames: ['cause'],
    registers: [registry],
    async collect() {
      const uuids = await selectLiveInstanceUuidsInVmState(db, VmState.ERROR);
      // Faults come in id order: the last one seen per instance is its latest.
      const latest = new Map<string, { message: string; details: string }>();
      for (const f of await selectFaultsOfInstances(db, uuids)) latest.set(f.instance_uuid, f);
      const byCause = new Map<string, number>();
      for (const uuid of uuids) {
        const f = latest.get(uuid);
        const cause = f ? faultCause(f) : 'NoFault';
        byCause.set(cause, (byCause.get(cause) ?? 0) + 1);
      }
      this.reset();
      for (const [cause, n] of byCause) this.set({ cause }, n);
    },
  });

  new Histogram({
    name: 'nimbus_compute_action_event_seconds',
    help: `Durations of instance action events (finish - start) by event name, over the latest ${EVENT_WINDOW} finished events.`,
    labelNames: ['event'],
    buckets: EVENT_BUCKETS,
    registers: [registry],
    async collect() {
      const rows = await selectRecentFinishedEvents(db, EVENT_WINDOW);
      this.reset();
      for (const r of rows) {
        const s = (Date.parse(r.finishTime) - Date.parse(r.startTime)) / 1000;
        if (Number.isFinite(s)) this.observe({ event: r.event }, Math.max(0, s));
      }
    },
  });

  new Gauge({
    name: 'nimbus_compute_services_up',
    help: 'Nova services: 1 when up (not forced down and heard from within service_down_time), else 0.',
    labelNames: ['binary', 'host'],
    registers: [registry],
    async collect() {
      const now = d.clock.now();
      this.reset();
      for (const s of await selectServices(db)) this.set({ binary: s.binary, host: s.host }, serviceIsUp(s, now, d.serviceDownTimeS) ? 1 : 0);
    },
  });

  if (d.queueDepths) {
    registerQueueDepthGauge(registry, "Messages waiting in nova's RPC queues (the topic queues and each compute host's).", d.queueDepths, async () => {
      const hosts = (await selectServices(db, { binary: 'nova-compute' })).map((s) => `${Topics.compute}.${s.host}`);
      return [Topics.conductor, Topics.scheduler, Topics.compute, ...hosts];
    });
  }
  return registry;
}

/** Serves nova-api's metrics at GET /metrics. */
export function registerComputeMetrics(app: FastifyInstance, d: ComputeMetricsDeps): void {
  registerMetricsRoute(app, computeMetricsRegistry(d));
}
