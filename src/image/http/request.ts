/**
 * Request deserialisation for /v2/images, following glance's RequestDeserializer: the
 * create body split into core attributes, extra properties and tags; JSON-patch
 * documents; and the list query (filters, sorting, paging). Everything here throws
 * glance's 400/403/415 errors before the image API is called.
 */
import type { FastifyRequest } from 'fastify';
import { httpBadRequest } from '../../common/errors.js';
import { parseJson } from '../../common/json-body.js';
import { SORT_KEYS, type CreateImageInput, type ImageChange, type ListImagesQuery, type SortKey } from '../api.js';
import { FILTER_COLUMNS, NUMERIC_FILTER_COLUMNS, TIME_FILTER_OPS, type FilterColumn, type ImageFilters, type NumericFilterColumn, type TimeFilter } from '../db/image-repo.js';
import { InvalidObject, ReadonlyAttribute, ReservedAttribute, UnsupportedMediaType } from '../errors.js';
import {
  DISALLOWED_ON_CREATE,
  MUTABLE_ATTRIBUTES,
  READONLY_ATTRIBUTES,
  RESERVED_ATTRIBUTES,
  RESERVED_NAMESPACE,
  isMutableAttribute,
  type Visibility,
} from '../model.js';
import { pyRepr, validateImage } from './schema-validator.js';

/** glance's limit_param_default and api_limit_max. */
export const LIMIT_DEFAULT = 25;
export const LIMIT_MAX = 1000;

const includes = (list: readonly string[], key: string) => list.includes(key);
const reservedName = (key: string) => includes(RESERVED_ATTRIBUTES, key) || key.startsWith(RESERVED_NAMESPACE);

/** Parses a JSON body glance's way ("Malformed JSON in request body." / "Body expected in request."). */
export function parseJsonBody(raw: unknown): unknown {
  if (raw === undefined || (Buffer.isBuffer(raw) && raw.length === 0)) throw httpBadRequest('Body expected in request.');
  if (!Buffer.isBuffer(raw)) return raw;
  try {
    return parseJson(raw);
  } catch {
    throw httpBadRequest('Malformed JSON in request body.');
  }
}

/**
 * glance's body_reject on routes that take no body (actions, tags, member reads and
 * deletes, discovery): any Content-Length > 0 or chunked body is 400.
 */
export function rejectBody(req: FastifyRequest): void {
  if (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0) {
    throw httpBadRequest('A body is not expected with this request.');
  }
}

/** POST /v2/images body → CreateImageInput. */
export function parseCreate(body: unknown): CreateImageInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidObject('image', `${pyRepr(body)} is not of type 'object'`);
  }
  const b = { ...(body as Record<string, unknown>) };
  for (const key of DISALLOWED_ON_CREATE) if (Object.hasOwn(b, key)) throw new ReadonlyAttribute(key);
  validateImage(b);
  const tags = (b.tags as string[] | undefined) ?? [];
  delete b.tags;
  const input: CreateImageInput = { core: {}, properties: {}, tags };
  for (const key of Object.keys(b)) {
    if (key === 'id') {
      input.id = b.id as string;
    } else if (isMutableAttribute(key)) {
      (input.core as Record<string, unknown>)[MUTABLE_ATTRIBUTES[key]] = b[key];
    } else if (includes(READONLY_ATTRIBUTES, key)) {
      // glance pops these base properties and the image factory rejects them.
      throw new ReadonlyAttribute(key);
    } else {
      if ([...key].length > 255) throw httpBadRequest('Custom property should not be greater than 255 characters.');
      if (reservedName(key)) throw new ReservedAttribute(key, true);
      input.properties[key] = b[key] as string;
    }
  }
  return input;
}

const PATCH_TYPES: Record<string, 4 | 10> = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
};
const OPS = ['add', 'remove', 'replace'] as const;

