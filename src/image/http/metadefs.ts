/**
 * /v2/metadefs: namespaces (with their objects, properties, tags and resource type
 * associations) and the resource types, as glance's metadef controllers and their
 * RequestDeserializer/ResponseSerializer answer them. Bodies are checked for what the
 * schemas require (a name, visibility, the read-only generated fields); the full
 * jsonschema validation of glance is not repeated here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpBadRequest } from '../../common/errors.js';
import { ITEM_KINDS } from '../db/metadef-repo.js';
import type { MetadefNamespaceRow } from '../db/tables.js';
import { InvalidObject, ReadonlyAttribute } from '../errors.js';
import type { MetadefAPI, MetadefItem, NamespaceInput } from '../metadefs.js';
import { sendJson } from './py-json.js';
import { LIMIT_DEFAULT, LIMIT_MAX, parseJsonBody, rejectBody } from './request.js';
import { pyRepr } from './schema-validator.js';

type NsParams = { Params: { ns: string } };
type ItemParams = { Params: { ns: string; name: string } };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
/** The generated fields every metadef deserializer refuses (403 "Attribute 'x' is read-only."). */
const DISALLOWED = ['self', 'schema', 'created_at', 'updated_at'];

/** Drops null/undefined fields: wsme leaves unset attributes out of the JSON. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

/** A JSON object body with none of the generated fields; `schema` names it in errors. */
function parseBody(req: FastifyRequest, schema: string): Record<string, unknown> {
  const body = parseJsonBody(req.body);
  if (!isObject(body)) throw new InvalidObject(schema, `${pyRepr(body)} is not of type 'object'`);
  for (const key of DISALLOWED) if (Object.hasOwn(body, key)) throw new ReadonlyAttribute(key);
  return body;
}

/** A required non-empty string field, in jsonschema's words. */
function requireName(body: Record<string, unknown>, key: string, schema: string): string {
  if (!Object.hasOwn(body, key)) throw new InvalidObject(schema, `${pyRepr(key)} is a required property`);
  const v = body[key];
  if (typeof v !== 'string') throw new InvalidObject(schema, `${pyRepr(v)} is not of type 'string'`);
  return v;
}

/** The namespace body's own fields; visibility must be public or private, protected a boolean. */
function namespaceInput(body: Record<string, unknown>): NamespaceInput {
  const namespace = requireName(body, 'namespace', 'namespace');
  const v = body.visibility;
  if (v !== undefined && v !== null && v !== 'public' && v !== 'private') throw new InvalidObject('namespace', `${pyRepr(v)} is not one of ['public', 'private']`);
  const p = body.protected;
  if (p !== undefined && p !== null && typeof p !== 'boolean') throw new InvalidObject('namespace', `${pyRepr(p)} is not of type 'boolean'`);
  const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : null);
  return { namespace, display_name: str('display_name'), description: str('description'), visibility: (v as string | null) ?? null, protected: (p as boolean | null) ?? null, owner: str('owner') };
}

/** RequestDeserializer._get_filters: a visibility filter must be public or private. */
function visibilityFilter(search: URLSearchParams): string | undefined {
  const v = search.get('visibility');
  if (v && v !== 'public' && v !== 'private') throw httpBadRequest(`Invalid visibility value: ${v}`);
  return v || undefined;
}

/**
 * _prefix_property_name: with ?resource_type=, the properties (and the objects' properties
 * and required names) carry that association's prefix.
 */
function prefixed(view: Record<string, unknown>, resourceType: string | null): Record<string, unknown> {
  const rtas = (view.resource_type_associations as { name: string; prefix?: string }[] | undefined) ?? [];
  const prefix = resourceType ? rtas.find((r) => r.name === resourceType)?.prefix : undefined;
  if (!prefix) return view;
  const withPrefix = (props: Record<string, unknown>) => Object.fromEntries(Object.entries(props).map(([k, v]) => [prefix + k, v]));
  const out = { ...view };
  if (out.properties) out.properties = withPrefix(out.properties as Record<string, unknown>);
  if (out.objects) {
    out.objects = (out.objects as Record<string, unknown>[]).map((o) => {
      const r: Record<string, unknown> = { ...o };
      if (o.properties) r.properties = withPrefix(o.properties as Record<string, unknown>);
      if (Array.isArray(o.required) && o.required.length) r.required = (o.required as string[]).map((n) => prefix + n);
      return r;
    });
  }
  return out;
}

