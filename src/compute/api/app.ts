/**
 * nova-api: the Compute API v2.1 over Fastify. Every request under /v2.1 gets its
 * microversion (microversion.ts) and every response says which one it was served at;
 * errors are nova's faults (faults.ts). Resources register themselves from their own
 * modules; this file only assembles them.
 */
import type { FastifyInstance } from 'fastify';
import type { TokenValidator } from '../../common/auth.js';
import type { Clock, Random } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import { createHttpApp } from '../../common/http.js';
import type { Logger } from '../../common/log.js';
import type { Kysely } from 'kysely';
import type { NovaDB } from '../db/schema.js';
import type { InstanceStore } from '../objects/instance.js';
import type { ComputeAPI } from '../compute-api.js';
import { HttpFault, renderNovaError } from './faults.js';
import { type Microversion, MIN, requestedVersion, versionString } from './microversion.js';
import { registerVersions } from './versions.js';
import { registerServers } from './servers.js';
import { registerInterfaces } from './interfaces.js';
import { registerInstanceActions } from './instance-actions.js';
import { registerExternalEvents } from './external-events.js';
import { registerFlavors } from './flavors.js';
import { registerServices } from './services.js';
import { registerHypervisors } from './hypervisors.js';
import { registerAvailabilityZones } from './availability-zones.js';
import { registerLimits } from './limits.js';
import { registerQuotaSets } from './quota-sets.js';
import { registerQuotaClasses } from './quota-classes.js';
import { registerAggregates } from './aggregates.js';
import { registerServerMetadata } from './server-metadata.js';
import { registerServerTags } from './server-tags.js';
import { registerIps } from './ips.js';
import { registerServerPassword } from './server-password.js';
import { registerServerDiagnostics } from './server-diagnostics.js';
import { registerImages } from './images.js';
import { registerKeypairs } from './keypairs.js';
import { registerServerGroups } from './server-groups.js';
import { registerServerActions } from './server-actions.js';
// Registers addFloatingIp / removeFloatingIp with the action table above.
import './floating-ip-actions.js';
// Register resize, confirmResize, revertResize, migrate, shelve, shelveOffload and unshelve with the action route.
import './server-resize.js';
import './server-live-migrate.js';
import './server-shelve.js';
// Registers evacuate.
import './server-evacuate.js';
import { registerExtensions } from './extensions.js';
import { registerMigrations } from './migrations.js';
import { registerSimpleTenantUsage } from './simple-tenant-usage.js';
import { registerNetworkProxies } from './network-proxies.js';
import { registerSecurityGroups } from './security-groups.js';
import { registerComputeMetrics } from './metrics.js';
import { registerOps } from './ops/index.js';
import type { FaultBook } from '../../common/faults.js';
import type { SnapshotSlot } from './ops/snapshots.js';
import { METRICS_PATH, type QueueDepths } from '../../common/metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The compute API microversion of this request. */
    mv: Microversion;
  }
}

export interface ComputeApiDeps {
  cfg: Config;
  log: Logger;
  clock: Clock;
  random: Random;
  validator: TokenValidator;
  authUri: string;
  db: Kysely<NovaDB>;
  instances: InstanceStore;
  compute: ComputeAPI;
  /** Does this project exist (nova's identity.verify_project_id)? null: cannot tell. Absent: every id is taken. */
  projectExists?: (projectId: string, token: string) => Promise<boolean | null>;
  /** The bus's queue depths, for /metrics; absent: no queue metric. */
  queueDepths?: QueueDepths;
  /** The fault book /nimbus/v1/faults manages (this process's, which tells every other process). */
  faults?: FaultBook;
  /** /nimbus/v1/snapshots: what the embedded cloud fills in once it runs (absent or empty: 501). */
  snapshots?: SnapshotSlot;
}

const VERSIONED = /^\/v2(\.1)?(\/|$)/;

export function createComputeApp(d: ComputeApiDeps): FastifyInstance {
  const app = createHttpApp({
    name: 'nova-api',
    log: d.log,
    random: d.random,
    validator: d.validator,
    // keystonemiddleware's www_authenticate_uri is keystone's root (devstack: the same for
    // every service), while d.authUri is the v3 API nova calls.
    authUri: d.authUri.replace(/\/v3\/?$/, ''),
    isPublic: (method, path) => method === 'GET' && (path === '/' || path === '' || path === '/v2.1' || path === '/v2.1/' || path === '/v2' || path === '/v2/' || path === METRICS_PATH),
    renderError: renderNovaError,
    malformedBody: () => new HttpFault(400, 'Malformed request body'),
    notFound: () => new HttpFault(404, 'The resource could not be found.'),
    // The legacy form with the project id in the path (/v2.1/{project_id}/servers).
    rewriteUrl: (url) => url.replace(/^\/v2\.1\/[0-9a-f]{32}(?=\/|$|\?)/, '/v2.1'),
    extraRequestIdHeaders: ['x-compute-request-id'],
  });
  app.decorateRequest('mv', null as unknown as Microversion);

  // Runs before authentication so a bad version header answers even without a token.
  app.addHook('onRequest', async (req, reply) => {
    req.mv = MIN;
    if (!VERSIONED.test(req.url)) return;
    const v = requestedVersion(req.headers);
    req.mv = v;
    reply.header('openstack-api-version', `compute ${versionString(v)}`);
    reply.header('x-openstack-nova-api-version', versionString(v));
    reply.header('vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
  });
  // A REST request that starts an instance action (create, delete, attach...) is the root
  // step of that request's trace; its start is stamped here, its end once answered.
  const trace = d.compute.d.trace;
  if (trace?.enabled) {
    const started = new WeakMap<object, number>();
    app.addHook('onRequest', async (req) => {
      if (req.method !== 'GET') started.set(req, trace.now());
    });
    app.addHook('onResponse', async (req, reply) => {
      const at = started.get(req);
      if (at !== undefined) trace.endRequest(req.requestId, 'nova-api', `${req.method} ${req.routeOptions.url ?? req.url}`, at, reply.statusCode);
    });
  }
  // createHttpApp's auth hook was added first; make sure the version hook's headers exist on errors from it too.

  registerVersions(app, d);
  registerServers(app, d);
  registerInterfaces(app, d);
  registerInstanceActions(app, d);
  registerExternalEvents(app, d);
  registerFlavors(app, d);
  registerServices(app, d);
  registerHypervisors(app, d);
  registerAvailabilityZones(app, d);
  registerLimits(app, d);
  registerQuotaSets(app, d);
  registerQuotaClasses(app, d);
  registerAggregates(app, d);
  registerServerMetadata(app, d);
  registerServerTags(app, d);
  registerIps(app, d);
  registerServerPassword(app, d);
  registerServerDiagnostics(app, d);
  registerImages(app, d);
  registerKeypairs(app, d);
  registerServerGroups(app, d);
  registerServerActions(app, d);
  registerExtensions(app, d);
  registerMigrations(app, d);
  registerSimpleTenantUsage(app, d);
  registerNetworkProxies(app, d);
  registerSecurityGroups(app, d);
  registerOps(app, d);
  registerComputeMetrics(app, { db: d.db, clock: d.clock, serviceDownTimeS: d.cfg.compute.service_down_time, queueDepths: d.queueDepths });
  return app;
}
