/**
 * nova, all of it in one process: nova-api (the HTTP app), nova-conductor,
 * nova-scheduler and one nova-compute per hypervisor host, each on the bus as it would
 * be in its own process. Everything nova knows about the network it learns from
 * neutron's REST API; everything neutron tells nova arrives at os-server-external-events.
 */
import type { FastifyInstance } from 'fastify';
import type { Bus, Listener } from '../bus/bus.js';
import type { TokenValidator } from '../common/auth.js';
import type { Clock, Random } from '../common/clock.js';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import { ServiceSession } from '../common/rest-client.js';
import { type Db, migrate } from '../db/database.js';
import type { HostNetworks } from '../hostnet/index.js';
import { createComputeApp } from './api/app.js';
import { ComputeAPI } from './compute-api.js';
import { serviceContext } from './context.js';
import { ConductorManager } from './conductor/manager.js';
import { type ComputeData, directComputeData } from './objects/compute-data.js';
import { remoteComputeData } from './objects/remote.js';
import { novaMigrations } from './db/migrations.js';
import type { NovaDB } from './db/schema.js';
import { GlanceAPI } from './image-api.js';
import { InstanceEvents } from './manager/events.js';
import { blockDbAccess } from './manager/db-guard.js';
import { InstanceLocks } from './manager/deps.js';
import { ComputeManager } from './manager/manager.js';
import { NeutronAPI } from './network/neutron.js';
import { InstanceActions } from './objects/actions.js';
import { bootstrapFlavors } from './objects/flavors.js';
import { InstanceStore } from './objects/instance.js';
import { ServiceStore } from './objects/services.js';
import { ComputeRpc, ConductorRpc } from './rpc.js';
import { SchedulerManager } from './scheduler/manager.js';
import { FakeLibvirtDriver } from './virt/fake.js';

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
  hostnets: HostNetworks;
}

export class ComputeService {
  readonly app: FastifyInstance;
  readonly api: ComputeAPI;
  readonly instances: InstanceStore;
  readonly actions: InstanceActions;
  readonly network: NeutronAPI;
  readonly computes = new Map<string, ComputeManager>();
  readonly #listeners: Listener[] = [];
  readonly #conductor: ConductorManager;
  readonly #scheduler: SchedulerManager;
  readonly #services: ServiceStore;
  /** The objects nova-compute reads and writes, over the database (the conductor's side). */
  readonly #objects: ComputeData;
  /** Service rows of this process's conductor and scheduler, for their heartbeats. */
  #controllerServices: number[] = [];
  #heartbeat: { cancel(): void } | null = null;

  constructor(private readonly d: ComputeServiceDeps) {
    const db = d.db.kysely;
    const now = () => d.clock.now();
    this.instances = new InstanceStore(db, now);
    this.actions = new InstanceActions(db, now);
    this.#services = new ServiceStore(db, { clock: d.clock, random: d.random, serviceDownTimeS: d.cfg.compute.service_down_time });
    // nova.conf [neutron]: nova reaches neutron as the neutron service user...
    const neutronSession = new ServiceSession({ authUrl: d.authUrl, username: 'neutron', password: d.cfg.identity.service_password, projectName: 'service', region: d.cfg.DEFAULT.region });
    this.network = new NeutronAPI({ cfg: d.cfg, log: d.log.child({ svc: 'nova.network.neutron' }), authUrl: d.authUrl, session: neutronSession });
    // ...and glance's endpoint is read from the nova user's catalog.
    const novaSession = new ServiceSession({ authUrl: d.authUrl, username: 'nova', password: d.cfg.identity.service_password, projectName: 'service', region: d.cfg.DEFAULT.region });
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
      image: new GlanceAPI(novaSession),
      conductor: conductorRpc,
      compute: new ComputeRpc(d.bus),
    });
    this.app = createComputeApp({ cfg: d.cfg, log: d.log.child({ svc: 'nova-api' }), clock: d.clock, random: d.random, validator: d.validator, authUri: d.authUrl, db, instances: this.instances, compute: this.api });
    this.#objects = directComputeData({ db, clock: d.clock, instances: this.instances, actions: this.actions, services: this.#services });
    this.#conductor = new ConductorManager({ db, objects: this.#objects, cfg: d.cfg, clock: d.clock, log: d.log.child({ svc: 'nova-conductor' }), bus: d.bus, instances: this.instances, actions: this.actions, network: this.network, random: d.random, image: this.api.d.image });
    this.#scheduler = new SchedulerManager({ db, cfg: d.cfg, clock: d.clock, log: d.log.child({ svc: 'nova-scheduler' }) });
    for (const host of d.hostnets.hosts()) this.#addCompute(host, conductorRpc);
  }

  #addCompute(host: string, conductor: ConductorRpc): void {
    const d = this.d;
    const log = d.log.child({ svc: 'nova-compute', host });
    const events = new InstanceEvents(d.clock, log);
    // nova-compute reaches the database only through the conductor (object indirection),
    // as in a deployment where it runs on a hypervisor host without database credentials.
    const objects = d.cfg.compute.direct_db_access ? this.#objects : remoteComputeData({ bus: d.bus, clock: d.clock, serviceDownTimeS: d.cfg.compute.service_down_time, timeoutMs: d.cfg.DEFAULT.rpc_response_timeout * 1000 });
    const driver = new FakeLibvirtDriver({ host, cfg: d.cfg, log, hostnet: d.hostnets.get(host), events, clock: d.clock });
    this.computes.set(
      host,
      new ComputeManager(
        blockDbAccess('nova-compute', { host, ...objects, cfg: d.cfg, clock: d.clock, random: d.random, log, bus: d.bus, driver, events, network: this.network, conductor, cacheLocks: new InstanceLocks(), image: this.api.d.image }, log),
      ),
    );
  }

  /** Migrates, bootstraps flavors and the services, starts every nova service. */
  async init(): Promise<void> {
    const db = this.d.db.kysely;
    await migrate(db as never, novaMigrations, 'nova');
    await bootstrapFlavors(db, this.d.clock);
    this.#listeners.push(await this.#conductor.listen('conductor'));
    this.#listeners.push(await this.#scheduler.listen(this.d.bus, 'scheduler'));
    // os-services lists them too (zone internal); one row each for this process.
    for (const [binary, topic] of [['nova-conductor', 'conductor'], ['nova-scheduler', 'scheduler']] as const) {
      const row = await this.#services.register('controller', binary, topic);
      await this.#services.heartbeat(row.id);
      this.#controllerServices.push(row.id);
    }
    for (const c of this.computes.values()) await c.start();
    // Once every compute has settled its own instances (init_host), the ones no host holds.
    await this.#conductor.settleUnplacedInstances(serviceContext(`req-${this.d.random.uuid()}`));
    this.#beat();
  }

  /** The conductor's and scheduler's service heartbeats (ServiceGroup DB driver). */
  #beat(): void {
    const ms = this.d.cfg.compute.report_interval * 1000;
    if (ms <= 0) return;
    this.#heartbeat = this.d.clock.after(ms, () => {
      for (const id of this.#controllerServices) void this.#services.heartbeat(id).catch((err) => this.d.log.warn({ err }, 'heartbeat failed'));
      this.#beat();
    });
  }

  async close(): Promise<void> {
    this.#heartbeat?.cancel();
    for (const c of this.computes.values()) await c.stop();
    for (const l of this.#listeners) await l.stop();
    await this.app.close();
  }
}
