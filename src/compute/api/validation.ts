/**
 * nova's request validation (nova/api/validation): JSON Schema draft 4 as
 * python-jsonschema 4.10 evaluates it, with nova's extensions — `minimum`/`maximum`
 * applied to numeric strings, the `name` format raising InvalidName — and nova's
 * wording of the first error found: "Invalid input for field/attribute ram. Value: -1.
 * -1 is less than the minimum of 1" for bodies, "Invalid input for query parameters
 * limit. Value: x. ..." for query strings, the bare message when the error sits at the
 * top. Schemas are plain data in nova's own key order, because that order decides which
 * error is reported first (jsonschema walks a schema's keywords in insertion order).
 * Values in messages are printed as Python would (`repr`/`str`), since that is what
 * the real clients show.
 */
import { ValidationError } from '../errors.js';
import { isIPv4Address, isIPv6Address, parseIsotime } from './ip-time.js';

/** A JSON Schema (draft 4) as plain data, keywords in nova's order. */
export type JsonSchema = { readonly [keyword: string]: unknown };

interface SchemaError {
  message: string;
  /** Property names / item indexes from the validated root to the failing instance. */
  path: (string | number)[];
  instance: unknown;
  /** The text of an InvalidName raised by a format checker, which nova shows alone. */
  nameReason?: string;
}

// ---------------------------------------------------------------- Python printing

/** Python's str.isprintable for one code point. */
function pyPrintable(cp: number): boolean {
  if (cp === 0x20) return true;
  const c = String.fromCodePoint(cp);
  return !/[\p{C}\p{Z}]/u.test(c);
}

function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (pyPrintable(cp)) out += ch;
    else if (cp < 0x100) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

function pyNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return String(n);
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf';
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    // Python: shortest digits, exponent with a sign and at least two digits.
    const [mant, exp] = n.toExponential().split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    return `${mant}e${sign}${exp.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  return String(n);
}

/** Python's repr() of a JSON value (dicts in insertion order, True/False/None). */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'string') return pyStrRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}

/** Python's str(): a string as is, anything else as repr(). */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

// ---------------------------------------------------------------- Python regexes

const regexCache = new Map<string, RegExp>();

/**
 * A Python `re` pattern as a JS RegExp with re.search semantics: `$` also matches
 * before a final newline, `(?P<name>` groups become `(?<name>`. No `u` flag, so the
 * identity escapes re.escape produces (`\ `, `\~`) stay legal.
 */
export function pyRegex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (re) return re;
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
    } else if (c === '$') {
      out += '(?=\\n?$)';
    } else if (c === '(' && pattern.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
    } else {
      out += c;
    }
  }
  re = new RegExp(out);
  regexCache.set(pattern, re);
  return re;
}

// ------------------------------------------------- nova's printable-character ranges

/** nova's _is_printable: not "other", and no separator but the space separators. */
function novaPrintable(cp: number): boolean {
  const c = String.fromCharCode(cp);
  if (/\p{C}/u.test(c)) return false;
  return !/\p{Z}/u.test(c) || /\p{Zs}/u.test(c);
}

const RE_ESCAPED = new Set('()[]{}?*+-|^$\\.&~# \t\n\r\v\f');
const reEscape = (cp: number) => {
  const c = String.fromCharCode(cp);
  return RE_ESCAPED.has(c) ? `\\${c}` : c;
};

/** nova's _build_regex_range over U+0000..U+FFFE, escaped as Python's re.escape does. */
function buildRegexRange(opts: { ws?: boolean; invert?: boolean; exclude?: string[] } = {}): string {
  const ws = opts.ws ?? true;
  const valid = (cp: number) => {
    let r: boolean;
    if (opts.exclude?.includes(String.fromCharCode(cp))) r = false;
    else if (ws) r = novaPrintable(cp);
    else r = novaPrintable(cp) && !/\p{Zs}/u.test(String.fromCharCode(cp));
    return opts.invert ? !r : r;
  };
  let regex = '';
  let inRange = false;
  let last = -1;
  let lastAdded = -1;
  let c = 0;
  for (; c < 0xffff; c++) {
    if (valid(c)) {
      if (!inRange) {
        regex += reEscape(c);
        lastAdded = c;
      }
      inRange = true;
    } else {
      if (inRange && last !== lastAdded) regex += `-${reEscape(last)}`;
      inRange = false;
    }
    last = c;
  }
  if (inRange) regex += `-${reEscape(c - 1)}`;
  return regex;
}

let printableRanges: { all: string; notWs: string; nameRegex: RegExp } | null = null;
function ranges() {
  if (!printableRanges) {
    const all = buildRegexRange();
    const notWs = buildRegexRange({ ws: false, invert: true });
    printableRanges = { all, notWs, nameRegex: pyRegex(`^(?![${notWs}])[${all}]*(?<![${notWs}])$`) };
  }
  return printableRanges;
}

/** parameter_types.valid_description_regex: printable characters only. */
export function descriptionPattern(): string {
  return `^[${ranges().all}]*$`;
}

// ---------------------------------------------------------------- format checkers

const NAME_REASON = 'printable characters. Can not start or end with whitespace.';
const UUID_LIKE = /^[0-9a-f]{32}$/;

/** oslo's uuidutils.is_uuid_like: any case, with or without dashes or braces around. */
export function isUuidLike(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const s = v.split('urn:').join('').split('uuid:').join('').replace(/^[{}]+|[{}]+$/g, '').replace(/-/g, '').toLowerCase();
  return UUID_LIKE.test(s);
}

/**
 * Would Python's base64.b64decode (not strict) accept this text? It skips characters
 * outside the alphabet, then wants the data padded to a multiple of 4 characters.
 */
export function isPyBase64(s: string): boolean {
  const kept = s.replace(/[^A-Za-z0-9+/=]/g, '');
  const pad = kept.indexOf('=');
  const data = pad < 0 ? kept : kept.slice(0, pad);
  const rem = data.length % 4;
  if (rem === 0) return true;
  if (rem === 1) return false;
  // binascii stops at the padding it needs; more '=' after that is ignored.
  return pad >= 0 && kept.slice(pad).startsWith('='.repeat(4 - rem));
}

type FormatResult = true | false | { nameReason: string };

/** validators._validate_keypair_name: only the safe characters (2.92 adds '@' and '.'). */
function keypairName(v: unknown, extra: string): FormatResult {
  const safe = `${extra}0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ`;
  if (typeof v !== 'string' || [...v].every((c) => safe.includes(c))) return true;
  return { nameReason: `An invalid 'name' value was provided. The name must be: Only expected characters: [${safe}]` };
}
const FORMATS: Record<string, (v: unknown) => FormatResult> = {
  name: (v) => (typeof v === 'string' && ranges().nameRegex.test(v) ? true : { nameReason: `An invalid 'name' value was provided. The name must be: ${NAME_REASON}` }),
  uuid: (v) => isUuidLike(v),
  // jsonschema's draft-4 checkers (ipaddress.IPv4Address / IPv6Address without a scope) and
  // nova's own date-time (oslo's parse_isotime); non-strings pass, as in jsonschema.
  ipv4: (v) => typeof v !== 'string' || isIPv4Address(v),
  ipv6: (v) => typeof v !== 'string' || isIPv6Address(v),
  'date-time': (v) => typeof v !== 'string' || parseIsotime(v) !== null,
  keypair_name_20: (v) => keypairName(v, '_- '),
  keypair_name_292: (v) => keypairName(v, '@._- '),
  base64: (v) => typeof v === 'string' && isPyBase64(v),
  regex: (v) => {
    if (typeof v !== 'string' || v === '') return false;
    try {
      pyRegex(v);
      return true;
    } catch {
      return false;
    }
  },
};

// ---------------------------------------------------------------- the validator

function isType(v: unknown, t: string): boolean {
  switch (t) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    default:
      return false;
  }
}

/**
 * nova's _number_from_str: int(x), else float(x), else no check. int() of a float
 * truncates — so nova compares 0.5 as 0 — and the message shows the converted value,
 * an int in full digits or a float in Python's repr.
 */
function numberFromStr(v: unknown): { n: number; repr: string } | null {
  if (typeof v === 'boolean') return { n: Number(v), repr: String(Number(v)) };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    const t = Math.trunc(v);
    return { n: t, repr: BigInt(t).toString() };
  }
  if (typeof v !== 'string') return null;
  const i = pyInt(v);
  if (i !== null) return { n: i, repr: BigInt(v.trim().replace(/_/g, '')).toString() };
  const s = v.trim().replace(/_/g, '');
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) {
    const f = Number.parseFloat(s);
    return { n: f, repr: pyRepr(f) };
  }
  if (/^[+-]?(inf|infinity|nan)$/i.test(s)) {
    const f = /nan/i.test(s) ? Number.NaN : s.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    return { n: f, repr: pyRepr(f) };
  }
  return null;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'boolean' || typeof b === 'boolean') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isType(a, 'object') && isType(b, 'object')) {
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    return ka.length === kb.length && ka.every((k) => k in (b as object) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

function* descend(instance: unknown, schema: JsonSchema, at?: string | number): Generator<SchemaError> {
  for (const e of iterErrors(instance, schema)) {
    if (at !== undefined) e.path.unshift(at);
    yield e;
  }
}

function err(message: string, instance: unknown, extra: Partial<SchemaError> = {}): SchemaError {
  return { message, path: [], instance, ...extra };
}

function* iterErrors(instance: unknown, schema: JsonSchema): Generator<SchemaError> {
  for (const [kw, value] of Object.entries(schema)) {
    switch (kw) {
      case 'type': {
        const types = Array.isArray(value) ? (value as string[]) : [value as string];
        if (!types.some((t) => isType(instance, t))) yield err(`${pyRepr(instance)} is not of type ${types.map(pyRepr).join(', ')}`, instance);
        break;
      }
      case 'properties': {
        if (!isType(instance, 'object')) break;
        const obj = instance as Record<string, unknown>;
        for (const [prop, sub] of Object.entries(value as Record<string, JsonSchema>)) {
          if (Object.hasOwn(obj, prop)) yield* descend(obj[prop], sub, prop);
        }
        break;
      }
      case 'patternProperties': {
        if (!isType(instance, 'object')) break;
        const obj = instance as Record<string, unknown>;
        for (const [pattern, sub] of Object.entries(value as Record<string, JsonSchema>)) {
          for (const [k, v] of Object.entries(obj)) if (pyRegex(pattern).test(k)) yield* descend(v, sub, k);
        }
        break;
      }
      case 'additionalProperties': {
        if (!isType(instance, 'object')) break;
        const obj = instance as Record<string, unknown>;
        const props = (schema.properties ?? {}) as Record<string, unknown>;
        const patterns = Object.keys((schema.patternProperties ?? {}) as object);
        const extras = Object.keys(obj).filter((k) => !Object.hasOwn(props, k) && !(patterns.length && pyRegex(patterns.join('|')).test(k)));
        if (isType(value, 'object')) {
          for (const k of extras) yield* descend(obj[k], value as JsonSchema, k);
        } else if (value === false && extras.length) {
          const sorted = [...extras].sort();
          if (patterns.length) {
            yield err(`${sorted.map(pyRepr).join(', ')} ${sorted.length === 1 ? 'does' : 'do'} not match any of the regexes: ${[...patterns].sort().map(pyRepr).join(', ')}`, instance);
          } else {
            yield err(`Additional properties are not allowed (${sorted.map(pyRepr).join(', ')} ${sorted.length === 1 ? 'was' : 'were'} unexpected)`, instance);
          }
        }
        break;
      }
      case 'required':
        if (!isType(instance, 'object')) break;
        for (const p of value as string[]) if (!Object.hasOwn(instance as object, p)) yield err(`${pyRepr(p)} is a required property`, instance);
        break;
      case 'minProperties':
        if (isType(instance, 'object') && Object.keys(instance as object).length < (value as number)) yield err(`${pyRepr(instance)} does not have enough properties`, instance);
        break;
      case 'maxProperties':
        if (isType(instance, 'object') && Object.keys(instance as object).length > (value as number)) yield err(`${pyRepr(instance)} has too many properties`, instance);
        break;
      case 'items': {
        if (!Array.isArray(instance)) break;
        if (isType(value, 'object')) {
          for (let i = 0; i < instance.length; i++) yield* descend(instance[i], value as JsonSchema, i);
        } else {
          const subs = value as JsonSchema[];
          for (let i = 0; i < Math.min(instance.length, subs.length); i++) yield* descend(instance[i], subs[i]!, i);
        }
        break;
      }
      case 'minItems':
        if (Array.isArray(instance) && instance.length < (value as number)) yield err(`${pyRepr(instance)} is too short`, instance);
        break;
      case 'maxItems':
        if (Array.isArray(instance) && instance.length > (value as number)) yield err(`${pyRepr(instance)} is too long`, instance);
        break;
      case 'uniqueItems':
        if (value && Array.isArray(instance) && instance.some((x, i) => instance.findIndex((y) => jsonEqual(x, y)) !== i)) yield err(`${pyRepr(instance)} has non-unique elements`, instance);
        break;
      case 'minLength':
        if (typeof instance === 'string' && [...instance].length < (value as number)) yield err(`${pyRepr(instance)} is too short`, instance);
        break;
      case 'maxLength':
        if (typeof instance === 'string' && [...instance].length > (value as number)) yield err(`${pyRepr(instance)} is too long`, instance);
        break;
      case 'pattern':
        if (typeof instance === 'string' && !pyRegex(value as string).test(instance)) yield err(`${pyRepr(instance)} does not match ${pyRepr(value)}`, instance);
        break;
      case 'minimum':
      case 'maximum': {
        // nova checks numeric strings too (and, as Python's int(), booleans as 0/1).
        const conv = numberFromStr(instance);
        if (conv === null) break;
        const n = conv.n;
        const min = kw === 'minimum';
        const exclusive = Boolean(schema[min ? 'exclusiveMinimum' : 'exclusiveMaximum']);
        const bound = value as number;
        const failed = min ? (exclusive ? n <= bound : n < bound) : exclusive ? n >= bound : n > bound;
        const cmp = min ? (exclusive ? 'less than or equal to' : 'less than') : exclusive ? 'greater than or equal to' : 'greater than';
        if (failed) yield err(`${conv.repr} is ${cmp} the ${min ? 'minimum' : 'maximum'} of ${pyRepr(bound)}`, instance);
        break;
      }
      case 'enum': {
        const enums = value as unknown[];
        if (!enums.some((e) => jsonEqual(instance, e))) yield err(`${pyRepr(instance)} is not one of ${pyRepr(enums)}`, instance);
        break;
      }
      case 'format': {
        const check = FORMATS[value as string];
        if (!check) break;
        const r = check(instance);
        if (r === true) break;
        yield err(`${pyRepr(instance)} is not a ${pyRepr(value)}`, instance, typeof r === 'object' ? { nameReason: r.nameReason } : {});
        break;
      }
      case 'allOf':
        for (const sub of value as JsonSchema[]) yield* descend(instance, sub);
        break;
      case 'anyOf':
      case 'oneOf': {
        const subs = value as JsonSchema[];
        const valid = subs.filter((s) => iterErrors(instance, s).next().done);
        if (valid.length === 0) yield err(`${pyRepr(instance)} is not valid under any of the given schemas`, instance);
        else if (kw === 'oneOf' && valid.length > 1) {
          const [first, ...more] = valid;
          yield err(`${pyRepr(instance)} is valid under each of ${[...more, first].map(pyRepr).join(', ')}`, instance);
        }
        break;
      }
      case 'not':
        if (iterErrors(instance, value as JsonSchema).next().done) yield err(`${pyRepr(instance)} should not be valid under ${pyRepr(value)}`, instance);
        break;
      default:
        break;
    }
  }
}

function detail(e: SchemaError, isBody: boolean): string {
  if (e.nameReason) return e.nameReason;
  if (e.path.length === 0) return e.message;
  if (isBody) return `Invalid input for field/attribute ${e.path[e.path.length - 1]}. Value: ${pyStr(e.instance)}. ${e.message}`;
  return `Invalid input for query parameters ${e.path[0]}. Value: ${pyStr(e.instance)}. ${e.message}`;
}

/** Validates a request body (nova's @validation.schema); throws nova's 400 ValidationError. */
export function validateBody(schema: JsonSchema, body: unknown): void {
  const first = iterErrors(body ?? null, schema).next();
  if (!first.done) throw new ValidationError(detail(first.value, true));
}

/**
 * Validates a query string as webob's dict_of_lists (nova's @validation.query_schema).
 * Returns the parameters the schema knows, as nova strips the others when
 * additionalProperties is true.
 */
export function validateQuery(schema: JsonSchema, query: Record<string, string[]>): Record<string, string[]> {
  const first = iterErrors(query, schema).next();
  if (!first.done) throw new ValidationError(detail(first.value, false));
  const props = (schema.properties ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(query).filter(([k]) => Object.hasOwn(props, k)));
}

/** Fastify's parsed query as webob's dict_of_lists: every value a list of strings. */
export function queryLists(query: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    out[k] = Array.isArray(v) ? v.map(String) : [String(v ?? '')];
  }
  return out;
}

/** webob's req.GET[key]: the last value given, or undefined. */
export function lastParam(q: Record<string, string[]>, key: string): string | undefined {
  const v = q[key];
  return v && v.length ? v[v.length - 1] : undefined;
}

// ---------------------------------------------------------------- oslo helpers

const TRUE_STRINGS = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE_STRINGS = ['0', 'f', 'false', 'off', 'n', 'no'];

/** oslo_utils.strutils.bool_from_string; with strict, an unknown value throws Error with oslo's text. */
export function boolFromString(subject: unknown, strict = false, dflt = false): boolean {
  if (typeof subject === 'boolean') return subject;
  const s = pyStr(subject);
  const lowered = s.trim().toLowerCase();
  if (TRUE_STRINGS.includes(lowered)) return true;
  if (FALSE_STRINGS.includes(lowered)) return false;
  if (strict) {
    const acceptable = [...TRUE_STRINGS, ...FALSE_STRINGS]
      .sort()
      .map((x) => `'${x}'`)
      .join(', ');
    throw new Error(`Unrecognized value '${s}', acceptable values are: ${acceptable}`);
  }
  return dflt;
}

/** Python's int() of a string: surrounding blanks, a sign and digit-group underscores allowed; null when it would raise. */
export function pyInt(s: string): number | null {
  return /^\s*[+-]?\d+(_\d+)*\s*$/.test(s) ? Number(s.trim().replace(/_/g, '')) : null;
}

/** oslo's strutils.validate_integer; throws Error with oslo's text (nova wraps it in InvalidInput). */
export function validateInteger(value: unknown, name: string, min?: number, max?: number): number {
  const n = pyInt(pyStr(value));
  if (n === null) throw new Error(`${name} must be an integer`);
  if (min !== undefined && n < min) throw new Error(`${name} must be >= ${min}`);
  if (max !== undefined && n > max) throw new Error(`${name} must be <= ${max}`);
  return n;
}

// ---------------------------------------------------------------- parameter types

/** nova/api/validation/parameter_types.py, the ones the resources here use. */
export const P = {
  multiParams: (items: JsonSchema): JsonSchema => ({ type: 'array', items }),
  singleParam: (items: JsonSchema): JsonSchema => ({ type: 'array', items, maxItems: 1 }),
  name: { type: 'string', minLength: 1, maxLength: 255, format: 'name' } as JsonSchema,
  boolean: {
    type: ['boolean', 'string'],
    enum: [true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no'],
  } as JsonSchema,
  positiveInteger: { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 1, minLength: 1 } as JsonSchema,
  nonNegativeInteger: { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 0, minLength: 1 } as JsonSchema,
  fqdn: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' } as JsonSchema,
  /** volume_size, of which flavor_param_positive is a copy. */
  flavorParamPositive: { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1, maximum: 0x7fffffff } as JsonSchema,
  flavorParamNonNegative: { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 0, maximum: 0x7fffffff } as JsonSchema,
  /** parameter_types.metadata: keys of 1-255 safe characters, string values up to 255. */
  metadata(valueType: string | string[] = 'string'): JsonSchema {
    return { type: 'object', patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: valueType, maxLength: 255 } }, additionalProperties: false };
  },
} as const;

/** The common query parameter: any number of strings. */
export const COMMON_QUERY_PARAM: JsonSchema = P.multiParams({ type: 'string' });
