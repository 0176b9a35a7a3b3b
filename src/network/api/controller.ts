/**
 * The generic collection/item controller every neutron resource shares, as neutron's
 * pecan controllers do: list (filters, fields, sorting, pagination), show, create
 * (single or bulk), update, delete, with body validation and attribute policy from
 * the resource's attribute map and visibility applied on the way out.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../common/auth.js';
import { NamedError } from '../../common/errors.js';
import { badRequest, notFoundHttp } from '../errors.js';
import { applyListQuery, parseListQuery, type QueryParams, selectFields } from './query.js';
import { type Dict, type ResourceDef, enforceAttrPolicy, filterVisible, prepareRequestBody } from './resource.js';

/** What a resource's plugin offers the controller; any absent method answers 404/405. */
export interface ResourceHandler {
  list(ctx: RequestContext, filters: Map<string, unknown[]>): Promise<Dict[]>;
  get(ctx: RequestContext, id: string): Promise<Dict>;
  create?(ctx: RequestContext, body: Dict): Promise<Dict>;
  update?(ctx: RequestContext, id: string, body: Dict): Promise<Dict>;
  delete?(ctx: RequestContext, id: string): Promise<void>;
  /** Undoes a created item when a later item of a bulk create fails. */
  rollback?(ctx: RequestContext, item: Dict): Promise<void>;
  /** Whether the caller owns the network the item would live on (for mac/fixed_ips policy). */
  ownsNetwork?(ctx: RequestContext, item: Dict): Promise<boolean>;
  /** Checks a bulk create's items together before any is created (a native bulk's own rules). */
  checkBulk?(ctx: RequestContext, items: Dict[]): Promise<void>;
  /** Only admins may call it at all (agents). */
  adminOnly?: boolean;
}

export interface ControllerOptions {
  /** pagination_max_limit (-1 = none). */
  maxLimit: number;
}

const urlOf = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? req.hostname}${req.url.split('?')[0]}`;

/** Registers GET/POST on /v2.0/<collection> and GET/PUT/DELETE on /v2.0/<collection>/:id. */
export function registerResource(app: FastifyInstance, def: ResourceDef, h: ResourceHandler, opts: ControllerOptions): void {
  const path = `/v2.0/${def.collection.replace(/_/g, '-')}`;
  const admin = (ctx: RequestContext) => {
    if (h.adminOnly && !ctx.isAdmin) throw notFoundHttp();
  };
  const render = (ctx: RequestContext, item: Dict, fields: string[] = []) => selectFields(filterVisible(ctx, def, item), fields);

  app.get(path, async (req) => {
    const q = req.query as QueryParams;
    const query = parseListQuery(q, def, opts.maxLimit);
    // neutron's policy hook filters a list down to what the caller may see: a member's
    // GET /v2.0/agents is 200 with none, while showing one is 404.
    if (h.adminOnly && !req.ctx.isAdmin) return { [def.collection]: [] };
    // neutron's _get_marker_obj: a marker the caller cannot see is the resource's NotFound.
    if (query.limit !== null && query.marker) await h.get(req.ctx, query.marker);
    const items = await h.list(req.ctx, query.filters);
    const visible = items.map((i) => filterVisible(req.ctx, def, i));
    // Filters on attributes the caller cannot see match nothing hidden from them.
    const page = applyListQuery(visible, query, urlOf(req), q);
    const body: Dict = { [def.collection]: page.items.map((i) => selectFields(i, query.fields)) };
    if (page.links.length) body[`${def.collection}_links`] = page.links;
    return body;
  });

  app.get(`${path}/:id`, async (req) => {
    admin(req.ctx);
    const { id } = req.params as { id: string };
    const q = req.query as QueryParams;
    const fields = ([] as string[]).concat(q.fields ?? []).filter(Boolean);
    return { [def.resource]: render(req.ctx, await h.get(req.ctx, id), fields) };
  });

  app.post(path, async (req, reply) => {
    admin(req.ctx);
    if (!h.create) throw new NamedError(405, 'HTTPMethodNotAllowed', 'The server could not comply with the request since it is either malformed or otherwise incorrect.');
    const { items, bulk } = prepareRequestBody(req.ctx, req.body, true, def);
    for (const item of items) enforceAttrPolicy(req.ctx, def, 'create', item, h.ownsNetwork ? await h.ownsNetwork(req.ctx, item) : true);
    if (bulk) await h.checkBulk?.(req.ctx, items);
    const created: Dict[] = [];
    try {
      for (const item of items) created.push(await h.create(req.ctx, item));
    } catch (e) {
      // Bulk creates are all or nothing, like ML2's native bulk.
      for (const c of created.reverse()) await h.rollback?.(req.ctx, c).catch(() => undefined);
      throw e;
    }
    reply.code(201);
    return bulk ? { [def.collection]: created.map((c) => render(req.ctx, c)) } : { [def.resource]: render(req.ctx, created[0]!) };
  });

  app.put(`${path}/:id`, async (req) => {
    admin(req.ctx);
    if (!h.update) throw badRequest('Method not supported');
    const { id } = req.params as { id: string };
    const { items } = prepareRequestBody(req.ctx, req.body, false, def);
    const item = items[0]!;
    // Admins pass every attribute policy: only others need the current item (which also
    // answers 404 before any 403, as neutron's policy hook does).
    if (!req.ctx.isAdmin) {
      const current = await h.get(req.ctx, id);
      enforceAttrPolicy(req.ctx, def, 'update', item, h.ownsNetwork ? await h.ownsNetwork(req.ctx, current) : true);
    }
    return { [def.resource]: render(req.ctx, await h.update(req.ctx, id, item)) };
  });

  app.delete(`${path}/:id`, async (req, reply) => {
    admin(req.ctx);
    if (!h.delete) throw badRequest('Method not supported');
    const { id } = req.params as { id: string };
    await h.delete(req.ctx, id);
    reply.code(204).send();
  });
}
