/**
 * nova, all of it in one process: nova-api (the HTTP app), nova-conductor,
 * nova-scheduler and one nova-compute per hypervisor host, each on the bus as it would
 * be in its own process. Everything nova knows about the network it learns from
 * neutron's REST API; everything neutron tells nova arrives at os-server-external-events.
 */
import { TraceRecorder } from '../common/trace.js';
import { insertTraceEvents, pruneTraceEvents } from '../db/trace-events.js';
import type { FastifyInstance } from 'fastify';
import type { Bus, Listener } from '../bus/bus.js';
import type { TokenValidator } from '../common/auth.js';
import type { Clock, Random } from '../common/clock.js';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import { type Db, migrate } from '../db/database.js';
import type { HostNetworks } from '../hostnet/index.js';
import { createComputeApp } from './api/app.js';
import { ComputeAPI } from './compute-api.js';
import { serviceContext } from './context.js';
import { ConductorManager } from './conductor/manager.js';
import { type ComputeData, directComputeData } from './objects/compute-data.js';
import { novaMigrations } from './db/migrations.js';
import type { NovaDB } from './db/schema.js';
import { ComputeHosts, novaClients } from './compute-hosts.js';
import type { ComputeManager } from './manager/manager.js';
import type { FakeLibvirtDriver } from './virt/fake.js';
import type { SnapshotSlot } from './api/ops/snapshots.js';
import { NeutronAPI } from './network/neutron.js';
import { InstanceActions } from './objects/actions.js';
import { bootstrapFlavors } from './objects/flavors.js';
import { InstanceStore } from './objects/instance.js';
import { ServiceStore } from './objects/services.js';
import { ComputeRpc, ConductorRpc } from './rpc.js';
import { SchedulerManager } from './scheduler/manager.js';
import { type FaultBook, faultBook } from '../common/faults.js';

export interface ComputeServiceDeps {
  cfg: Config;
  log: Logger;
  clock: Clock;
  random: Random;
  db: Db<NovaDB>;
  bus: Bus;
  validator: TokenValidator;
  /** Keystone's v3 URL. */
  authUrl: string;
  /** Hypervisor hosts run in this process (none in a controller process). */
  hostnets: HostNetworks;
  /** Which controller services this process runs (all of them when absent: the embedded cloud). */
  roles?: { api?: boolean; conductor?: boolean; scheduler?: boolean };
  /** The conductor's and scheduler's host: their server name on the bus and their os-services row ('controller' by default). */
  host?: string;
}

/**
 * nova's controller services over the nova database: nova-api (the HTTP app, served by
 * the caller), nova-conductor and nova-scheduler, as `roles` selects, plus nova-compute
 * for the hosts of `hostnets` (ComputeHosts, which holds no database handle).
 */
export class ComputeService {
  readonly app: FastifyInstance;
  readonly api: ComputeAPI;
  readonly instances: InstanceStore;
  readonly actions: InstanceActions;
  readonly network: NeutronAPI;
  /** This process's fault book (src/common/faults.ts); nova-api's takes the admin's changes. */
  readonly faults: FaultBook;
  /** /nimbus/v1/snapshots' slot: the embedded cloud fills it once every service runs. */
  readonly snapshots: SnapshotSlot = {};
  readonly computes: Map<string, ComputeManager>;
  /** Each host's virt driver in this process. */
  readonly drivers: Map<string, FakeLibvirtDriver>;
  /** nova's trace recorder (nimbus_trace_events in nova's database), shared by this process's nova services. */
  readonly trace: TraceRecorder;
  readonly #hosts: ComputeHosts;
  readonly #listeners: Listener[] = [];
  readonly #conductor: ConductorManager;
  readonly #scheduler: SchedulerManager;
  readonly #services: ServiceStore;
  readonly #roles: { api: boolean; conductor: boolean; scheduler: boolean };
  /** Service rows of this process's conductor and scheduler, for their heartbeats. */
  #controllerServices: number[] = [];
  #heartbeat: { cancel(): void } | null = null;

