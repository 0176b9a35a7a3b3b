/**
 * The embedded cloud: every service of Nimbus in one process (identity, image,
 * neutron-server, the OVS agents of each simulated host), SQLite files in the data
 * directory and the bus `transport_url` names (in-process unless RabbitMQ is
 * configured). `nimbus up` and the functional tests both start it.
 */
import type { Bus } from './bus/bus.js';
import { createBus } from './bus/transport.js';
import { type Clock, type Random, systemClock, systemRandom } from './common/clock.js';
import { type Config, publicUrl } from './common/config.js';
import { checkPorts, explainStartFailure, prepareDataDir, removeCreated } from './common/preflight.js';
import type { Logger } from './common/log.js';
import { type LocalApi, serveLocally } from './common/rest-client.js';
import { listenApi, listenMetadata, openServiceDb } from './deploy/pieces.js';
import { IdentityService, type CatalogEntry } from './identity/service.js';
import type { IdentityDB } from './identity/service.js';
import { ImageService } from './image/service.js';
import type { ImageDB } from './image/db/tables.js';
import { ComputeService } from './compute/service.js';
import type { NovaDB } from './compute/db/schema.js';
import { type HostNetworks, closeHostNetworks, createHostNetworks } from './hostnet/index.js';
import { OvsAgentFleet, OvsL2AgentLoop } from './network/agents/index.js';
import type { NeutronDB } from './network/db/schema.js';
import { NetworkService } from './network/service.js';
import { createMetadataApp } from './compute/metadata/handler.js';
import { startDashboard } from './dashboard/server.js';
import { selectBusyInstances } from './compute/db/instances.js';
import { CloudSnapshots, snapshotsUnsupportedReason } from './deploy/snapshots.js';
import { NeutronSnapshotRpc } from './common/db-snapshots.js';
import { ComputeRpc } from './compute/rpc.js';
import type { Db } from './db/database.js';
import { join } from 'node:path';

export interface CloudOptions {
  cfg: Config;
  log: Logger;
  clock?: Clock;
  random?: Random;
}

export interface Cloud {
  cfg: Config;
  bus: Bus;
  identity: IdentityService;
  image: ImageService;
  network: NetworkService;
  agents: OvsAgentFleet;
  compute: ComputeService;
  /** Each hypervisor host's network devices, shared by its nova-compute and OVS agent. */
  hostnets: HostNetworks;
  /** The OVS agents' port loops (br-int watchers reporting ports up/down to neutron-server). */
  l2agents: OvsL2AgentLoop;
  /** The catalog identity serves; entries pushed later are in the next token's catalog. */
  catalog: CatalogEntry[];
  /** Base URLs as listening (ports resolved when 0 was asked). */
  urls: { identity: string; image: string; network: string; compute: string; metadata: string; dashboard?: string };
  close(): Promise<void>;
}

/**
 * Starts every service and listens on the configured ports; resolves once all answer.
 * Checks the ports and the data directory before writing anything (StartupError names
 * the path or port and the option that changes it). A start that fails later closes
 * what it opened and removes what it wrote to the data directory, never what was there.
 */
export async function startCloud(opts: CloudOptions): Promise<Cloud> {
  await checkPorts(opts.cfg);
  const dataDir = prepareDataDir(opts.cfg.DEFAULT.data_dir);
  const undo: (() => unknown)[] = [];
  try {
    return await startServices(opts, undo);
  } catch (e) {
    for (const u of undo.reverse()) {
      try {
        await u();
      } catch {
        /* the start's own error is the one to report */
      }
    }
    removeCreated(dataDir);
    throw opts.cfg.database.connection ? e : explainStartFailure(e, opts.cfg.DEFAULT.data_dir);
  }
}

