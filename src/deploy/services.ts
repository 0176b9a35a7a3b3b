/**
 * One OpenStack service per process, as a distributed deployment runs them: each starter
 * opens only what its service needs (its own database, the bus, its API port) and finds
 * the others through keystone's catalog and the bus. Tokens are validated by keystone
 * over HTTP (RemoteTokenValidator); neutron → nova events and nova → neutron/glance calls
 * go over HTTP between processes. `nimbus <command>` (src/cli/main.ts) calls these.
 *
 * A hypervisor host's nova-compute and OVS agent share its device model (they share one
 * kernel on a real host): `startHost` runs both on one simulated host network, while
 * `startNovaCompute` and `startOvsAgent` each simulate the host's devices alone (for a
 * driver of real devices; with the simulated one, their ports never go ACTIVE).
 */
import { hostname } from 'node:os';
import type { Bus } from '../bus/bus.js';
import { createBus } from '../bus/transport.js';
import { type Clock, type Random, systemClock, systemRandom } from '../common/clock.js';
import { type Config, type ServiceUser, publicUrl, servicePassword } from '../common/config.js';
import type { Logger } from '../common/log.js';
import { RemoteTokenValidator } from '../common/remote-validator.js';
import { ServiceSession, restCall } from '../common/rest-client.js';
import { StartupError, prepareDataDir } from '../common/preflight.js';
import { ComputeHosts } from '../compute/compute-hosts.js';
import type { NovaDB } from '../compute/db/schema.js';
import { createMetadataApp } from '../compute/metadata/handler.js';
import { startDashboard } from '../dashboard/server.js';
import { ComputeService } from '../compute/service.js';
import { HostNetworks, closeHostNetworks, createHostNetworks } from '../hostnet/index.js';
import { IdentityService, type IdentityDB } from '../identity/service.js';
import type { ImageDB } from '../image/db/tables.js';
import { ImageService } from '../image/service.js';
import { OvsAgentFleet, OvsL2AgentLoop } from '../network/agents/index.js';
import type { NeutronDB } from '../network/db/schema.js';
import { NetworkService } from '../network/service.js';
import { type Undo, configuredCatalog, listenApi, listenMetadata, openServiceDb } from './pieces.js';
import { NOVA_KEEP, CloudSnapshots } from './snapshots.js';
import { NeutronSnapshotRpc, saveFreshTables } from '../common/db-snapshots.js';
import { ComputeRpc } from '../compute/rpc.js';
import { selectServices } from '../compute/db/services.js';
import { selectBusyInstances } from '../compute/db/instances.js';
import type { Db } from '../db/database.js';

/** The commands that run one service (or one simulated host) each. */
export const SERVICE_COMMANDS = ['keystone', 'glance', 'nova-api', 'nova-conductor', 'nova-scheduler', 'nova-compute', 'neutron-server', 'neutron-openvswitch-agent', 'host'] as const;
export type ServiceCommand = (typeof SERVICE_COMMANDS)[number];

/** Commands that act for one host and take --host (default: this machine's hostname). */
export const HOST_COMMANDS: readonly ServiceCommand[] = ['nova-compute', 'neutron-openvswitch-agent', 'host'];

export interface ServiceOptions {
  cfg: Config;
  log: Logger;
  clock?: Clock;
  random?: Random;
}

/** A service started alone: what it serves (URLs by name) and how to stop it. */
export interface RunningService {
  command: ServiceCommand;
  /** This process's host name on the bus. */
  host: string;
  urls: Record<string, string>;
  close(): Promise<void>;
}

interface Ctx {
  cfg: Config;
  log: Logger;
  clock: Clock;
  random: Random;
  host: string;
  undo: Undo;
  /** One bus connection per process, shared by the services it runs. */
  bus?: Promise<Bus>;
}

/** [DEFAULT] host, or the machine's hostname as nova and neutron default it. */
export function serviceHost(cfg: Config): string {
  return cfg.DEFAULT.host || hostname();
}

const authUrl = (cfg: Config) => `${publicUrl(cfg, 'identity')}/v3`;

function openBus(c: Ctx): Promise<Bus> {
  c.bus ??= createBus(c.cfg, { clock: c.clock, random: c.random, log: c.log.child({ svc: 'bus' }) }).then((bus) => {
    c.undo.push(() => bus.close());
    return bus;
  });
  return c.bus;
}

/** keystonemiddleware for a service: its own user validates the callers' tokens with keystone. */
function remoteValidator(c: Ctx, user: ServiceUser) {
  const session = new ServiceSession({ authUrl: authUrl(c.cfg), username: user, password: servicePassword(c.cfg, user, true), projectName: 'service', region: c.cfg.DEFAULT.region });
  return new RemoteTokenValidator(authUrl(c.cfg), session, c.clock);
}

