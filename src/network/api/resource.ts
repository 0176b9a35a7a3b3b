/**
 * Resources declared as data (neutron's RESOURCE_ATTRIBUTE_MAP): one attribute map per
 * resource, from which request validation, POST defaults, read-only checks, policy on
 * attributes, visibility, `fields=`, list filters and sort keys all derive.
 */
import { isDeepStrictEqual } from 'node:util';
import type { RequestContext } from '../../common/auth.js';
import { badRequest, PolicyNotAuthorized } from '../errors.js';
import { type Converter, type Validator, isString } from './validators.js';

export type Dict = Record<string, unknown>;

/** Who may set (create/update) or see (read) an attribute, beyond the resource's own rule. */
export type AttrPolicy = 'admin' | 'admin_or_network_owner';

export interface AttrSpec {
  allowPost: boolean;
  allowPut: boolean;
  /** POST default; a spec without the key is required on POST (when allowPost); undefined = optional, not filled. */
  default?: unknown;
  convertTo?: Converter;
  validate?: Validator;
  /** Shown in responses (default true). */
  isVisible?: boolean;
  /** Accepted as a list filter (neutron's is_filter). */
  isFilter?: boolean;
  /** Accepted as sort_key. */
  isSortKey?: boolean;
  /** Policy on setting the attribute. */
  setPolicy?: AttrPolicy;
  /**
   * neutron's enforce_policy on a dict attribute: its sub-keys (in the map's order) and
   * who may set each (null: the resource's own rule). The attribute's own rule passes
   * for whoever passes the resource's rule (external_gateway_info).
   */
  subPolicy?: Readonly<Record<string, AttrPolicy | null>>;
  /** Only admins see it. */
  readAdminOnly?: boolean;
  /** How a query-string value becomes the filter value (defaults to convertTo). */
  filterConvert?: (raw: string) => unknown;
}

export interface ResourceDef {
  /** Singular ("port"); the JSON key of one item. */
  resource: string;
  /** Plural ("ports"); the URL segment and the JSON key of a list. */
  collection: string;
  attrs: Record<string, AttrSpec>;
  /** Whether POST accepts {"ports": [...]}. */
  allowBulk?: boolean;
}

/** Adds the attributes every project-owned neutron resource has. */
export function withStandardAttrs(attrs: Record<string, AttrSpec>, extra: { tags?: boolean; revision?: boolean } = {}): Record<string, AttrSpec> {
  const std: Record<string, AttrSpec> = {
    tenant_id: { allowPost: true, allowPut: false, isFilter: true, isSortKey: true, validate: (v) => (typeof v === 'string' && v.length <= 255 ? undefined : `'${String(v)}' is not a valid string`) },
    project_id: { allowPost: true, allowPut: false, isFilter: true, isSortKey: true, validate: (v) => (typeof v === 'string' && v.length <= 255 ? undefined : `'${String(v)}' is not a valid string`) },
    // standard-attr-description's DESCRIPTION_BODY: type:string of DESCRIPTION_FIELD_SIZE, a filter, not a sort key.
    description: { allowPost: true, allowPut: true, default: '', isFilter: true, validate: isString(255) },
    created_at: { allowPost: false, allowPut: false, isFilter: true, isSortKey: true },
    updated_at: { allowPost: false, allowPut: false, isFilter: true, isSortKey: true },
  };
  if (extra.revision !== false) std.revision_number = { allowPost: false, allowPut: false, isFilter: true, isSortKey: true };
  if (extra.tags !== false) {
    // neutron's tagging.TAG_ATTRIBUTE_MAP: `tags` shown and filterable, the other three filters only.
    std.tags = { allowPost: false, allowPut: false, isFilter: true };
    for (const f of ['tags-any', 'not-tags', 'not-tags-any']) std[f] = { allowPost: false, allowPut: false, isVisible: false, isFilter: true };
  }
  return { ...attrs, ...std };
}

/** One validated resource body from a POST or PUT. */
export type PreparedBody = Dict;

const PY_LIST = (keys: string[]) => `[${keys.map((k) => `'${k}'`).join(', ')}]`;

/**
 * Checks and completes a request body like neutron's prepare_request_body: the
 * wrapper key, project ownership, unknown attributes, POST defaults and required
 * attributes, read-only attributes on PUT, conversion and validation. Returns the
 * items (one, or several for a bulk POST).
 */