const nsHref = (name: string) => `/v2/metadefs/namespaces/${name}`;

/** An object as glance shows it. */
function objectView(ns: string, o: MetadefItem): Record<string, unknown> {
  return compact({ name: o.name, ...o.body, created_at: o.created_at, updated_at: o.updated_at, self: `${nsHref(ns)}/objects/${o.name}`, schema: '/v2/schemas/metadefs/object' });
}

/** A property as shown alone (with its name) or inside a list (keyed by it). */
const propertyView = (p: MetadefItem, withName: boolean) => compact(withName ? { name: p.name, ...p.body } : { ...p.body });
const tagView = (t: MetadefItem) => ({ name: t.name, created_at: t.created_at, updated_at: t.updated_at });
const associationView = (a: MetadefItem) => compact({ name: a.name, prefix: a.body.prefix, properties_target: a.body.properties_target, created_at: a.created_at, updated_at: a.updated_at });

/** A namespace's own fields, then what it holds when there is any, then its links. */
function namespaceView(ns: MetadefNamespaceRow, held: { resource_type_associations?: unknown[]; properties?: Record<string, unknown>; objects?: unknown[]; tags?: unknown[] } = {}) {
  const some = (v: unknown[] | Record<string, unknown> | undefined) => (v && (Array.isArray(v) ? v.length : Object.keys(v).length) ? v : undefined);
  return compact({
    namespace: ns.namespace,
    display_name: ns.display_name,
    description: ns.description,
    visibility: ns.visibility,
    protected: ns.protected === 1,
    owner: ns.owner,
    created_at: ns.created_at,
    updated_at: ns.updated_at,
    resource_type_associations: some(held.resource_type_associations),
    properties: some(held.properties),
    objects: some(held.objects),
    tags: some(held.tags),
    self: nsHref(ns.namespace),
    schema: '/v2/schemas/metadefs/namespace',
  });
}

const noContent = (reply: FastifyReply) => reply.code(204).type('text/html; charset=UTF-8').send();

/** The fields an object keeps besides its name. */
function objectBody(body: Record<string, unknown>): Record<string, unknown> {
  return compact({ required: body.required, description: body.description, properties: body.properties });
}

/** A property's schema fields (everything but its name). */
function propertyBody(body: Record<string, unknown>): Record<string, unknown> {
  const { name: _name, ...rest } = body;
  return rest;
}