const STARTERS: Record<ServiceCommand, (c: Ctx) => Promise<Record<string, string>>> = {
  async keystone(c) {
    const db = await openServiceDb<IdentityDB>(c.cfg, 'identity', c.undo, c.clock, c.random);
    const identity = new IdentityService({ cfg: c.cfg, log: c.log.child({ svc: 'keystone' }), clock: c.clock, random: c.random, db, catalog: configuredCatalog(c.cfg) });
    await identity.init();
    const port = await listenApi(c.cfg, 'identity', identity.app, c.undo);
    return { identity: publicUrl(c.cfg, 'identity', port) };
  },

  async glance(c) {
    // The bootstrapped image belongs to the admin project, looked up in keystone as glance.
    const session = new ServiceSession({ authUrl: authUrl(c.cfg), username: 'glance', password: servicePassword(c.cfg, 'glance', true), projectName: 'service', region: c.cfg.DEFAULT.region });
    const r = await session
      .token()
      .then((token) => restCall<{ projects?: { id: string }[] }>('GET', `${authUrl(c.cfg)}/projects?name=admin`, { token }))
      .catch((e: unknown) => {
        const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
        throw new StartupError(`cannot reach keystone at ${authUrl(c.cfg)} (${cause}); start it first, or set its address with --identity-port / [identity] public_endpoint`);
      });
    const owner = r.body?.projects?.[0]?.id;
    if (!owner) throw new Error(`the admin project is missing from keystone at ${authUrl(c.cfg)} (${r.status})`);
    const db = await openServiceDb<ImageDB>(c.cfg, 'image', c.undo, c.clock, c.random);
    const image = new ImageService({ cfg: c.cfg, log: c.log.child({ svc: 'glance' }), clock: c.clock, random: c.random, db, validator: remoteValidator(c, 'glance'), bootstrapOwner: owner, authUri: publicUrl(c.cfg, 'identity') });
    await image.init();
    const port = await listenApi(c.cfg, 'image', image.app, c.undo);
    return { image: publicUrl(c.cfg, 'image', port) };
  },

  async 'neutron-server'(c) {
    const bus = await openBus(c);
    const db = await openServiceDb<NeutronDB>(c.cfg, 'network', c.undo, c.clock, c.random);
    const network = new NetworkService({ cfg: c.cfg, log: c.log.child({ svc: 'neutron-server', host: c.host }), clock: c.clock, random: c.random, db, bus, validator: remoteValidator(c, 'neutron'), authUri: publicUrl(c.cfg, 'identity'), host: c.host });
    c.undo.push(() => network.close());
    await network.init();
    const port = await listenApi(c.cfg, 'network', network.app, c.undo);
    return { network: publicUrl(c.cfg, 'network', port) };
  },

  async 'nova-api'(c) {
    const compute = await novaController(c, { api: true });
    await offerSnapshots(c, compute);
    const port = await listenApi(c.cfg, 'compute', compute.service.app, c.undo);
    const metadata = createMetadataApp({ cfg: c.cfg, log: c.log, clock: c.clock, random: c.random, db: compute.db.kysely, instances: compute.service.instances, network: compute.service.network });
    const urls: Record<string, string> = { compute: `${publicUrl(c.cfg, 'compute', port)}/v2.1`, metadata: await listenMetadata(c.cfg, metadata, c.undo) };
    // Each nova-api serves the dashboard, reaching keystone and neutron where the catalog says.
    const dashboard = await startDashboard(c.cfg, { identity: publicUrl(c.cfg, 'identity'), compute: publicUrl(c.cfg, 'compute', port), network: publicUrl(c.cfg, 'network') }, c.log.child({ svc: 'dashboard' }));
    if (dashboard) {
      c.undo.push(() => dashboard.app.close());
      urls['dashboard'] = dashboard.url;
    }
    return urls;
  },

  async 'nova-conductor'(c) {
    await novaController(c, { conductor: true });
    return {};
  },

  async 'nova-scheduler'(c) {
    await novaController(c, { scheduler: true });
    return {};
  },

  async 'nova-compute'(c) {
    await novaCompute(c, await thisHost(c));
    return {};
  },

  async 'neutron-openvswitch-agent'(c) {
    await ovsAgent(c, await thisHost(c));
    return {};
  },

  async host(c) {
    // One kernel: the host's nova-compute plugs into the same simulated br-int its agent watches.
    const hostnets = await thisHost(c);
    await ovsAgent(c, hostnets);
    await novaCompute(c, hostnets);
    return {};
  },
};

