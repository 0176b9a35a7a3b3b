/**
 * nova-compute for one or more hypervisor hosts, without a database handle: each host's
 * ComputeManager reads and writes through the conductor (object indirection) unless the
 * embedded cloud asks for direct access, and reaches neutron and glance over REST as the
 * nova service users. `nimbus nova-compute` and `nimbus host` run one host of it; the
 * embedded cloud runs every simulated host of it in its own process.
 */
import { TraceRecorder } from '../common/trace.js';
import type { Bus } from '../bus/bus.js';
import type { Clock, Random } from '../common/clock.js';
import { type Config, type ServiceUser, servicePassword } from '../common/config.js';
import type { Logger } from '../common/log.js';
import { ServiceSession } from '../common/rest-client.js';
import type { HostNetworks } from '../hostnet/index.js';
import { GlanceAPI } from './image-api.js';
import { InstanceEvents } from './manager/events.js';
import { blockDbAccess } from './manager/db-guard.js';
import { InstanceLocks } from './manager/deps.js';
import { ComputeManager } from './manager/manager.js';
import { NeutronAPI } from './network/neutron.js';
import type { ComputeData } from './objects/compute-data.js';
import { remoteComputeData } from './objects/remote.js';
import { ConductorRpc } from './rpc.js';
import { FakeLibvirtDriver } from './virt/fake.js';
import { type FaultBook, faultBook } from '../common/faults.js';

export interface ComputeHostsDeps {
  cfg: Config;
  log: Logger;
  clock: Clock;
  random: Random;
  bus: Bus;
  /** Keystone's v3 URL. */
  authUrl: string;
  /** The hosts' devices (shared with their OVS agents when they run in the same process). */
  hostnets: HostNetworks;
  /** nova's REST clients; built from the service users when absent. */
  network?: NeutronAPI;
  image?: GlanceAPI;
  /** Direct database objects ([compute] direct_db_access, embedded only); the conductor's RPC otherwise. */
  objects?: ComputeData;
  /** The process's nova trace recorder; absent, the hosts send their steps to the conductor (no database here). */
  trace?: TraceRecorder;
}

/** nova.conf [neutron] and [glance]: nova's REST clients as its service users. */
export function novaClients(cfg: Config, log: Logger, authUrl: string, hooks: { faults?: FaultBook; trace?: TraceRecorder } = {}): { network: NeutronAPI; image: GlanceAPI } {
  const session = (username: ServiceUser, own = false) => new ServiceSession({ authUrl, username, password: servicePassword(cfg, username, own), projectName: 'service', region: cfg.DEFAULT.region });
  return {
    network: new NeutronAPI({ cfg, log: log.child({ svc: 'nova.network.neutron' }), authUrl, session: session('neutron'), ...(hooks.faults ? { faults: hooks.faults } : {}), ...(hooks.trace ? { trace: hooks.trace } : {}) }),
    image: new GlanceAPI(session('nova', true)),
  };
}

export class ComputeHosts {
  readonly computes = new Map<string, ComputeManager>();
  /** Each host's virt driver (its guests), for snapshots of the embedded cloud. */
  readonly drivers = new Map<string, FakeLibvirtDriver>();
  readonly #faults: FaultBook;
  #unfault: (() => void)[] = [];
  /** The recorder these hosts made for themselves (closed with them), when none was given. */
  readonly #ownTrace: TraceRecorder | null;

  constructor(private readonly d: ComputeHostsDeps) {
    this.#faults = faultBook(d.bus, { clock: d.clock, log: d.log, name: d.random.uuid() });
    const conductor = new ConductorRpc(d.bus);
    this.#ownTrace = d.trace
      ? null
      : new TraceRecorder({ clock: d.clock, random: d.random, log: d.log.child({ svc: 'nova-compute' }), cfg: d.cfg.trace, name: 'nova', sink: (events) => conductor.recordTraceEvents(events) });
    const trace = d.trace ?? this.#ownTrace!;
    const clients = d.network && d.image ? { network: d.network, image: d.image } : novaClients(d.cfg, d.log, d.authUrl, { faults: this.#faults, trace });
    for (const host of d.hostnets.hosts()) {
      const log = d.log.child({ svc: 'nova-compute', host });
      const events = new InstanceEvents(d.clock, log);
      // nova-compute reaches the database only through the conductor (object indirection),
      // as in a deployment where it runs on a hypervisor host without database credentials.
      const objects = d.objects ?? remoteComputeData({ bus: d.bus, clock: d.clock, serviceDownTimeS: d.cfg.compute.service_down_time, timeoutMs: d.cfg.DEFAULT.rpc_response_timeout * 1000 });
      const driver = new FakeLibvirtDriver({ host, cfg: d.cfg, log, hostnet: d.hostnets.get(host), events, clock: d.clock, faults: this.#faults, trace });
      this.drivers.set(host, driver);
      const deps = { host, ...objects, cfg: d.cfg, clock: d.clock, random: d.random, log, bus: d.bus, driver, events, network: clients.network, conductor, cacheLocks: new InstanceLocks(), image: clients.image, trace };
      this.computes.set(host, new ComputeManager(blockDbAccess('nova-compute', deps, log)));
    }
  }

  /** Starts every host (init_host, then listening on compute.<host>). */
  async start(): Promise<void> {
    for (const c of this.computes.values()) await c.start();
    // What a reset returns a host to when no snapshot holds it (a distributed cloud's hosts).
    for (const d of this.drivers.values()) d.markStartup();
    if (!this.computes.size) return;
    // Fault injection, the states of this process's hosts: compute-down silences the
    // service's heartbeat; ovsdb-down makes the simulated host's ovs-vsctl fail.
    this.#unfault = [
      this.#faults.onState('compute-down', (host, down) => this.computes.get(host)?.setReporting(!down)),
      this.#faults.onState('ovsdb-down', (host, down) => {
        const net = this.d.hostnets.has(host) ? this.d.hostnets.get(host) : undefined;
        if (net && 'setOvsdbAvailable' in net) (net as { setOvsdbAvailable(on: boolean): void }).setOvsdbAvailable(!down);
      }),
    ];
    await this.#faults.start();
  }

  async stop(): Promise<void> {
    for (const off of this.#unfault) off();
    this.#unfault = [];
    for (const c of this.computes.values()) await c.stop();
    await this.#ownTrace?.close();
  }
}
