/**
 * List queries as neutron answers them: filters (repeated keys OR together; unknown
 * keys refused by filter validation), `fields=`, `sort_key`/`sort_dir`, and
 * `limit`/`marker`/`page_reverse` pagination with `<collection>_links`.
 */
import { BadRequest } from '../../common/errors.js';
import { InvalidInput, badRequest } from '../errors.js';
import { TAG_FILTERS, type TagFilter, matchesTagFilter } from '../plugin/tags.js';
import { type Dict, type ResourceDef, pyList } from './resource.js';

export type QueryParams = Record<string, string | string[] | undefined>;

export interface ListQuery {
  /** attribute → accepted values (already converted). */
  filters: Map<string, unknown[]>;
  fields: string[];
  sorts: { key: string; dir: 'asc' | 'desc' }[];
  limit: number | null;
  marker: string | null;
  pageReverse: boolean;
}

const RESERVED = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);
/** Keys neutron's filter parser skips silently (model base columns and extensions' own query params). */
const IGNORED = new Set(['tenant_id', 'project_id', 'id', 'fixed_ips', 'ip_address_substr', 'shared', 'router:external']);

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Parses the query string of a list request against the resource's attribute map. */
export function parseListQuery(q: QueryParams, def: ResourceDef, maxLimit: number): ListQuery {
  const filters = new Map<string, unknown[]>();
  const invalid: string[] = [];
  for (const [key, raw] of Object.entries(q)) {
    if (RESERVED.has(key)) continue;
    const spec = def.attrs[key];
    if (!spec || (!spec.isFilter && !IGNORED.has(key))) {
      invalid.push(key);
      continue;
    }
    let values = asList(raw);
    if (key === 'fixed_ips') {
      // Malformed pairs are refused here; the raw pairs stay the filter values.
      if (Object.keys(parseFixedIpsFilter(values)).length) filters.set(key, values);
      continue;
    }
    values = values.filter((v) => v !== '' || key === 'device_id' || key === 'device_owner' || key === 'name' || key === 'description');
    const conv = spec.filterConvert ?? spec.convertTo;
    const converted = values.map((v) => (conv ? conv(v) : v));
    if (converted.length) filters.set(key, converted);
  }
  if (invalid.length) throw badRequest(`${pyList(invalid)} is invalid attribute for filtering`);

  const sortKeys = asList(q.sort_key);
  const sortDirs = asList(q.sort_dir);
  if (sortKeys.length !== sortDirs.length && sortDirs.length > 0) throw badRequest('The number of sort_keys and sort_dirs must be same');
  const absent = sortKeys.filter((k) => !def.attrs[k]?.isSortKey && k !== 'id');
  if (absent.length) throw badRequest(`${pyList(absent)} is invalid attribute for sort_keys`);
  const badDirs = sortDirs.filter((d) => d !== 'asc' && d !== 'desc');
  if (badDirs.length) throw badRequest(`${pyList(badDirs)} is invalid value for sort_dirs, valid value is 'asc' and 'desc'`);
  const sorts = sortKeys.map((key, i) => ({ key, dir: (sortDirs[i] ?? 'asc') as 'asc' | 'desc' }));

  let limit: number | null = null;
  const rawLimit = asList(q.limit)[0];
  if (rawLimit !== undefined) {
    const n = Number(rawLimit);
    if (!/^\d+$/.test(rawLimit.trim()) || !Number.isInteger(n) || n < 0) {
      throw new BadRequest(`Bad limit request: Limit must be an integer 0 or greater and not '${rawLimit}'.`);
    }
    limit = n === 0 ? null : n;
  }
  if (maxLimit > 0) limit = Math.min(limit ?? maxLimit, maxLimit);
  const marker = asList(q.marker)[0] ?? null;
  const pageReverse = /^(true|1|yes)$/i.test(asList(q.page_reverse)[0] ?? '');
  const fields = asList(q.fields).filter(Boolean);
  return { filters, fields, sorts, limit, marker, pageReverse };
}

const str = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** A `fixed_ips` list filter after neutron-lib's convert_kvp_list_to_dict: key → values. */
export type FixedIpsFilter = Record<string, string[]>;
interface FixedIp {
  ip_address: string;
  subnet_id: string;
}

/**
 * convert_kvp_list_to_dict on the `fixed_ips=` values: each "key=value" (both stripped)
 * adds value to key; a bare flag (['True']) is no filter; anything else without "=" or
 * with an empty key is InvalidInput.
 */
export function parseFixedIpsFilter(values: string[]): FixedIpsFilter {
  if (values.length === 1 && values[0] === 'True') return {};
  const out: FixedIpsFilter = {};
  for (const raw of values) {
    const at = raw.indexOf('=');
    const k = at < 0 ? '' : raw.slice(0, at).trim();
    if (!k) throw new InvalidInput(`'${raw}' is not of the form <key>=[value]`);
    const list = (out[k] ??= []);
    const value = raw.slice(at + 1).trim();
    if (!list.includes(value)) list.push(value);
  }
  return out;
}

