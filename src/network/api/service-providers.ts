/**
 * The service-type extension's one route (neutron/extensions/servicetype.py):
 * GET /v2.0/service-providers, open to every authenticated user (Zed's
 * get_service_provider rule falls back to its deprecated "any").
 */
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors.js';
import { listServiceProviders } from '../plugin/service-types.js';
import type { QueryParams } from './query.js';
import { pyList } from './resource.js';

/** The attributes the API shows (servicetype's RESOURCE_ATTRIBUTE_MAP; `driver` stays hidden). */
const VISIBLE = ['service_type', 'name', 'default'] as const;
const PAGING = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Registers GET /v2.0/service-providers. */
export function registerServiceProviders(app: FastifyInstance): void {
  app.get('/v2.0/service-providers', async (req) => {
    const q = req.query as QueryParams;
    // api_common.get_sorts: no attribute of this resource is a sort key.
    const sortKeys = asList(q.sort_key);
    if (sortKeys.length !== asList(q.sort_dir).length) throw badRequest('The number of sort_keys and sort_dirs must be same');
    if (sortKeys.length) throw badRequest(`${pyList(sortKeys)} is invalid attribute for sort_keys`);
    // ServiceTypeManager has no filter validation: unknown filters are passed on and ignored.
    const filters = new Map<string, string[]>();
    for (const [key, raw] of Object.entries(q)) if (!PAGING.has(key)) filters.set(key, asList(raw));
    const fields = asList(q.fields).filter(Boolean);
    const shown = fields.length ? VISIBLE.filter((f) => fields.includes(f)) : VISIBLE;
    return {
      service_providers: listServiceProviders(filters).map((p) => Object.fromEntries(shown.map((f) => [f, p[f]]))),
    };
  });
}