/** nova-api, nova-conductor or nova-scheduler over the nova database, with no hypervisor host. */
async function novaController(c: Ctx, roles: { api?: boolean; conductor?: boolean; scheduler?: boolean }) {
  const bus = await openBus(c);
  const db = await openServiceDb<NovaDB>(c.cfg, 'compute', c.undo, c.clock, c.random);
  const service = new ComputeService({
    cfg: c.cfg,
    log: c.log,
    clock: c.clock,
    random: c.random,
    db,
    bus,
    validator: remoteValidator(c, 'nova'),
    authUrl: authUrl(c.cfg),
    hostnets: new HostNetworks(),
    roles: { api: false, conductor: false, scheduler: false, ...roles },
    host: c.host,
  });
  c.undo.push(() => service.close());
  await service.init();
  return { service, db };
}

/**
 * /nimbus/v1/snapshots on a distributed nova-api: nova's database here, neutron's by a
 * neutron-server, each compute host's devices by its nova-compute. Keystone and glance
 * are not on the bus and their databases are not nova's: left out, and every answer
 * says so. The nova database's fresh snapshot is taken at its first start.
 */
async function offerSnapshots(c: Ctx, compute: Awaited<ReturnType<typeof novaController>>): Promise<void> {
  const bus = await openBus(c);
  const now = () => new Date(c.clock.now()).toISOString();
  await saveFreshTables({ db: compute.db.kysely as never, skip: NOVA_KEEP, log: c.log, now });
  compute.service.snapshots.checkName = CloudSnapshots.checkName;
  compute.service.snapshots.service = new CloudSnapshots({
    nova: compute.db as Db<unknown>,
    localDbs: [],
    neutron: new NeutronSnapshotRpc(bus),
    compute: new ComputeRpc(bus),
    hosts: async () => [...new Set((await selectServices(compute.db.kysely, { binary: 'nova-compute' })).map((s) => s.host))].sort(),
    excluded: ['keystone', 'glance'],
    clock: c.clock,
    random: c.random,
    busy: async () => (await selectBusyInstances(compute.db.kysely)).map((i) => `instance ${i.uuid} ${i.task_state ?? i.vm_state}`),
    onReset: async () => void (await compute.service.faults.clear()),
  });
}

/** The devices of this process's one host, simulated or real as [DEFAULT] host_driver says. */
async function thisHost(c: Ctx): Promise<HostNetworks> {
  const nets = await createHostNetworks({ ...c.cfg, DEFAULT: { ...c.cfg.DEFAULT, hosts: [c.host] } }, { random: c.random, log: c.log.child({ svc: 'hostnet' }) });
  c.undo.push(() => closeHostNetworks(nets));
  return nets;
}

/** nova-compute for this host: no database handle, everything through the conductor. */
async function novaCompute(c: Ctx, hostnets: HostNetworks): Promise<void> {
  const bus = await openBus(c);
  const hosts = new ComputeHosts({ cfg: { ...c.cfg, compute: { ...c.cfg.compute, direct_db_access: false } }, log: c.log, clock: c.clock, random: c.random, bus, authUrl: authUrl(c.cfg), hostnets });
  c.undo.push(() => hosts.stop());
  await hosts.start();
}

/** The OVS agent of this host, listening as the host (q-agent-notifier-*.<host>), reporting to q-reports-plugin. */
async function ovsAgent(c: Ctx, hostnets: HostNetworks): Promise<void> {
  const bus = await openBus(c);
  const log = c.log.child({ svc: 'ovs-agent', host: c.host });
  const agents = new OvsAgentFleet({ bus, clock: c.clock, log, cfg: c.cfg, random: c.random });
  const l2 = new OvsL2AgentLoop({ bus, clock: c.clock, log, cfg: c.cfg, hostnets, server: c.host, isAlive: (h) => agents.host(h)?.reporting ?? false });
  agents.addWorker(l2);
  await agents.addHost(c.host);
  l2.addHost(c.host);
  c.undo.push(() => agents.stop(), () => l2.stop());
  await agents.start();
  await l2.start();
}

/**
 * Starts one service; resolves once it serves. A start that fails closes what it opened
 * (its bus connection, database pool, port) and rethrows.
 */
export async function startService(command: ServiceCommand, opts: ServiceOptions): Promise<RunningService> {
  const c: Ctx = { cfg: opts.cfg, log: opts.log, clock: opts.clock ?? systemClock, random: opts.random ?? systemRandom, host: serviceHost(opts.cfg), undo: [] };
  prepareDataDir(c.cfg.DEFAULT.data_dir);
  const unwind = async () => {
    for (const u of c.undo.splice(0).reverse()) {
      try {
        await u();
      } catch (e) {
        c.log.warn({ err: e }, 'error while stopping');
      }
    }
  };
  try {
    const urls = await STARTERS[command](c);
    return { command, host: c.host, urls, close: unwind };
  } catch (e) {
    await unwind();
    throw e;
  }
}