/** Registers /v2/metadefs; every route needs a token. */
export function registerMetadefRoutes(app: FastifyInstance, api: MetadefAPI): void {
  // --- resource types ---
  app.get('/v2/metadefs/resource_types', async (_req, reply) => sendJson(reply, 200, { resource_types: await api.listResourceTypes() }));

  // --- namespaces ---
  app.get('/v2/metadefs/namespaces', async (req, reply) => {
    const search = new URLSearchParams(req.url.split('?')[1] ?? '');
    // RequestDeserializer.index: limit defaults to limit_param_default, capped at api_limit_max.
    const limitRaw = search.get('limit');
    let limit = LIMIT_DEFAULT;
    if (limitRaw !== null) {
      if (!/^\s*[-+]?\d+\s*$/.test(limitRaw)) throw httpBadRequest('limit param must be an integer');
      limit = Math.min(LIMIT_MAX, Number(limitRaw));
      if (limit < 0) throw httpBadRequest('limit param must be positive');
    }
    const sortDir = search.get('sort_dir') ?? 'desc';
    if (sortDir !== 'asc' && sortDir !== 'desc') throw httpBadRequest(`Invalid sort direction: ${sortDir}`);
    const visibility = visibilityFilter(search);
    const rts = search.get('resource_types');
    let list = await api.listNamespaces(req.ctx, { ...(visibility ? { visibility } : {}), ...(rts ? { resourceTypes: rts.split(',') } : {}) });
    if (sortDir === 'asc') list = list.reverse();
    const marker = search.get('marker');
    if (marker) {
      await api.getNamespace(req.ctx, marker);
      list = list.slice(list.findIndex((n) => n.namespace === marker) + 1);
    }
    list = list.slice(0, limit);
    const namespaces = [];
    for (const ns of list) namespaces.push(namespaceView(ns, { resource_type_associations: (await api.listItems(req.ctx, ns.namespace, ITEM_KINDS.resourceType)).map(associationView) }));
    search.delete('marker');
    const query = search.toString();
    const body: Record<string, unknown> = { namespaces, first: `/v2/metadefs/namespaces${query ? `?${query}` : ''}`, schema: '/v2/schemas/metadefs/namespaces' };
    if (list.length !== 0 && list.length === limit) {
      search.set('marker', list[list.length - 1]!.namespace);
      body.next = `/v2/metadefs/namespaces?${search.toString()}`;
    }
    return sendJson(reply, 200, body);
  });

  app.post('/v2/metadefs/namespaces', async (req, reply) => {
    const body = parseBody(req, 'namespace');
    const input = namespaceInput(body);
    // Check the contents' policies before anything is written, as glance does.
    const rtas = Array.isArray(body.resource_type_associations) ? (body.resource_type_associations as Record<string, unknown>[]) : [];
    const objects = Array.isArray(body.objects) ? (body.objects as Record<string, unknown>[]) : [];
    const tags = Array.isArray(body.tags) ? (body.tags as Record<string, unknown>[]) : [];
    const properties = isObject(body.properties) ? body.properties : {};
    const ns = await api.createNamespace(req.ctx, input);
    try {
      for (const r of rtas) await api.createItem(req.ctx, ns.namespace, ITEM_KINDS.resourceType, requireName(r, 'name', 'namespace'), compact({ prefix: r.prefix, properties_target: r.properties_target }), 'add_metadef_resource_type_association');
      for (const o of objects) await api.createItem(req.ctx, ns.namespace, ITEM_KINDS.object, requireName(o, 'name', 'namespace'), objectBody(o), 'add_metadef_object');
      for (const t of tags) await api.createItem(req.ctx, ns.namespace, ITEM_KINDS.tag, requireName(t, 'name', 'namespace'), {}, 'add_metadef_tag');
      for (const [name, p] of Object.entries(properties)) await api.createItem(req.ctx, ns.namespace, ITEM_KINDS.property, name, isObject(p) ? propertyBody(p) : {}, 'add_metadef_property');
    } catch (e) {
      // _cleanup_namespace: a failed content leaves no half-made namespace behind.
      await api.deleteNamespace(req.ctx, ns.namespace).catch(() => undefined);
      throw e;
    }
    // The create answer echoes the request's contents (glance sets them from the body).
    const view = namespaceView(ns, {
      resource_type_associations: rtas.map((r) => compact({ name: r.name, prefix: r.prefix, properties_target: r.properties_target })),
      properties,
      objects: objects.map((o) => compact({ name: o.name, ...objectBody(o) })),
      tags: tags.map((t) => ({ name: t.name })),
    });
    reply.header('location', nsHref(ns.namespace));
    return sendJson(reply, 201, view);
  });

  app.get<NsParams>('/v2/metadefs/namespaces/:ns', async (req, reply) => {
    const search = new URLSearchParams(req.url.split('?')[1] ?? '');
    visibilityFilter(search);
    const ns = await api.getNamespace(req.ctx, req.params.ns);
    const name = ns.namespace;
    const props = Object.fromEntries((await api.listItems(req.ctx, name, ITEM_KINDS.property)).map((p) => [p.name, propertyView(p, false)]));
    const view = namespaceView(ns, {
      objects: (await api.listItems(req.ctx, name, ITEM_KINDS.object)).map((o) => objectView(name, o)),
      resource_type_associations: (await api.listItems(req.ctx, name, ITEM_KINDS.resourceType)).map(associationView),
      properties: props,
      tags: (await api.listItems(req.ctx, name, ITEM_KINDS.tag)).map((t) => ({ name: t.name })),
    });
    return sendJson(reply, 200, prefixed(view, search.get('resource_type')));
  });

  app.put<NsParams>('/v2/metadefs/namespaces/:ns', async (req, reply) => {
    const body = parseBody(req, 'namespace');
    const ns = await api.updateNamespace(req.ctx, req.params.ns, namespaceInput(body));
    return sendJson(reply, 200, namespaceView(ns));
  });

  app.delete<NsParams>('/v2/metadefs/namespaces/:ns', async (req, reply) => {
    rejectBody(req);
    await api.deleteNamespace(req.ctx, req.params.ns);
    return noContent(reply);
  });

  // --- objects ---
  app.get<NsParams>('/v2/metadefs/namespaces/:ns/objects', async (req, reply) => {
    const objects = (await api.listItems(req.ctx, req.params.ns, ITEM_KINDS.object)).map((o) => objectView(req.params.ns, o));
    return sendJson(reply, 200, { objects, schema: 'v2/schemas/metadefs/objects' });
  });
  app.post<NsParams>('/v2/metadefs/namespaces/:ns/objects', async (req, reply) => {
    const body = parseBody(req, 'object');
    const o = await api.createItem(req.ctx, req.params.ns, ITEM_KINDS.object, requireName(body, 'name', 'object'), objectBody(body), 'add_metadef_object');
    return sendJson(reply, 201, objectView(req.params.ns, o));
  });
  app.get<ItemParams>('/v2/metadefs/namespaces/:ns/objects/:name', async (req, reply) =>
    sendJson(reply, 200, objectView(req.params.ns, await api.getItem(req.ctx, req.params.ns, ITEM_KINDS.object, req.params.name))),
  );
  app.put<ItemParams>('/v2/metadefs/namespaces/:ns/objects/:name', async (req, reply) => {
    const body = parseBody(req, 'object');
    const o = await api.updateItem(req.ctx, req.params.ns, ITEM_KINDS.object, req.params.name, requireName(body, 'name', 'object'), objectBody(body), 'modify_metadef_object');
    return sendJson(reply, 200, objectView(req.params.ns, o));
  });
  app.delete<ItemParams>('/v2/metadefs/namespaces/:ns/objects/:name', async (req, reply) => {
    await api.deleteItem(req.ctx, req.params.ns, ITEM_KINDS.object, req.params.name, 'delete_metadef_object');
    return noContent(reply);
  });
  app.delete<NsParams>('/v2/metadefs/namespaces/:ns/objects', async (req, reply) => {
    await api.deleteAllItems(req.ctx, req.params.ns, ITEM_KINDS.object);
    return noContent(reply);
  });

  // --- properties ---
  app.get<NsParams>('/v2/metadefs/namespaces/:ns/properties', async (req, reply) => {
    const props = await api.listItems(req.ctx, req.params.ns, ITEM_KINDS.property);
    return sendJson(reply, 200, { properties: Object.fromEntries(props.map((p) => [p.name, propertyView(p, false)])) });
  });
  app.post<NsParams>('/v2/metadefs/namespaces/:ns/properties', async (req, reply) => {
    const body = parseBody(req, 'property');
    const name = requireName(body, 'name', 'property');
    const p = await api.createItem(req.ctx, req.params.ns, ITEM_KINDS.property, name, propertyBody(body), 'add_metadef_property');
    return sendJson(reply, 201, propertyView(p, true));
  });
  app.get<ItemParams>('/v2/metadefs/namespaces/:ns/properties/:name', async (req, reply) =>
    sendJson(reply, 200, propertyView(await api.getItem(req.ctx, req.params.ns, ITEM_KINDS.property, req.params.name), true)),
  );
  app.put<ItemParams>('/v2/metadefs/namespaces/:ns/properties/:name', async (req, reply) => {
    const body = parseBody(req, 'property');
    const name = requireName(body, 'name', 'property');
    const p = await api.updateItem(req.ctx, req.params.ns, ITEM_KINDS.property, req.params.name, name, propertyBody(body), 'modify_metadef_property');
    return sendJson(reply, 200, propertyView(p, true));
  });
  app.delete<ItemParams>('/v2/metadefs/namespaces/:ns/properties/:name', async (req, reply) => {
    await api.deleteItem(req.ctx, req.params.ns, ITEM_KINDS.property, req.params.name, 'remove_metadef_property');
    return noContent(reply);
  });
  app.delete<NsParams>('/v2/metadefs/namespaces/:ns/properties', async (req, reply) => {
    await api.deleteAllItems(req.ctx, req.params.ns, ITEM_KINDS.property);
    return noContent(reply);
  });

  // --- tags ---
  app.get<NsParams>('/v2/metadefs/namespaces/:ns/tags', async (req, reply) =>
    sendJson(reply, 200, { tags: (await api.listItems(req.ctx, req.params.ns, ITEM_KINDS.tag)).map(tagView) }),
  );
  app.post<NsParams>('/v2/metadefs/namespaces/:ns/tags', async (req, reply) => {
    const body = parseBody(req, 'tags');
    if (!Array.isArray(body.tags)) throw new InvalidObject('tags', `${pyRepr('tags')} is a required property`);
    const names = (body.tags as unknown[]).map((t) => requireName(isObject(t) ? t : {}, 'name', 'tags'));
    const append = /^(1|t|true|on|y|yes)$/i.test(String(req.headers['x-openstack-append'] ?? 'false'));
    const tags = await api.createTags(req.ctx, req.params.ns, names, append);
    return sendJson(reply, 201, { tags: tags.map((t) => ({ name: t.name })) });
  });
  app.delete<NsParams>('/v2/metadefs/namespaces/:ns/tags', async (req, reply) => {
    await api.deleteAllItems(req.ctx, req.params.ns, ITEM_KINDS.tag);
    return noContent(reply);
  });
  app.post<ItemParams>('/v2/metadefs/namespaces/:ns/tags/:name', async (req, reply) => {
    const t = await api.createItem(req.ctx, req.params.ns, ITEM_KINDS.tag, req.params.name, {}, 'add_metadef_tag');
    return sendJson(reply, 201, tagView(t));
  });
  app.get<ItemParams>('/v2/metadefs/namespaces/:ns/tags/:name', async (req, reply) =>
    sendJson(reply, 200, tagView(await api.getItem(req.ctx, req.params.ns, ITEM_KINDS.tag, req.params.name))),
  );
  app.put<ItemParams>('/v2/metadefs/namespaces/:ns/tags/:name', async (req, reply) => {
    const body = parseBody(req, 'tag');
    const t = await api.updateItem(req.ctx, req.params.ns, ITEM_KINDS.tag, req.params.name, requireName(body, 'name', 'tag'), {}, 'modify_metadef_tag');
    return sendJson(reply, 200, tagView(t));
  });
  app.delete<ItemParams>('/v2/metadefs/namespaces/:ns/tags/:name', async (req, reply) => {
    await api.deleteItem(req.ctx, req.params.ns, ITEM_KINDS.tag, req.params.name, 'delete_metadef_tag');
    return noContent(reply);
  });

  // --- resource type associations ---
  app.get<NsParams>('/v2/metadefs/namespaces/:ns/resource_types', async (req, reply) =>
    sendJson(reply, 200, { resource_type_associations: (await api.listItems(req.ctx, req.params.ns, ITEM_KINDS.resourceType)).map(associationView) }),
  );
  app.post<NsParams>('/v2/metadefs/namespaces/:ns/resource_types', async (req, reply) => {
    const body = parseBody(req, 'resource_type_association');
    const name = requireName(body, 'name', 'resource_type_association');
    const a = await api.createItem(req.ctx, req.params.ns, ITEM_KINDS.resourceType, name, compact({ prefix: body.prefix, properties_target: body.properties_target }), 'add_metadef_resource_type_association');
    return sendJson(reply, 201, associationView(a));
  });
  app.delete<ItemParams>('/v2/metadefs/namespaces/:ns/resource_types/:name', async (req, reply) => {
    await api.deleteItem(req.ctx, req.params.ns, ITEM_KINDS.resourceType, req.params.name, 'remove_metadef_resource_type_association');
    return noContent(reply);
  });
}