function decodePointer(pointer: string): string[] {
  if (!pointer.startsWith('/')) throw httpBadRequest(`Pointer \`${pointer}\` does not start with "/".`);
  if (/\/\s*?\//.test(pointer.slice(1))) throw httpBadRequest(`Pointer \`${pointer}\` contains adjacent "/".`);
  if (pointer.length > 1 && pointer.endsWith('/')) throw httpBadRequest(`Pointer \`${pointer}\` end with "/".`);
  if (pointer.slice(1).trim() === '/') throw httpBadRequest(`Pointer \`${pointer}\` does not contains valid token.`);
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) {
    throw httpBadRequest(`Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`);
  }
  return pointer
    .replace(/^\/+/, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~').trim());
}

/** PATCH /v2/images/{id}: checks the media type and turns the document into changes. */
export function parsePatch(contentType: string | undefined, raw: unknown): ImageChange[] {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const draft = PATCH_TYPES[mediaType];
  if (!draft) throw new UnsupportedMediaType(mediaType, Object.keys(PATCH_TYPES).sort().join(', '));
  const body = parseJsonBody(raw);
  if (!Array.isArray(body)) throw httpBadRequest('Request body must be a JSON array of operation objects.');
  const available = OPS.join(', ');
  return body.map((raw): ImageChange => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw httpBadRequest('Operations must be JSON objects.');
    const r = raw as Record<string, unknown>;
    let op: ImageChange['op'];
    let pointer: unknown;
    if (draft === 10) {
      if (r.op === undefined) {
        throw httpBadRequest(`Unable to find \`op\` in JSON Schema change. It must be one of the following: ${available}.`);
      }
      if (!OPS.includes(r.op as never)) {
        throw httpBadRequest(`Invalid operation: \`${String(r.op)}\`. It must be one of the following: ${available}.`);
      }
      op = r.op as ImageChange['op'];
      if (!Object.hasOwn(r, 'path')) throw httpBadRequest("Unable to find 'path' in JSON Schema change");
      pointer = r.path;
    } else {
      const present = OPS.filter((o) => Object.hasOwn(r, o));
      if (present.length > 1) throw httpBadRequest('Operation objects must contain only one member named "add", "remove", or "replace".');
      if (present.length === 0) throw httpBadRequest('Operation objects must contain exactly one member named "add", "remove", or "replace".');
      op = present[0]!;
      pointer = r[op];
    }
    const path = decodePointer(String(pointer));
    const root = path[0]!;
    if (path.length !== 1) throw httpBadRequest(`Invalid JSON pointer for this resource: '/${path.join('/')}'`);
    const change: ImageChange = { op, path: root, draft };
    if (op !== 'remove') {
      if (!Object.hasOwn(r, 'value')) throw httpBadRequest(`Operation "${op}" requires a member named "value".`);
      change.value = r.value;
    }
    if (includes(READONLY_ATTRIBUTES, root)) throw new ReadonlyAttribute(root);
    if (reservedName(root)) throw new ReservedAttribute(root, false);
    if (root === 'locations') throw new ReadonlyAttribute(root); // no location API: show_multiple_locations is off
    if (op !== 'remove') validateImage({ [root]: change.value });
    return change;
  });
}

const VISIBILITIES = ['community', 'public', 'private', 'shared', 'all'];

