/**
 * nova's image proxy (images.py, views/images.py) up to 2.35: GET /images,
 * /images/detail and /images/{id}, DELETE /images/{id}, read from glance v2 and shown in
 * the old nova image shape (status and progress from glance's status, custom
 * properties as metadata). From 2.36 the routes answer 404.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { novaContext } from '../context.js';
import { ImageNotAuthorized, ImageNotFound, Invalid } from '../errors.js';
import type { ComputeApiDeps } from './app.js';
import { HttpFault, badRequest, notFound } from './faults.js';
import { collectionLinks, resourceLinks } from './links.js';
import { proxyGate } from './network-proxies.js';
import { queryLists, validateInteger } from './validation.js';
import { sendEmpty } from './wire.js';

/** glance's get_base_properties(): everything else is a custom property (nova's metadata). */
const BASE_PROPERTIES = new Set(['id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum', 'os_hash_algo', 'os_hash_value', 'owner', 'size', 'virtual_size', 'container_format', 'disk_format', 'created_at', 'updated_at', 'tags', 'direct_url', 'min_ram', 'min_disk', 'self', 'file', 'stores', 'schema', 'locations']);

/** images.py SUPPORTED_FILTERS: nova's query name → the name handed to the glance client. */
const SUPPORTED_FILTERS: Record<string, string> = {
  name: 'name',
  status: 'status',
  'changes-since': 'changes-since',
  server: 'property-instance_uuid',
  type: 'property-image_type',
  minRam: 'min_ram',
  minDisk: 'min_disk',
};

const STATUS: Record<string, string> = { active: 'ACTIVE', queued: 'SAVING', saving: 'SAVING', deleted: 'DELETED', pending_delete: 'DELETED', killed: 'ERROR' };
const PROGRESS: Record<string, number> = { queued: 25, saving: 50, active: 100 };

const last = (q: Record<string, string[]>, k: string): string | undefined => q[k]?.at(-1);

/** utils.isotime of glance's timestamp: seconds, 'Z'. */
const isotime = (v: unknown) => (typeof v === 'string' ? new Date(v).toISOString().replace(/\.\d{3}Z$/, 'Z') : null);

/** _get_filters then glance's _extract_query_params_v2: the glance v2 query. */
function glanceFilters(query: Record<string, string[]>): Record<string, string> {
  const filters: Record<string, string> = {};
  for (const param of Object.keys(query)) {
    if (param in SUPPORTED_FILTERS || param.startsWith('property-')) filters[SUPPORTED_FILTERS[param] ?? param] = last(query, param)!;
  }
  // The server filter is the uuid at the end of a server href.
  const server = filters['property-instance_uuid'];
  if (server !== undefined && server.includes('/')) filters['property-instance_uuid'] = server.slice(server.lastIndexOf('/') + 1);
  if (filters.status !== undefined) filters.status = filters.status.toLowerCase();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(filters)) {
    // nova strips the prefix with str.lstrip('property-'): a character set, not a prefix.
    if (k.startsWith('property-')) out[k.replace(/^[property-]+/, '')] = v;
    else if (k === 'changes-since') out.updated_at = `gte:${v}`;
    else out[k] = v;
  }
  return out;
}

/** common.get_pagination_params: limit, page_size and marker, integers checked. */
function paginationParams(query: Record<string, string[]>): { limit?: number; pageSize?: number; marker?: string } {
  const int = (name: string) => {
    try {
      return validateInteger(last(query, name), name, 0);
    } catch (e) {
      throw badRequest((e as Error).message);
    }
  };
  const out: { limit?: number; pageSize?: number; marker?: string } = {};
  if ('limit' in query) out.limit = int('limit');
  if ('page_size' in query) out.pageSize = int('page_size');
  if ('marker' in query) out.marker = last(query, 'marker');
  if ('offset' in query) int('offset');
  return out;
}

export function registerImages(app: FastifyInstance, d: ComputeApiDeps): void {
  const glance = () => d.compute.d.image;

  /** views/images.py show, over _translate_from_glance's properties. */
  async function detailView(req: FastifyRequest, image: Record<string, unknown>) {
    const id = String(image.id);
    const properties: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(image)) if (!BASE_PROPERTIES.has(k)) properties[k] = v;
    for (const k of ['block_device_mapping', 'mappings']) {
      if (typeof properties[k] === 'string') {
        try {
          properties[k] = JSON.parse(properties[k] as string);
        } catch {
          /* left as glance has it */
        }
      }
    }
    const status = String(image.status);
    const view: Record<string, unknown> = {
      id,
      name: image.name ?? null,
      minRam: Number(image.min_ram ?? 0) || 0,
      minDisk: Number(image.min_disk ?? 0) || 0,
      metadata: properties,
      created: isotime(image.created_at),
      updated: isotime(image.updated_at),
      status: STATUS[status] ?? 'UNKNOWN',
      progress: PROGRESS[status] ?? 0,
      'OS-EXT-IMG-SIZE:size': image.size ?? 0,
      links: await links(req, id),
    };
    const server = properties.instance_uuid;
    if (server !== undefined && server !== null) view.server = { id: server, links: resourceLinks(req, 'servers', String(server)) };
    const adc = properties.auto_disk_config;
    if (adc !== undefined && adc !== null) view['OS-DCF:diskConfig'] = /^(1|t|true|on|y|yes)$/i.test(String(adc)) ? 'AUTO' : 'MANUAL';
    return view;
  }

  /** self and bookmark, then the glance "alternate" link. */
  async function links(req: FastifyRequest, id: string) {
    const glanceUrl = (await glance().endpoint()).replace(/\/+$/, '');
    return [...resourceLinks(req, 'images', id), { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${glanceUrl}/images/${id}` }];
  }

  for (const detail of [false, true]) {
    app.get(detail ? '/v2.1/images/detail' : '/v2.1/images', async (req) => {
      proxyGate(req);
      const query = queryLists(req.query);
      const page = paginationParams(query);
      let images: Record<string, unknown>[];
      try {
        images = await glance().detail(novaContext(req.ctx), { filters: glanceFilters(query), ...page });
      } catch (e) {
        if (e instanceof Invalid) throw badRequest(e.message);
        throw e;
      }
      const shown = detail ? await Promise.all(images.map((i) => detailView(req, i))) : await Promise.all(images.map(async (i) => ({ id: i.id, name: i.name ?? null, links: await links(req, String(i.id)) })));
      const out: Record<string, unknown> = { images: shown };
      const next = collectionLinks(req, query, images.length, images.at(-1)?.id as string | undefined, detail ? 'images/detail' : 'images');
      if (next.length) out.images_links = next;
      return out;
    });
  }

  app.get<{ Params: { id: string } }>('/v2.1/images/:id', async (req) => {
    proxyGate(req);
    try {
      return { image: await detailView(req, (await glance().show(novaContext(req.ctx), req.params.id)) as unknown as Record<string, unknown>) };
    } catch (e) {
      if (e instanceof ImageNotFound) throw notFound('Image not found.');
      throw e;
    }
  });

  app.delete<{ Params: { id: string } }>('/v2.1/images/:id', async (req, reply) => {
    proxyGate(req);
    try {
      await glance().delete(novaContext(req.ctx), req.params.id);
    } catch (e) {
      if (e instanceof ImageNotFound) throw notFound('Image not found.');
      if (e instanceof ImageNotAuthorized) throw new HttpFault(403, 'You are not allowed to delete the image.');
      throw e;
    }
    return sendEmpty(reply, 204);
  });
}