/**
 * ML2's _get_ports_query on a fixed_ips filter: ip_address, subnet_id and
 * ip_address_substr are separate EXISTS clauses over the port's IPs (not one IP
 * matching all three), other keys are ignored. A substring is SQL's LIKE '%<s>%'.
 */
function matchesFixedIps(ips: FixedIp[], want: FixedIpsFilter): boolean {
  const { ip_address: addrs, subnet_id: subnets, ip_address_substr: substrs } = want;
  if (addrs && !ips.some((ip) => addrs.includes(ip.ip_address))) return false;
  if (subnets && !ips.some((ip) => subnets.includes(ip.subnet_id))) return false;
  if (substrs) {
    const patterns = substrs.map(likeContains);
    if (!ips.some((ip) => patterns.some((re) => re.test(ip.ip_address)))) return false;
  }
  return true;
}

/**
 * LIKE '%<s>%' as MySQL (neutron's usual backend) evaluates it: `%` and `_` stay
 * wildcards, a backslash escapes the next character, and the default collation
 * compares case-insensitively (an upper-case IPv6 substring matches).
 */
export function likeContains(s: string): RegExp {
  let body = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) body += escapeRe(s[++i]!);
    else if (c === '%') body += '.*';
    else if (c === '_') body += '.';
    else body += escapeRe(c);
  }
  return new RegExp(body, 'is');
}
const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether an item passes one attribute filter (any of the values matches). */
export function matchesFilter(item: Dict, key: string, values: unknown[]): boolean {
  if ((TAG_FILTERS as readonly string[]).includes(key)) return matchesTagFilter((item.tags as string[] | undefined) ?? [], key as TagFilter, values);
  const v = item[key];
  if (key === 'fixed_ips') return matchesFixedIps((v as FixedIp[] | undefined) ?? [], parseFixedIpsFilter(values as string[]));
  if (Array.isArray(v)) return values.some((f) => v.some((x) => str(x) === str(f)));
  return values.some((f) => str(f) === str(v) || (v === null && f === ''));
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return str(a) < str(b) ? -1 : 1;
}

export interface ListPage {
  items: Dict[];
  links: { rel: string; href: string }[];
}

/**
 * Filters, sorts and paginates items; `baseUrl` and `q` build next/previous links the
 * way neutron does (marker = the id at the page's edge).
 */
export function applyListQuery(items: Dict[], query: ListQuery, baseUrl: string, q: QueryParams): ListPage {
  let out = items.filter((it) => [...query.filters].every(([k, vals]) => matchesFilter(it, k, vals)));
  const paginated = query.limit !== null;
  const sorts = query.sorts.length || paginated ? [...query.sorts, ...(query.sorts.some((s) => s.key === 'id') ? [] : [{ key: 'id', dir: 'asc' as const }])] : [];
  if (sorts.length) {
    out = [...out].sort((a, b) => {
      for (const s of sorts) {
        const c = compare(a[s.key], b[s.key]);
        if (c !== 0) return s.dir === 'asc' ? c : -c;
      }
      return 0;
    });
  }
  const links: { rel: string; href: string }[] = [];
  if (paginated) {
    const limit = query.limit!;
    let start = 0;
    let end = out.length;
    if (query.marker) {
      const idx = out.findIndex((it) => it.id === query.marker);
      if (query.pageReverse) {
        end = idx < 0 ? out.length : idx;
        start = Math.max(0, end - limit);
      } else {
        start = idx < 0 ? 0 : idx + 1;
        end = Math.min(out.length, start + limit);
      }
    } else if (query.pageReverse) {
      start = Math.max(0, out.length - limit);
    } else {
      end = Math.min(out.length, limit);
    }
    const page = out.slice(start, end);
    const params = (marker: string | undefined, reverse: boolean) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(q)) {
        if (k === 'marker' || k === 'page_reverse' || v === undefined) continue;
        for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
      }
      if (marker) p.append('marker', marker);
      if (reverse) p.append('page_reverse', 'True');
      return `${baseUrl}?${p.toString()}`;
    };
    // api_common.get_pagination_links: "next" unless a short forward page, "previous"
    // unless a short reverse page (so a forward first page has a "previous" too).
    const short = page.length < limit;
    if (!(short && !query.pageReverse)) links.push({ rel: 'next', href: params(page.length ? (page[page.length - 1]!.id as string) : undefined, false) });
    if (!(short && query.pageReverse)) links.push({ rel: 'previous', href: params(page.length ? (page[0]!.id as string) : undefined, true) });
    out = page;
  }
  return { items: out, links };
}

/** Keeps only the requested fields (neutron's `fields=`); no fields means all. */
export function selectFields(item: Dict, fields: string[]): Dict {
  if (!fields.length) return item;
  const out: Dict = {};
  for (const f of fields) if (f in item) out[f] = item[f];
  return out;
}