/** GET /v2/images query (raw query string, order kept) → ListImagesQuery. */
export function parseListQuery(search: URLSearchParams): ListImagesQuery {
  const params: [string, string][] = [...search.entries()];
  const take = (key: string): string[] => {
    const values = params.filter(([k]) => k === key).map(([, v]) => v);
    for (let i = params.length - 1; i >= 0; i--) if (params[i]![0] === key) params.splice(i, 1);
    return values;
  };
  const last = (key: string) => take(key).pop();
  const limitRaw = last('limit');
  const marker = last('marker');
  const memberStatus = last('member_status') ?? 'accepted';
  const tags = take('tag').map((t) => t.trim());
  if (!['pending', 'accepted', 'rejected', 'all'].includes(memberStatus)) throw httpBadRequest(`Invalid status: ${memberStatus}`);

  // Sorting: sort=k:dir,... or the classic repeated sort_key/sort_dir.
  const sortKeys: SortKey[] = [];
  const sortDirs: ('asc' | 'desc')[] = [];
  const validKey = (k: string): SortKey => {
    if (!SORT_KEYS.includes(k as SortKey)) {
      throw httpBadRequest(`Invalid sort key: ${k}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
    }
    return k as SortKey;
  };
  const validDir = (d: string): 'asc' | 'desc' => {
    if (d !== 'asc' && d !== 'desc') throw httpBadRequest(`Invalid sort direction: ${d}`);
    return d;
  };
  const sort = take('sort');
  const keysRaw = take('sort_key');
  const dirsRaw = take('sort_dir');
  if (sort.length) {
    if (keysRaw.length || dirsRaw.length) throw httpBadRequest('Old and new sorting syntax cannot be combined');
    for (const part of sort[sort.length - 1]!.trim().split(',')) {
      const [k = '', d] = part.split(':');
      sortKeys.push(validKey(k.trim()));
      sortDirs.push(validDir((d ?? 'desc').trim() || 'desc'));
    }
  } else {
    for (const k of keysRaw) sortKeys.push(validKey(k.trim()));
    for (const d of dirsRaw) sortDirs.push(validDir(d.trim()));
    if (sortDirs.length > 1 && sortDirs.length !== sortKeys.length) {
      throw httpBadRequest('Number of sort dirs does not match the number of sort keys');
    }
  }
  if (!sortKeys.length) sortKeys.push('created_at');
  if (!sortDirs.length) sortDirs.push('desc');

  let limit = LIMIT_DEFAULT;
  if (limitRaw !== undefined) {
    if (!/^\s*[-+]?\d+\s*$/.test(limitRaw)) throw httpBadRequest('limit param must be an integer');
    limit = Number(limitRaw);
    if (limit < 0) throw httpBadRequest('limit param must be positive');
  }
  limit = Math.min(LIMIT_MAX, limit);

  // Everything left is a filter, as glance passes the remaining params to the DB.
  const filters: ImageFilters = { osHidden: false, columns: {}, numbers: {}, ranges: {}, times: [], tags, properties: {} };
  const visibility = last('visibility');
  if (visibility) {
    if (!VISIBILITIES.includes(visibility)) throw httpBadRequest(`Invalid visibility value: ${visibility}`);
    filters.visibility = visibility as Visibility | 'all';
  }
  if (params.some(([k]) => k === 'changes-since')) throw httpBadRequest('The "changes-since" filter is no longer available on v2.');
  const hidden = (last('os_hidden') ?? 'false').toLowerCase();
  if (hidden !== 'true' && hidden !== 'false') {
    throw httpBadRequest(`Invalid value '${hidden}' for 'os_hidden' filter. Valid values are 'true' or 'false'.`);
  }
  filters.osHidden = hidden === 'true';
  const prot = last('protected');
  if (prot !== undefined) {
    if (prot !== 'true' && prot !== 'false') {
      throw httpBadRequest(`Invalid value '${prot}' for 'protected' filter. Valid values are 'true' or 'false'.`);
    }
    filters.protected = prot === 'true';
  }
  for (const col of NUMERIC_FILTER_COLUMNS) {
    for (const bound of ['min', 'max'] as const) {
      const v = last(`${col}_${bound}`);
      if (v === undefined) continue;
      if (!/^\s*[-+]?\d+\s*$/.test(v)) throw httpBadRequest(`Unable to filter on a range with a non-numeric value.`);
      (filters.ranges[col] ??= {})[bound] = Number(v);
    }
  }
  for (const column of ['created_at', 'updated_at'] as const) {
    const v = last(column);
    if (v !== undefined) filters.times.push(timeFilter(column, v));
  }
  for (const [key, value] of params) {
    if (FILTER_COLUMNS.includes(key as FilterColumn)) filters.columns[key as FilterColumn] = value;
    else if (NUMERIC_FILTER_COLUMNS.includes(key as NumericFilterColumn)) {
      filters.numbers[key as NumericFilterColumn] = /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : NaN;
    } else filters.properties[key] = value;
  }
  const q: ListImagesQuery = { filters, memberStatus: memberStatus as ListImagesQuery['memberStatus'], sortKeys, sortDirs, limit };
  if (marker !== undefined) q.marker = marker;
  return q;
}

/**
 * oslo's parse_isotime (iso8601.parse_date, naive times taken as UTC) → epoch ms, or
 * undefined when `s` is not ISO 8601.
 */
function parseIsoTime(s: string): number | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '0', tz = 'Z'] = m;
  const at = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +sec, Math.floor(Number(`0.${frac}`) * 1000));
  const back = new Date(at);
  if (back.getUTCMonth() !== +mo! - 1 || back.getUTCDate() !== +d! || +h > 23 || +mi > 59 || +sec > 59) return undefined;
  if (tz === 'Z') return at;
  const [, sign, oh, om = '0'] = /^([+-])(\d{2}):?(\d{2})?$/.exec(tz)!;
  return at - (sign === '-' ? -1 : 1) * (+oh! * 60 + +om) * 60_000;
}

/**
 * A created_at / updated_at filter as glance's _make_conditions_from_filters reads it:
 * utils.split_filter_op (a bare ISO time is `eq`), the time checked before the operator.
 */
function timeFilter(column: TimeFilter['column'], expr: string): TimeFilter {
  let op = 'eq';
  let threshold = expr;
  const colon = expr.indexOf(':');
  if (colon >= 0 && parseIsoTime(expr) === undefined) {
    op = expr.slice(0, colon);
    threshold = expr.slice(colon + 1);
  }
  const at = parseIsoTime(threshold);
  if (at === undefined) throw httpBadRequest(`Bad "${column}" query filter format. Use ISO 8601 DateTime notation.`);
  if (!Object.hasOwn(TIME_FILTER_OPS, op)) throw httpBadRequest('Unable to filter on a unknown operator.');
  return { column, op: op as TimeFilter['op'], at };
}

/** Python's urllib.parse.quote_plus, so paging links read as glance writes them. */
export function quotePlus(s: string): string {
  return Array.from(Buffer.from(s, 'utf8'))
    .map((b) => {
      const c = String.fromCharCode(b);
      if (/[A-Za-z0-9_.\-~]/.test(c)) return c;
      if (c === ' ') return '+';
      return `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/** glance's `first` and `next` links: the request's params (last value of each) without, then with, the marker. */
export function pageLinks(search: URLSearchParams, nextMarker: string | undefined): { first: string; next?: string } {
  const params = new Map<string, string>();
  for (const [k, v] of search.entries()) params.set(k, v);
  params.delete('marker');
  const encode = (m: Map<string, string>) => [...m].map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join('&');
  const query = encode(params);
  const links: { first: string; next?: string } = { first: query ? `/v2/images?${query}` : '/v2/images' };
  if (nextMarker !== undefined) {
    params.set('marker', nextMarker);
    links.next = `/v2/images?${encode(params)}`;
  }
  return links;
}