  constructor(private readonly d: ComputeServiceDeps) {
    this.#roles = { api: d.roles?.api ?? true, conductor: d.roles?.conductor ?? true, scheduler: d.roles?.scheduler ?? true };
    const db = d.db.kysely;
    const now = () => d.clock.now();
    this.trace = new TraceRecorder({
      clock: d.clock,
      random: d.random,
      log: d.log.child({ svc: 'nova' }),
      cfg: d.cfg.trace,
      name: 'nova',
      sink: (events) => insertTraceEvents(db, events),
      prune: (before) => pruneTraceEvents(db, before),
    });
    this.instances = new InstanceStore(db, now);
    // An action the API starts makes its REST request the root step of the request's trace.
    this.actions = new InstanceActions(db, now, (a) => this.trace.noteRequest(a.requestId, a.instanceUuid, a.action));
    this.#services = new ServiceStore(db, { clock: d.clock, random: d.random, serviceDownTimeS: d.cfg.compute.service_down_time });
    // nova.conf [neutron]: nova reaches neutron as the neutron service user, and glance's
    // endpoint is read from the nova user's catalog.
    this.faults = faultBook(d.bus, { clock: d.clock, log: d.log, name: d.random.uuid() });
    const clients = novaClients(d.cfg, d.log, d.authUrl, { faults: this.faults, trace: this.trace });
    this.network = clients.network;
    const conductorRpc = new ConductorRpc(d.bus);
    this.api = new ComputeAPI({
      db,
      cfg: d.cfg,
      clock: d.clock,
      random: d.random,
      log: d.log.child({ svc: 'nova-api' }),
      instances: this.instances,
      actions: this.actions,
      network: this.network,
      image: clients.image,
      conductor: conductorRpc,
      compute: new ComputeRpc(d.bus),
      trace: this.trace,
    });
    this.app = createComputeApp({ cfg: d.cfg, log: d.log.child({ svc: 'nova-api' }), clock: d.clock, random: d.random, validator: d.validator, authUri: d.authUrl, db, instances: this.instances, compute: this.api, queueDepths: (queues) => d.bus.queueDepths(queues), faults: this.faults, snapshots: this.snapshots });
    // The objects nova-compute reads and writes, over the database (the conductor's side).
    const objects: ComputeData = directComputeData({ db, clock: d.clock, instances: this.instances, actions: this.actions, services: this.#services });
    this.#conductor = new ConductorManager({ db, objects, cfg: d.cfg, clock: d.clock, log: d.log.child({ svc: 'nova-conductor', host: this.#host }), bus: d.bus, instances: this.instances, actions: this.actions, network: this.network, random: d.random, image: clients.image, trace: this.trace });
    this.#scheduler = new SchedulerManager({ db, cfg: d.cfg, clock: d.clock, log: d.log.child({ svc: 'nova-scheduler', host: this.#host }), faults: this.faults, trace: this.trace });
    this.#hosts = new ComputeHosts({
      cfg: d.cfg,
      log: d.log,
      clock: d.clock,
      random: d.random,
      bus: d.bus,
      authUrl: d.authUrl,
      hostnets: d.hostnets,
      network: this.network,
      image: clients.image,
      // Without direct access the computes send their steps through the conductor, as separate nova-compute processes do.
      ...(d.cfg.compute.direct_db_access ? { objects, trace: this.trace } : {}),
    });
    this.computes = this.#hosts.computes;
    this.drivers = this.#hosts.drivers;
  }

  get #host(): string {
    return this.d.host ?? 'controller';
  }

  /** Migrates, bootstraps flavors and the services, starts this process's nova services. */
  async init(): Promise<void> {
    const db = this.d.db.kysely;
    await migrate(db as never, novaMigrations, 'nova');
    await bootstrapFlavors(db, this.d.clock);
    await this.faults.start();
    if (this.#roles.conductor) this.#listeners.push(await this.#conductor.listen(this.#host));
    if (this.#roles.scheduler) this.#listeners.push(await this.#scheduler.listen(this.d.bus, this.#host));
    // os-services lists them too (zone internal); one row each for this process.
    const binaries = [
      ...(this.#roles.conductor ? [['nova-conductor', 'conductor'] as const] : []),
      ...(this.#roles.scheduler ? [['nova-scheduler', 'scheduler'] as const] : []),
    ];
    for (const [binary, topic] of binaries) {
      const row = await this.#services.register(this.#host, binary, topic);
      await this.#services.heartbeat(row.id);
      this.#controllerServices.push(row.id);
    }
    await this.#hosts.start();
    // Once every compute has settled its own instances (init_host), the ones no host holds.
    if (this.#roles.conductor) await this.#conductor.settleUnplacedInstances(serviceContext(`req-${this.d.random.uuid()}`));
    this.#beat();
  }

  /** The conductor's and scheduler's service heartbeats (ServiceGroup DB driver). */
  #beat(): void {
    const ms = this.d.cfg.compute.report_interval * 1000;
    if (ms <= 0 || !this.#controllerServices.length) return;
    this.#heartbeat = this.d.clock.after(ms, () => {
      for (const id of this.#controllerServices) void this.#services.heartbeat(id).catch((err) => this.d.log.warn({ err }, 'heartbeat failed'));
      this.#beat();
    });
  }

  async close(): Promise<void> {
    this.#heartbeat?.cancel();
    await this.#hosts.stop();
    for (const l of this.#listeners) await l.stop();
    await this.app.close();
    await this.trace.close();
  }
}
