/**
 * neutron-server's REST API (v2.0): version discovery, extensions, the resources
 * through the generic controller, quotas, network IP availability and agents.
 */
import type { FastifyInstance } from 'fastify';
import type { Clock, Random } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import type { TokenValidator } from '../../common/auth.js';
import { NamedError } from '../../common/errors.js';
import { deleteAgentDhcpBindings } from '../db/dhcp-agents.js';
import type { DhcpAgentNotifyApi } from '../rpc/dhcp-notifier.js';
import { dhcpNotifying, registerDhcpAgentScheduler } from './dhcp-agent-scheduler.js';
import { createHttpApp } from '../../common/http.js';
import type { Logger } from '../../common/log.js';
import { agentToWire, deleteAgent, getAgent, listAgents, updateAgent } from '../agents/index.js';
import type { CorePlugin } from '../plugin/plugin.js';
import { QUOTA_RESOURCES, type QuotaResource, defaultQuota, getLimits, getUsage } from '../plugin/quotas.js';
import { deleteQuotasOf, selectQuotaProjects, upsertQuotaLimit } from '../db/quotas.js';
import { AdminRequired, InvalidInput, badRequest, notFoundHttp } from '../errors.js';
import { registerResource } from './controller.js';
import { networkDef, portDef, subnetDef } from './definitions/core.js';
import { agentDef, floatingIpDef, securityGroupDef, securityGroupRuleDef } from './definitions/extras.js';
import { routerDef } from './definitions/l3.js';
import { subnetpoolDef } from './definitions/subnetpools.js';
import { EXTENSIONS } from './extensions.js';
import { renderNeutronError } from './faults.js';
import type { Dict } from './resource.js';
import { specifiedKeys } from './resource.js';
import { pyRepr } from './validators.js';
import { registerPortBindings } from './port-bindings.js';
import { registerOpsDiagnosis } from './ops-diagnosis.js';
import type { TraceEvent } from '../../common/trace.js';
import { registerTags } from './tags.js';
import { registerServiceProviders } from './service-providers.js';
import { registerNetworkMetrics } from './metrics.js';
import { METRICS_PATH, type QueueDepths } from '../../common/metrics.js';

export interface NetworkApiDeps {
  cfg: Config;
  log: Logger;
  clock: Clock;
  random: Random;
  validator: TokenValidator;
  plugin: CorePlugin;
  authUri: string;
  /** The bus's queue depths, for /metrics; absent: no queue metric. */
  queueDepths?: QueueDepths;
  /** The trace steps recorded under a device (a port's binding history); absent: none. */
  traceOfDevice?: (deviceId: string) => Promise<TraceEvent[]>;
  /** Tells DHCP agents about network, subnet and port changes; absent: nothing sent. */
  dhcpNotifier?: DhcpAgentNotifyApi;
}

