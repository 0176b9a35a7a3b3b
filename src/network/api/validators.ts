/**
 * neutron-lib's attribute validators and converters, with their exact messages.
 * A validator returns the reason text (undefined when valid); the API wraps it as
 * "Invalid input for <attr>. Reason: <reason>." A converter throws InvalidInput.
 */
import { InvalidInput } from '../errors.js';
import { validateIpAddress } from '../ipam/address.js';

export type Validator = (value: unknown) => string | undefined;
export type Converter = (value: unknown) => unknown;

const repr = (v: unknown): string => (typeof v === 'string' ? v : pyRepr(v));

/** Python's str() of a JSON value, as neutron's messages embed it. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `'${k}': ${pyRepr(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isString =
  (maxLen?: number): Validator =>
  (v) => {
    if (typeof v !== 'string') return `'${repr(v)}' is not a valid string`;
    // Python's len() counts code points, not UTF-16 units.
    if (maxLen !== undefined && v.length > maxLen && [...v].length > maxLen) return `'${v}' exceeds maximum length of ${maxLen}`;
    return undefined;
  };

export const isStringOrNone =
  (maxLen?: number): Validator =>
  (v) =>
    v === null ? undefined : isString(maxLen)(v);

export const isUuid: Validator = (v) => (typeof v === 'string' && UUID_RE.test(v) ? undefined : `'${repr(v)}' is not a valid UUID`);
export const isUuidOrNone: Validator = (v) => (v === null ? undefined : isUuid(v));

export const isBoolean: Validator = (v) => (typeof v === 'boolean' ? undefined : `'${repr(v)}' is not a valid boolean value`);

export const isValues =
  (values: readonly unknown[]): Validator =>
  (v) =>
    values.includes(v) ? undefined : `${repr(v)} is not in ${pyRepr(values)}`;

export const isRangeOrNone =
  (min: number, max: number): Validator =>
  (v) => {
    if (v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) return `'${repr(v)}' is not an integer`;
    if (v < min) return `'${v}' is too small - must be at least '${min}'`;
    if (v > max) return `'${v}' is too large - must be no larger than '${max}'`;
    return undefined;
  };

export const isDict: Validator = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : `'${repr(v)}' is not a dictionary`;
export const isDictOrNone: Validator = (v) => (v === null ? undefined : isDict(v));

export const isList: Validator = (v) => (Array.isArray(v) ? undefined : `'${repr(v)}' is not a list`);

/** neutron-lib's validate_list_of_unique_strings: a list, duplicates refused (listed once each), each item a string of at most maxLen. */
export const isListOfUniqueStrings =
  (maxLen?: number): Validator =>
  (v) => {
    if (!Array.isArray(v)) return `'${repr(v)}' is not a list`;
    const seen = new Set<string>();
    const dups: unknown[] = [];
    const dupKeys = new Set<string>();
    for (const item of v) {
      const key = JSON.stringify(item);
      if (seen.has(key)) {
        if (!dupKeys.has(key)) {
          dupKeys.add(key);
          dups.push(item);
        }
        continue;
      }
      seen.add(key);
    }
    if (dups.length) return `Duplicate items in the list: '${dups.map(repr).join(', ')}'`;
    for (const item of v) {
      const msg = isString(maxLen)(item);
      if (msg) return msg;
    }
    return undefined;
  };

/**
 * neutron-lib's _verify_dict_keys (strict): the value is a dict with exactly these keys.
 * Python prints the key sets as sets, whose order is hash-seeded; given order here.
 */
export function verifyDictKeys(expected: readonly string[], v: unknown): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return `Invalid input. '${repr(v)}' must be a dictionary with keys: ${pyRepr(expected)}`;
  const provided = Object.keys(v);
  if (provided.length === expected.length && expected.every((k) => Object.hasOwn(v, k))) return undefined;
  const set = (keys: readonly string[]) => (keys.length === 0 ? 'set()' : `{${keys.map((k) => pyRepr(k)).join(', ')}}`);
  return `Validation of dictionary's keys failed. Expected keys: ${set(expected)} Provided keys: ${set(provided)}`;
}

/** neutron-lib's validate_ip_pools: a list of {start, end} dicts of IP addresses. */
export const isIpPools: Validator = (v) => {
  if (!Array.isArray(v)) return `Invalid data format for IP pool: '${repr(v)}'`;
  for (const pool of v) {
    const bad = verifyDictKeys(['start', 'end'], pool);
    if (bad) return bad;
    for (const k of ['start', 'end']) {
      const msg = validateIpAddress((pool as Record<string, unknown>)[k]);
      if (msg) return msg;
    }
  }
  return undefined;
};

const MAC_RE = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;
export const isMac: Validator = (v) => {
  if (typeof v !== 'string' || !MAC_RE.test(v)) return `'${repr(v)}' is not a valid MAC address`;
  // neutron rejects the all-zero and broadcast addresses and multicast (bit 0 of octet 0).
  const first = parseInt(v.slice(0, 2), 16);
  if (/^(00[:-]){5}00$/.test(v) || /^(ff[:-]){5}ff$/i.test(v) || (first & 1) === 1) return `'${v}' is not a valid MAC address`;
  return undefined;
};

export const toBoolean: Converter = (v) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    if (/^(true|t|yes|y|1|on)$/i.test(v)) return true;
    if (/^(false|f|no|n|0|off)$/i.test(v)) return false;
  }
  if (v === 0 || v === 1) return v === 1;
  throw new InvalidInput(`'${repr(v)}' cannot be converted to boolean`);
};

export const toInt: Converter = (v) => {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  throw new InvalidInput(`'${repr(v)}' is not an integer`);
};
export const toIntOrNone: Converter = (v) => (v === null || v === undefined ? null : toInt(v));

/** convert_kvp_list_to_dict-free version of convert_none_to_empty_list. */
export const noneToEmptyList: Converter = (v) => (v === null ? [] : v);
export const noneToEmptyDict: Converter = (v) => (v === null ? {} : v);
export const toLowerOrNone: Converter = (v) => (typeof v === 'string' ? v.toLowerCase() : v);
