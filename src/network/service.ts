/**
 * neutron-server: the ML2 plugin over its own database, the REST API, and the RPC
 * endpoints agents report to. Agents themselves run elsewhere (src/network/agents).
 */
import { TraceRecorder } from '../common/trace.js';
import { TRACE_EVENTS_TABLE, insertTraceEvents, listTraceEvents, pruneTraceEvents } from '../db/trace-events.js';
import { NeutronTrace } from './trace.js';
import type { FastifyInstance } from 'fastify';
import type { Bus, Listener } from '../bus/bus.js';
import type { TokenValidator } from '../common/auth.js';
import type { Clock, Random } from '../common/clock.js';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import { type Db, migrate } from '../db/database.js';
import { registerReportEndpoint } from './agents/index.js';
import { type FaultBook, faultBook } from '../common/faults.js';
import { serveNeutronSnapshots } from '../common/db-snapshots.js';
import { NovaNotifier, ServiceSessionNovaClient } from './notifiers/nova.js';
import { AgentNotifierApi } from './rpc/agent-notifier.js';
import { registerPluginEndpoint } from './rpc/plugin-endpoint.js';
import { createNetworkApp } from './api/app.js';
import { neutronMigrations } from './db/migrations.js';
import { selectPortDevice } from './db/ports.js';
import type { NeutronDB } from './db/schema.js';
import { Ml2 } from './ml2/index.js';
import { CorePlugin } from './plugin/plugin.js';

export interface NetworkServiceDeps {
  cfg: Config;
  log: Logger;
  clock: Clock;
  random: Random;
  db: Db<NeutronDB>;
  bus: Bus;
  validator: TokenValidator;
  /** Keystone's URL, for WWW-Authenticate on 401. */
  authUri: string;
  /** This neutron-server's server name on q-plugin and q-reports-plugin (its [DEFAULT] host; 'neutron-server' embedded). */
  host?: string;
}

export class NetworkService {
  readonly ml2: Ml2;
  readonly plugin: CorePlugin;
  readonly app: FastifyInstance;
  /** Tells nova about its ports (os-server-external-events) as the nova service user. */
  readonly novaNotifier: NovaNotifier;
  /** neutron's trace recorder (nimbus_trace_events in neutron's database) and its hooks. */
  readonly trace: NeutronTrace;
  #listeners: Listener[] = [];

  readonly #faults: FaultBook;

  constructor(private readonly d: NetworkServiceDeps) {
    this.#faults = faultBook(d.bus, { clock: d.clock, log: d.log, name: d.random.uuid() });
    const recorder = new TraceRecorder({
      clock: d.clock,
      random: d.random,
      log: d.log,
      cfg: d.cfg.trace,
      name: 'neutron',
      sink: (events) => insertTraceEvents(d.db.kysely, events),
      prune: (before) => pruneTraceEvents(d.db.kysely, before),
    });
    this.trace = new NeutronTrace(recorder);
    this.ml2 = new Ml2({ cfg: d.cfg, log: d.log, clock: d.clock, random: d.random });
    this.plugin = new CorePlugin({ db: d.db.kysely, cfg: d.cfg, clock: d.clock, random: d.random, log: d.log, ml2: this.ml2 });
    this.app = createNetworkApp({
      cfg: d.cfg,
      log: d.log,
      clock: d.clock,
      random: d.random,
      validator: d.validator,
      plugin: this.plugin,
      authUri: d.authUri,
      queueDepths: (queues) => d.bus.queueDepths(queues),
      // What this process still buffers is written first, as the trace read API does.
      traceOfDevice: async (deviceId) => {
        await recorder.flush();
        return listTraceEvents(d.db.kysely, { instanceUuid: deviceId });
      },
    });
    this.novaNotifier = new NovaNotifier({
      cfg: d.cfg,
      log: d.log,
      clock: d.clock,
      client: new ServiceSessionNovaClient(`${d.authUri}/v3`, d.cfg),
      getPort: async (id) => (await selectPortDevice(d.db.kysely, id)) ?? null,
      faults: this.#faults,
      onSend: (events) => this.trace.sendingEvents(events),
    });
    this.trace.registerHttp(this.app);
    this.trace.registerReadApi(this.app, (deviceId, requestIds) => listTraceEvents(d.db.kysely, { instanceUuid: deviceId, requestIds }));
    this.trace.attach(this.plugin.ports.events);
    this.novaNotifier.attach(this.plugin.ports.events);
    this.novaNotifier.attachFloatingIps(this.plugin.floatingIps);
    new AgentNotifierApi(d.bus, d.log).attach(this.plugin.ports.events, { ml2: this.ml2, db: d.db.kysely });
  }

  /** Migrates, syncs ML2's allocation tables and starts serving agents' RPC (q-reports-plugin, q-plugin). */
  async init(): Promise<void> {
    await migrate(this.d.db.kysely as never, neutronMigrations, 'neutron');
    await this.ml2.init(this.d.db.kysely);
    await this.#faults.start();
    this.#listeners.push(
      await registerReportEndpoint(this.d.bus, this.d.db.kysely, this.d.clock, this.d.log, { agentDownTime: this.d.cfg.network.agent_down_time, random: this.d.random, ...(this.d.host ? { server: this.d.host } : {}) }),
      await registerPluginEndpoint(this.d.bus, {
        db: this.d.db.kysely,
        ports: this.plugin.ports,
        ml2: this.ml2,
        log: this.d.log,
        portActiveDirect: (port) => this.novaNotifier.notifyPortActiveDirect(port),
        trace: this.trace,
        typeDrivers: this.d.cfg.ml2.type_drivers,
        ...(this.d.host ? { server: this.d.host } : {}),
      }),
      // nova-api's /nimbus/v1/snapshots: this database's part. Agents' and tunnel endpoints' rows describe the running agents.
      await serveNeutronSnapshots({ bus: this.d.bus, db: this.d.db.kysely as never, skip: ['agents', 'ml2_vxlan_endpoints', TRACE_EVENTS_TABLE], server: this.d.host ?? 'neutron-server', log: this.d.log, now: () => new Date(this.d.clock.now()).toISOString() }),
    );
  }

  async close(): Promise<void> {
    this.novaNotifier.close();
    for (const l of this.#listeners) await l.stop();
    await this.app.close();
    await this.trace.recorder.close();
  }
}