export function createNetworkApp(d: NetworkApiDeps): FastifyInstance {
  const app = createHttpApp({
    name: 'neutron-server',
    log: d.log,
    random: d.random,
    validator: d.validator,
    authUri: d.authUri,
    isPublic: (method, path) => method === 'GET' && (path === '/' || path === '' || path === METRICS_PATH),
    renderError: renderNeutronError,
    malformedBody: () => badRequest('Body contains invalid data'),
    notFound: () => notFoundHttp(),
    rewriteUrl: (url) => url.replace(/^([^?]*)\.json(\?|$)/, '$1$2'),
  });
  const p = d.plugin;
  const maxLimit = d.cfg.network.pagination_max_limit;

  app.get('/', async (req) => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `http://${req.headers.host}/v2.0/`, rel: 'self' }] }],
  }));
  app.get('/v2.0', async (req) => ({
    resources: ['subnet', 'subnetpool', 'network', 'port'].map((r) => ({
      links: [{ href: `http://${req.headers.host}/v2.0/${r}s`, rel: 'self' }],
      name: r,
      collection: `${r}s`,
    })),
  }));
  app.get('/v2.0/extensions', async () => ({ extensions: EXTENSIONS }));
  app.get('/v2.0/extensions/:alias', async (req) => {
    const { alias } = req.params as { alias: string };
    const ext = EXTENSIONS.find((e) => e.alias === alias);
    if (!ext) throw new NamedError(404, 'HTTPNotFound', `Extension with alias ${alias} does not exist`);
    return { extension: ext };
  });

  const ports = p.ports;
  const dn = d.dhcpNotifier;
  registerResource(app, networkDef, { ...dhcpNotifying('network', bind(p.networks), dn), rollback: (ctx, item) => p.networks.delete(ctx, item.id as string) }, { maxLimit });
  registerResource(app, subnetDef, { ...dhcpNotifying('subnet', bind(p.subnets), dn), rollback: (ctx, item) => p.subnets.delete(ctx, item.id as string) }, { maxLimit });
  registerResource(app, portDef, { ...dhcpNotifying('port', bind(ports), dn), rollback: (ctx, item) => ports.delete(ctx, item.id as string), ownsNetwork: (ctx, item) => p.ownsNetwork(ctx, item) }, { maxLimit });
  registerResource(app, securityGroupDef, bind(p.securityGroups), { maxLimit });
  const sg = p.securityGroups;
  registerResource(
    app,
    securityGroupRuleDef,
    { list: (c, f) => sg.listRules(c, f), get: (c, id) => sg.getRule(c, id), create: (c, b) => sg.createRule(c, b), checkBulk: (c, items) => sg.checkBulkRules(c, items), delete: (c, id) => sg.deleteRule(c, id), rollback: (c, i) => sg.deleteRule(c, i.id as string) },
    { maxLimit },
  );
  registerResource(app, floatingIpDef, bind(p.floatingIps), { maxLimit });
  registerResource(app, routerDef, { ...bind(p.routers), rollback: (ctx, item) => p.routers.delete(ctx, item.id as string) }, { maxLimit });
  // The l3 extension's member actions; their body is the interface info itself, unwrapped.
  app.put('/v2.0/routers/:id/add_router_interface', async (req) => p.routers.addInterface(req.ctx, (req.params as { id: string }).id, req.body));
  app.put('/v2.0/routers/:id/remove_router_interface', async (req) => p.routers.removeInterface(req.ctx, (req.params as { id: string }).id, req.body));
  registerResource(app, subnetpoolDef, bind(p.subnetPools), { maxLimit });
  // subnetpool-prefix-ops' member actions; their body is {"prefixes": [...]}, unwrapped.
  app.put('/v2.0/subnetpools/:id/add_prefixes', async (req) => p.subnetPools.addPrefixes(req.ctx, (req.params as { id: string }).id, req.body));
  app.put('/v2.0/subnetpools/:id/remove_prefixes', async (req) => p.subnetPools.removePrefixes(req.ctx, (req.params as { id: string }).id, req.body));
  registerPortBindings(app, p.portBindings);
  registerOpsDiagnosis(app, { cfg: d.cfg, clock: d.clock, plugin: p, ...(d.traceOfDevice ? { traceOfDevice: d.traceOfDevice } : {}) });
  registerTags(app, p.tags);
  registerServiceProviders(app);

  const db = p.deps.db;
  const downTime = d.cfg.network.agent_down_time;
  registerDhcpAgentScheduler(app, { db, plugin: p, clock: d.clock, agentDownTime: downTime });
  registerNetworkMetrics(app, { db, clock: d.clock, agentDownTimeS: downTime, queueDepths: d.queueDepths });
  registerResource(
    app,
    agentDef,
    {
      adminOnly: true,
      list: async () => (await listAgents(db)).map((r) => agentToWire(r, d.clock.now(), downTime) as unknown as Dict),
      get: async (_c, id) => agentToWire(await getAgent(db, id), d.clock.now(), downTime) as unknown as Dict,
      update: async (_c, id, body) => {
        const keys = specifiedKeys(body);
        const row = await updateAgent(db, id, {
          admin_state_up: keys.has('admin_state_up') ? (body.admin_state_up as boolean) : undefined,
          description: keys.has('description') ? (body.description as string | null) : undefined,
        });
        return agentToWire(row, d.clock.now(), downTime) as unknown as Dict;
      },
      delete: async (_c, id) => {
        await deleteAgent(db, id);
        await deleteAgentDhcpBindings(db, id);
      },
    },
    { maxLimit },
  );

  // availability_zone extension (advertised, as ML2 does): neutron's
  // _list_availability_zones, the zones of the DHCP ("network") and L3 ("router") agents
  // that report one, available if any of them is admin-up. OVS agents give none.
  app.get('/v2.0/availability_zones', async (req) => {
    const zones = new Map<string, boolean>();
    for (const a of await listAgents(db)) {
      const resource = a.agent_type === 'DHCP agent' ? 'network' : a.agent_type === 'L3 agent' ? 'router' : null;
      if (!a.availability_zone || !resource) continue;
      const key = `${a.availability_zone}\u0000${resource}`;
      zones.set(key, Boolean(a.admin_state_up) || (zones.get(key) ?? false));
    }
    return {
      availability_zones: [...zones].map(([key, up]) => {
        const [name, resource] = key.split('\u0000');
        return { name, resource, state: up ? 'available' : 'unavailable', tenant_id: req.ctx.projectId };
      }),
    };
  });

  // network-ip-availabilities (admin only)
  app.get('/v2.0/network-ip-availabilities', async (req) => {
    if (!req.ctx.isAdmin) throw notFoundHttp();
    return { network_ip_availabilities: await p.ipAvailability() };
  });
  app.get('/v2.0/network-ip-availabilities/:id', async (req) => {
    if (!req.ctx.isAdmin) throw notFoundHttp();
    const [one] = await p.ipAvailability((req.params as { id: string }).id);
    return { network_ip_availability: one };
  });

  // quotas
  const quotaDict = async (projectId: string) => ({ ...(await getLimits(db, d.cfg, projectId)) });
  const requireAdminOrSelf = (ctxProject: string, isAdmin: boolean, projectId: string) => {
    if (!isAdmin && ctxProject !== projectId) throw new NamedError(403, 'AdminRequired', 'User does not have admin privileges: Only admin can view or configure quota.');
  };
  app.get('/v2.0/quotas', async (req) => {
    if (!req.ctx.isAdmin) throw new NamedError(403, 'AdminRequired', 'User does not have admin privileges: Only admin can view or configure quota.');
    const projects = await selectQuotaProjects(db);
    return { quotas: await Promise.all(projects.map(async (id) => ({ ...(await quotaDict(id)), project_id: id, tenant_id: id }))) };
  });
  app.get('/v2.0/quotas/tenant', async (req) => ({ tenant: { tenant_id: req.ctx.projectId } }));
  app.get('/v2.0/quotas/project', async (req) => ({ project: { project_id: req.ctx.projectId } }));
  app.get('/v2.0/quotas/:project/default', async (req) => {
    const projectId = (req.params as { project: string }).project;
    return { quota: Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, defaultQuota(d.cfg, r)])), project_id: projectId };
  });
  // quota_details (quotasv2_detail.py): its own AdminRequired reason, not get_quota's policy.
  app.get('/v2.0/quotas/:project/details', async (req) => {
    const projectId = (req.params as { project: string }).project;
    if (projectId !== req.ctx.projectId && !req.ctx.isAdmin) throw new AdminRequired('Only admin is authorized to access quotas for another project');
    const [limits, used] = await Promise.all([getLimits(db, d.cfg, projectId), getUsage(db, projectId)]);
    return { quota: Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, { limit: limits[r], used: used[r], reserved: 0 }])) };
  });
  app.get('/v2.0/quotas/:project', async (req) => {
    const projectId = (req.params as { project: string }).project;
    requireAdminOrSelf(req.ctx.projectId, req.ctx.isAdmin, projectId);
    return { quota: await quotaDict(projectId) };
  });
  app.put('/v2.0/quotas/:project', async (req) => {
    if (!req.ctx.isAdmin) throw new NamedError(403, 'AdminRequired', 'User does not have admin privileges: Only admin can view or configure quota.');
    const projectId = (req.params as { project: string }).project;
    const body = req.body as { quota?: Record<string, unknown> } | undefined;
    if (!body || typeof body.quota !== 'object' || body.quota === null) throw badRequest("Unable to find 'quota' in request body");
    // prepare_request_body first (convert_to_int, then type:range [-1, ...]) for every
    // resource, so a bad value changes nothing; then the limits are written.
    const limits: [QuotaResource, number][] = [];
    for (const [k, v] of Object.entries(body.quota)) {
      if (k === 'force' || k === 'check_limit') continue;
      if (!(QUOTA_RESOURCES as readonly string[]).includes(k)) throw badRequest(`Unrecognized attribute(s) '${k}'`);
      const n = quotaInt(v);
      if (n < -1) throw badRequest(`Invalid input for ${k}. Reason: '${n}' is too small - must be at least '-1'.`);
      limits.push([k as QuotaResource, n]);
    }
    await db.transaction().execute(async (trx) => {
      for (const [k, n] of limits) await upsertQuotaLimit(trx, projectId, k, n, () => d.random.uuid());
    });
    return { quota: await quotaDict(projectId) };
  });
  app.delete('/v2.0/quotas/:project', async (req, reply) => {
    if (!req.ctx.isAdmin) throw new NamedError(403, 'AdminRequired', 'User does not have admin privileges: Only admin can view or configure quota.');
    await deleteQuotasOf(db, (req.params as { project: string }).project);
    reply.code(204).send();
  });

  return app;
}

/** neutron-lib's convert_to_int (Python's int(): an integer, a float truncated, an integer string). */
function quotaInt(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return Number(v);
  throw new InvalidInput(`'${typeof v === 'string' ? v : pyRepr(v)}' is not an integer`);
}

/** A plugin family's methods as a ResourceHandler. */
function bind<T extends { list: Function; get: Function; create?: Function; update?: Function; delete?: Function }>(o: T) {
  return {
    list: o.list.bind(o),
    get: o.get.bind(o),
    create: o.create?.bind(o),
    update: o.update?.bind(o),
    delete: o.delete?.bind(o),
  };
}