async function startServices(opts: CloudOptions, undo: (() => unknown)[]): Promise<Cloud> {
  const { cfg, log } = opts;
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? systemRandom;
  // First: a linux host that cannot run (not root, no OVS) stops the start before anything is written.
  const hostnets = await createHostNetworks(cfg, { random, log: log.child({ svc: 'hostnet' }) });
  undo.push(() => closeHostNetworks(hostnets));
  const bus = await createBus(cfg, { clock, random, log: log.child({ svc: 'bus' }) });
  undo.push(() => bus.close());
  const catalog: CatalogEntry[] = [];

  const identityDb = await openServiceDb<IdentityDB>(cfg, 'identity', undo, clock, random);
  const identity = new IdentityService({ cfg, log: log.child({ svc: 'keystone' }), clock, random, db: identityDb, catalog });
  await identity.init();
  const identityPort = await listenApi(cfg, 'identity', identity.app, undo);
  const identityUrl = publicUrl(cfg, 'identity', identityPort);
  catalog.push({ type: 'identity', name: 'keystone', url: `${identityUrl}/v3/` });
  identity.writeOpenrc(`${identityUrl}/v3`);

  const networkDb = await openServiceDb<NeutronDB>(cfg, 'network', undo, clock, random);
  const network = new NetworkService({ cfg, log: log.child({ svc: 'neutron-server' }), clock, random, db: networkDb, bus, validator: identity.validator, authUri: identityUrl });
  undo.push(() => network.close());
  await network.init();
  const networkPort = await listenApi(cfg, 'network', network.app, undo);
  const networkUrl = publicUrl(cfg, 'network', networkPort);
  catalog.push({ type: 'network', name: 'neutron', url: networkUrl });

  const adminProjectId = await identity.projectId('admin');
  if (!adminProjectId) throw new Error('the admin project is missing from identity');
  const imageDb = await openServiceDb<ImageDB>(cfg, 'image', undo, clock, random);
  const image = new ImageService({ cfg, log: log.child({ svc: 'glance' }), clock, random, db: imageDb, validator: identity.validator, bootstrapOwner: adminProjectId, authUri: identityUrl });
  await image.init();
  const imagePort = await listenApi(cfg, 'image', image.app, undo);
  const imageUrl = publicUrl(cfg, 'image', imagePort);
  catalog.push({ type: 'image', name: 'glance', url: imageUrl });

  const agentLog = log.child({ svc: 'ovs-agent' });
  const agents = new OvsAgentFleet({ bus, clock, log: agentLog, cfg, random });
  const l2agents = new OvsL2AgentLoop({ bus, clock, log: agentLog, cfg, hostnets, isAlive: (host) => agents.host(host)?.reporting ?? false });
  agents.addWorker(l2agents);
  for (const host of cfg.DEFAULT.hosts) {
    await agents.addHost(host);
    l2agents.addHost(host);
  }
  undo.push(() => agents.stop(), () => l2agents.stop());
  await agents.start();
  await l2agents.start();

  const computeDb = await openServiceDb<NovaDB>(cfg, 'compute', undo, clock, random);
  const compute = new ComputeService({ cfg, log, clock, random, db: computeDb, bus, validator: identity.validator, authUrl: `${identityUrl}/v3`, hostnets });
  undo.push(() => compute.close());
  await compute.init();
  const computePort = await listenApi(cfg, 'compute', compute.app, undo);
  const computeUrl = publicUrl(cfg, 'compute', computePort);
  catalog.push({ type: 'compute', name: 'nova', url: `${computeUrl}/v2.1` });
  const metadata = createMetadataApp({ cfg, log, clock, random, db: computeDb.kysely, instances: compute.instances, network: compute.network });
  const metadataUrl = await listenMetadata(cfg, metadata, undo);
  // Services calling each other's REST APIs in this process skip the loopback socket.
  const apis: [string, LocalApi][] = [[identityUrl, identity.app], [networkUrl, network.app], [imageUrl, image.app], [computeUrl, compute.app]];
  const unserve = cfg.DEFAULT.in_process_rest ? apis.map(([url, app]) => serveLocally(url, app)) : [];
  void network.novaNotifier.prepare();
  const dashboard = await startDashboard(cfg, { identity: identityUrl, compute: computeUrl, network: networkUrl }, log.child({ svc: 'dashboard' }));
  if (dashboard) undo.push(() => dashboard.app.close());
  await offerSnapshots({ cfg, clock, random, bus, compute, hostnets, dbs: { identityDb, imageDb, computeDb } });

  return {
    cfg,
    bus,
    identity,
    image,
    network,
    agents,
    compute,
    hostnets,
    l2agents,
    catalog,
    urls: { identity: identityUrl, image: imageUrl, network: networkUrl, compute: computeUrl, metadata: metadataUrl, ...(dashboard ? { dashboard: dashboard.url } : {}) },
    async close() {
      for (const undo of unserve) undo();
      await dashboard?.app.close();
      await metadata.close();
      await compute.close();
      l2agents.stop();
      agents.stop();
      closeHostNetworks(hostnets);
      await network.close();
      await image.close();
      await identity.close();
      await bus.close();
      for (const db of [computeDb, networkDb, imageDb, identityDb]) await db.close();
    },
  };
}

/**
 * Gives nova-api's /nimbus/v1/snapshots the embedded cloud's snapshots (or why there are
 * none) and takes the fresh state's snapshot that reset returns to.
 */
async function offerSnapshots(o: {
  cfg: Config;
  clock: Clock;
  random: Random;
  bus: Bus;
  compute: ComputeService;
  hostnets: HostNetworks;
  dbs: { identityDb: Db<IdentityDB>; imageDb: Db<ImageDB>; computeDb: Db<NovaDB> };
}): Promise<void> {
  const { identityDb, imageDb, computeDb } = o.dbs;
  const unsupported = snapshotsUnsupportedReason(o.hostnets);
  if (unsupported) {
    o.compute.snapshots.unsupported = unsupported;
    return;
  }
  // The same parts as a distributed cloud's (nova here, neutron over the bus, the hosts
  // over compute.<host>), plus keystone, glance and the image files this process owns.
  const snapshots = new CloudSnapshots({
    nova: computeDb as Db<unknown>,
    localDbs: [
      { name: 'keystone', db: identityDb as Db<unknown>, skip: [] },
      { name: 'glance', db: imageDb as Db<unknown>, skip: [] },
    ],
    neutron: new NeutronSnapshotRpc(o.bus),
    compute: new ComputeRpc(o.bus),
    hosts: async () => o.hostnets.hosts(),
    files: { dir: join(o.cfg.DEFAULT.data_dir, 'snapshots'), imagesDir: join(o.cfg.DEFAULT.data_dir, 'images') },
    excluded: [],
    clock: o.clock,
    random: o.random,
    busy: async () => (await selectBusyInstances(computeDb.kysely)).map((i) => `instance ${i.uuid} ${i.task_state ?? i.vm_state}`),
    onReset: async () => void (await o.compute.faults.clear()),
  });
  await snapshots.saveFresh();
  o.compute.snapshots.checkName = CloudSnapshots.checkName;
  o.compute.snapshots.service = snapshots;
}