export function prepareRequestBody(ctx: RequestContext, body: unknown, isCreate: boolean, def: ResourceDef): { items: PreparedBody[]; bulk: boolean } {
  if (body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0)) {
    throw badRequest('Resource body required');
  }
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('Body contains invalid data');
  const b = body as Dict;
  if (def.collection in b) {
    if (!isCreate || !def.allowBulk) throw badRequest('Bulk operation not supported');
    const list = b[def.collection];
    if (!Array.isArray(list)) throw badRequest('Body contains invalid data');
    if (list.length === 0) throw badRequest('Resources required');
    const items = list.map((item) => {
      const wrapped = item && typeof item === 'object' && def.resource in (item as Dict) ? item : { [def.resource]: item };
      return prepareRequestBody(ctx, wrapped, isCreate, def).items[0]!;
    });
    return { items, bulk: true };
  }
  const res = b[def.resource];
  if (res === undefined || res === null) throw badRequest(`Unable to find '${def.resource}' in request body`);
  if (typeof res !== 'object' || Array.isArray(res)) throw badRequest(`Object '${def.resource}' contains invalid data`);
  const item: Dict = { ...(res as Dict) };

  // populate_project_id
  if ('tenant_id' in item && 'project_id' in item && item.tenant_id !== item.project_id) {
    throw badRequest("'project_id' and 'tenant_id' do not match");
  }
  if ('tenant_id' in item && !('project_id' in item)) item.project_id = item.tenant_id;
  if ('project_id' in item && !('tenant_id' in item)) item.tenant_id = item.project_id;
  if ('project_id' in item && item.project_id !== ctx.projectId && !ctx.isAdmin) {
    throw badRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges");
  }
  if (isCreate && !('project_id' in item) && 'project_id' in def.attrs) {
    item.project_id = ctx.projectId;
    item.tenant_id = ctx.projectId;
  }

  const unknown = Object.keys(item).filter((k) => !(k in def.attrs));
  if (unknown.length) throw badRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);

  const specified = new Set(Object.keys(item));
  if (isCreate) {
    for (const [name, spec] of Object.entries(def.attrs)) {
      if (spec.allowPost) {
        if (!(name in item)) {
          if (!('default' in spec)) throw badRequest(`Failed to parse request. Required attribute '${name}' not specified`);
          // A default of undefined means optional and "not specified" (ATTR_NOT_SPECIFIED).
          if (spec.default !== undefined) item[name] = structuredClone(spec.default);
        }
      } else if (name in item) {
        throw badRequest(`Attribute '${name}' not allowed in POST`);
      }
    }
  } else {
    for (const name of Object.keys(item)) {
      if (!def.attrs[name]!.allowPut) throw badRequest(`Cannot update read-only attribute ${name}`);
    }
  }
  for (const [name, spec] of Object.entries(def.attrs)) {
    if (!(name in item) || item[name] === undefined) continue;
    if (spec.convertTo) item[name] = spec.convertTo(item[name]);
    if (spec.validate && (specified.has(name) || item[name] !== spec.default)) {
      const reason = spec.validate(item[name]);
      if (reason) throw badRequest(`Invalid input for ${name}. Reason: ${reason}.`);
    }
  }
  Object.defineProperty(item, SPECIFIED, { value: specified, enumerable: false });
  return { items: [item], bulk: false };
}

const SPECIFIED = Symbol('specified');
/** The attribute names the caller really sent (defaults excluded). */
export function specifiedKeys(item: PreparedBody): Set<string> {
  return (item as unknown as { [SPECIFIED]?: Set<string> })[SPECIFIED] ?? new Set(Object.keys(item));
}

/**
 * Enforces attribute policies (binding:*, provider:*, mac_address...) for a create or
 * update, raising PolicyNotAuthorized with oslo.policy's rule text as neutron shows it.
 */
export function enforceAttrPolicy(ctx: RequestContext, def: ResourceDef, action: 'create' | 'update', item: PreparedBody, isNetworkOwner: boolean): void {
  if (ctx.isAdmin) return;
  const rules: string[] = [];
  let denied = false;
  const specified = specifiedKeys(item);
  // neutron's _build_match_rule walks the attribute map in its own order, and on create
  // skips attributes whose value equals the default (_is_attribute_explicitly_set).
  const refuses = (pol: AttrPolicy | null | undefined) => pol === 'admin' || (pol === 'admin_or_network_owner' && !isNetworkOwner);
  for (const [name, spec] of Object.entries(def.attrs)) {
    const pol = spec.setPolicy;
    if ((!pol && !spec.subPolicy) || !specified.has(name)) continue;
    if (action === 'create' && 'default' in spec && spec.default !== undefined && isDeepStrictEqual(item[name], spec.default)) continue;
    let rule = `rule:${action}_${def.resource}:${name}`;
    const value = item[name];
    // _build_subattr_match_rule: one rule per sub-key present, ANDed under the attribute's.
    if (spec.subPolicy && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const subs = Object.keys(spec.subPolicy).filter((k) => k in (value as Dict));
      rule = `(${rule} and (${subs.map((k) => `${rule}:${k}`).join(' and ')}))`;
      if (subs.some((k) => refuses(spec.subPolicy![k]))) denied = true;
    }
    rules.push(rule);
    if (refuses(pol)) denied = true;
  }
  if (!denied) return;
  const rule = rules.reduce((acc, r) => `(${acc} and ${r})`, `rule:${action}_${def.resource}`);
  throw new PolicyNotAuthorized(rule);
}

/** Removes what the caller may not see (admin-only attributes, invisible ones). */
export function filterVisible(ctx: RequestContext, def: ResourceDef, item: Dict): Dict {
  // Most items hide nothing from an admin: hand them back as they are (big lists stay one copy).
  if (ctx.isAdmin && !Object.keys(item).some((k) => def.attrs[k]?.isVisible === false)) return item;
  const out: Dict = {};
  for (const [k, v] of Object.entries(item)) {
    const spec = def.attrs[k];
    if (spec && spec.isVisible === false) continue;
    if (spec?.readAdminOnly && !ctx.isAdmin) continue;
    out[k] = v;
  }
  return out;
}

export const pyList = PY_LIST;
