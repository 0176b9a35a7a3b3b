/** Version discovery, the default domain, and the catalog as /v3/services, /v3/endpoints and /v3/regions. */
import type { FastifyInstance } from 'fastify';
import { DEFAULT_DOMAIN } from '../domain.js';
import { DomainNotFound, EndpointNotFound, RegionNotFound, ServiceNotFound } from '../errors.js';
import { queryParam, rootUrl, v3Url, type ApiDeps } from './deps.js';
import { enforce } from './policy.js';
import { collectionLinks, domainView, versionV3 } from './views.js';

type P = { Params: { id: string } };

export function registerCatalogRoutes(app: FastifyInstance, deps: ApiDeps): void {
  // keystone answers GET / with 300 Multiple Choices.
  app.get('/', async (req, reply) => {
    reply.code(300);
    return { versions: { values: [versionV3(rootUrl(req, deps))] } };
  });
  app.get('/v3', async (req) => ({ version: versionV3(rootUrl(req, deps)) }));

  app.get('/v3/domains', async (req) => {
    enforce(req, 'list_domains');
    const base = v3Url(req, deps);
    const name = queryParam(req, 'name');
    const domains = name === undefined || name === DEFAULT_DOMAIN.name ? [domainView(base)] : [];
    return { domains, links: collectionLinks(`${base}/domains`) };
  });
  app.get<P>('/v3/domains/:id', async (req) => {
    enforce(req, 'get_domain', req.ctx.projectId !== '' && req.params.id === DEFAULT_DOMAIN.id);
    if (req.params.id !== DEFAULT_DOMAIN.id) throw new DomainNotFound(req.params.id);
    return { domain: domainView(v3Url(req, deps)) };
  });

  const serviceView = (s: { id: string; type: string; name: string }, base: string) => ({
    id: s.id,
    name: s.name,
    type: s.type,
    enabled: true,
    description: '',
    links: { self: `${base}/services/${s.id}` },
  });
  const endpoints = () => deps.catalog().flatMap((s) => s.endpoints);
  const endpointView = (e: ReturnType<typeof endpoints>[number], base: string) => ({
    id: e.id,
    interface: e.interface,
    region_id: e.region,
    service_id: e.serviceId,
    url: e.url,
    enabled: true,
    region: e.region,
    links: { self: `${base}/endpoints/${e.id}` },
  });

  app.get('/v3/services', async (req) => {
    enforce(req, 'list_services');
    const base = v3Url(req, deps);
    const type = queryParam(req, 'type');
    const name = queryParam(req, 'name');
    const services = deps
      .catalog()
      .filter((s) => (type === undefined || s.type === type) && (name === undefined || s.name === name))
      .map((s) => serviceView(s, base));
    return { services, links: collectionLinks(`${base}/services`) };
  });
  app.get<P>('/v3/services/:id', async (req) => {
    enforce(req, 'get_service');
    const s = deps.catalog().find((x) => x.id === req.params.id);
    if (!s) throw new ServiceNotFound(req.params.id);
    return { service: serviceView(s, v3Url(req, deps)) };
  });

  app.get('/v3/endpoints', async (req) => {
    enforce(req, 'list_endpoints');
    const base = v3Url(req, deps);
    const iface = queryParam(req, 'interface');
    const serviceId = queryParam(req, 'service_id');
    const region = queryParam(req, 'region_id');
    const list = endpoints()
      .filter((e) => (iface === undefined || e.interface === iface) && (serviceId === undefined || e.serviceId === serviceId))
      .filter((e) => region === undefined || e.region === region)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((e) => endpointView(e, base));
    return { endpoints: list, links: collectionLinks(`${base}/endpoints`) };
  });
  app.get<P>('/v3/endpoints/:id', async (req) => {
    enforce(req, 'get_endpoint');
    const e = endpoints().find((x) => x.id === req.params.id);
    if (!e) throw new EndpointNotFound(req.params.id);
    return { endpoint: endpointView(e, v3Url(req, deps)) };
  });

  const regionView = (base: string) => ({
    id: deps.region,
    description: '',
    links: { self: `${base}/regions/${deps.region}` },
    parent_region_id: null,
  });
  // identity:list_regions and get_region are open to any authenticated caller in keystone.
  app.get('/v3/regions', async (req) => {
    const base = v3Url(req, deps);
    return { regions: [regionView(base)], links: collectionLinks(`${base}/regions`) };
  });
  app.get<P>('/v3/regions/:id', async (req) => {
    if (req.params.id !== deps.region) throw new RegionNotFound(req.params.id);
    return { region: regionView(v3Url(req, deps)) };
  });
}
