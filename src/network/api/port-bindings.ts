/**
 * binding-extended's routes (neutron/extensions/portbindings_extended.py), the sub-
 * resource `bindings` of ports keyed by host, plus its `activate` member action:
 *
 *   GET    /v2.0/ports/{port_id}/bindings                  200 {"bindings": [...]}
 *   POST   /v2.0/ports/{port_id}/bindings                  201 {"binding": {...}}
 *   GET    /v2.0/ports/{port_id}/bindings/{host}           200 {"binding": {...}}
 *   PUT    /v2.0/ports/{port_id}/bindings/{host}           200 {"binding": {...}}
 *   PUT    /v2.0/ports/{port_id}/bindings/{host}/activate  200 {...} (a member action's
 *                                                          answer is the plugin's dict, unwrapped)
 *   DELETE /v2.0/ports/{port_id}/bindings/{host}           204
 *
 * Policy: admin only, with the answers neutron's pecan policy hook gives a refused
 * caller — a create is 403 once its body is valid and before anything is looked up, a show, update or delete is 404 after
 * the port and binding were found, a list is filtered to nothing. Zed registers no rule
 * for these actions (the default rule applies); 2023.1 made them admin only, and only
 * nova (as admin) calls them, so Nimbus follows 2023.1 here.
 */
import type { FastifyInstance } from 'fastify';
import type { RequestContext } from '../../common/auth.js';
import { PolicyNotAuthorized, notFoundHttp } from '../errors.js';
import type { PortBindings } from '../plugin/port-bindings.js';
import { portBindingDef } from './definitions/port-bindings.js';
import { parseListQuery, type QueryParams, selectFields } from './query.js';
import { prepareRequestBody } from './resource.js';

type Params = { port_id: string; host: string };

const fieldsOf = (q: QueryParams) => ([] as string[]).concat(q.fields ?? []).filter(Boolean);

/** Registers the bindings sub-resource of ports. */
export function registerPortBindings(app: FastifyInstance, bindings: PortBindings): void {
  const base = '/v2.0/ports/:port_id/bindings';
  const adminOr404 = (ctx: RequestContext) => {
    if (!ctx.isAdmin) throw notFoundHttp();
  };

  app.get(base, async (req) => {
    const q = req.query as QueryParams;
    // Filters and fields as Zed; its sorting and paging by marker (bindings have no id)
    // are not implemented: those parameters are ignored, the list comes by host.
    const query = parseListQuery({ ...q, limit: undefined, marker: undefined, sort_key: undefined, sort_dir: undefined, page_reverse: undefined }, portBindingDef, -1);
    const items = await bindings.list(req.ctx, (req.params as Params).port_id, query.filters);
    if (!req.ctx.isAdmin) return { bindings: [] };
    return { bindings: items.map((b) => selectFields(b, query.fields)) };
  });

  app.post(base, async (req, reply) => {
    // pecan validates the body (BodyValidationHook) before the policy hook runs.
    const { items } = prepareRequestBody(req.ctx, req.body, true, portBindingDef);
    if (!req.ctx.isAdmin) throw new PolicyNotAuthorized('rule:create_port_binding');
    const item = items[0]!;
    const created = await bindings.create(req.ctx, (req.params as Params).port_id, {
      host: String(item.host),
      vnic_type: item.vnic_type as string,
      profile: item.profile as Record<string, unknown> | null | undefined,
    });
    reply.code(201);
    return { binding: created };
  });

  app.get(`${base}/:host`, async (req) => {
    const { port_id, host } = req.params as Params;
    const binding = await bindings.get(req.ctx, port_id, host);
    adminOr404(req.ctx);
    return { binding: selectFields(binding, fieldsOf(req.query as QueryParams)) };
  });

  app.put(`${base}/:host`, async (req) => {
    const { port_id, host } = req.params as Params;
    const { items } = prepareRequestBody(req.ctx, req.body, false, portBindingDef);
    const item = items[0]!;
    await bindings.get(req.ctx, port_id, host);
    adminOr404(req.ctx);
    const updated = await bindings.update(req.ctx, port_id, host, {
      host: item.host === undefined ? undefined : String(item.host),
      vnic_type: item.vnic_type as string | undefined,
      profile: item.profile as Record<string, unknown> | null | undefined,
    });
    return { binding: updated };
  });

  app.put(`${base}/:host/activate`, async (req) => {
    if (!req.ctx.isAdmin) throw new PolicyNotAuthorized('rule:activate');
    const { port_id, host } = req.params as Params;
    return bindings.activate(req.ctx, port_id, host);
  });

  app.delete(`${base}/:host`, async (req, reply) => {
    const { port_id, host } = req.params as Params;
    await bindings.get(req.ctx, port_id, host);
    adminOr404(req.ctx);
    await bindings.delete(req.ctx, port_id, host);
    reply.code(204).send();
  });
}
