/**
 * The pieces every start shares, whether one process runs the whole cloud (cloud.ts) or
 * one service (services.ts): a service's database, an API listening on its section's
 * port, nova's metadata API, and the catalog a keystone in its own process advertises.
 * Each takes an undo stack the start unwinds when a later step fails.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Clock, Random } from '../common/clock.js';
import { type Config, listenHost, optionNames, publicUrl } from '../common/config.js';
import { listen } from '../common/http.js';
import { type ApiSection, StartupError, dataDirError, isFsError, listenError } from '../common/preflight.js';
import { type Db, type ServiceDatabase, databaseOptions, ensureDatabase, openDatabase, parseDatabaseUrl, redactUrl, serviceConnection } from '../db/database.js';
import type { CatalogEntry } from '../identity/service.js';

/** What a failed start undoes, last step first. */
export type Undo = (() => unknown)[];

export type ServiceName = 'identity' | 'network' | 'image' | 'compute';
const SERVICE_DATABASES: Record<ServiceName, ServiceDatabase> = { identity: 'keystone', network: 'neutron', image: 'glance', compute: 'nova' };

/** Each service's own database (src/db/url.ts serviceConnection), by default a file in data_dir. */
function dbUrl(cfg: Config, service: ServiceName): string {
  return serviceConnection(cfg.database, SERVICE_DATABASES[service]) ?? `sqlite://${join(cfg.DEFAULT.data_dir, `${service}.sqlite`)}`;
}

/**
 * A service's database: a file in the data directory (a file-system failure names the
 * directory and cause) or one on a server (a failure names the service, the URL with its
 * password masked, and the option). Transaction retries wait on the injected clock.
 */
export async function openServiceDb<T>(cfg: Config, service: ServiceName, undo: Undo, clock: Clock, random: Random): Promise<Db<T>> {
  let db: Db<T>;
  const name = SERVICE_DATABASES[service];
  const url = dbUrl(cfg, service);
  try {
    // A server database is created on first start, as `nova-manage db sync` would need it made.
    await ensureDatabase(url);
    db = openDatabase<T>(url, { ...databaseOptions(cfg), clock, random });
  } catch (e) {
    if (parseDatabaseUrl(url).dialect !== 'sqlite') {
      const option = cfg.database[`${name}_connection`] ? `${name}_connection` : 'connection';
      throw new StartupError(`cannot open the ${name} database at ${redactUrl(url)} ([database] ${option}): ${(e as Error).message}`);
    }
    if (serviceConnection(cfg.database, name) || !isFsError(e)) throw e;
    throw dataDirError(cfg.DEFAULT.data_dir, e);
  }
  undo.push(() => db.close());
  return db;
}

/** Listens on a section's port; EADDRINUSE and friends name the option that moves it. */
export async function listenApi(cfg: Config, section: ApiSection, app: FastifyInstance, undo: Undo): Promise<number> {
  let port: number;
  try {
    port = await listen(app, listenHost(cfg, section), cfg[section].port);
  } catch (e) {
    throw listenError(cfg, section, e);
  }
  undo.push(() => app.close());
  return port;
}

/** nova-api-metadata on [metadata] host/port; resolves with its URL. Not in the catalog (instances reach it through a proxy). */
export async function listenMetadata(cfg: Config, app: FastifyInstance, undo: Undo): Promise<string> {
  const host = cfg.metadata.host || cfg.DEFAULT.bind_host;
  let port: number;
  try {
    port = await listen(app, host, cfg.metadata.port);
  } catch (e) {
    const o = optionNames('metadata', 'port');
    throw new StartupError(`port ${cfg.metadata.port} (metadata) cannot be listened on at ${host} (${(e as Error).message}); choose another with ${o.flag}, ${o.env} or ${o.ini}`);
  }
  undo.push(() => app.close());
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * The catalog of a distributed deployment, from the configuration every process shares:
 * each API at its [section] public_endpoint, or public_host and port. This is what
 * `keystone-manage bootstrap` and devstack's `openstack endpoint create` register; here
 * keystone derives it from the same nimbus.conf the other services read, so an endpoint
 * moves by editing the configuration and restarting keystone.
 */
export function configuredCatalog(cfg: Config): CatalogEntry[] {
  return [
    { type: 'identity', name: 'keystone', url: `${publicUrl(cfg, 'identity')}/v3/` },
    { type: 'network', name: 'neutron', url: publicUrl(cfg, 'network') },
    { type: 'image', name: 'glance', url: publicUrl(cfg, 'image') },
    { type: 'compute', name: 'nova', url: `${publicUrl(cfg, 'compute')}/v2.1` },
  ];
}
