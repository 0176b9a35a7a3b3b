/**
 * The subnetpool resource (neutron-lib's subnetpool definition) with what Zed's ML2
 * loads onto it: standard attributes, tags, and address_scope_id (Nimbus has no address
 * scopes, so the only value it takes is null; address-scope is not advertised).
 */
import { pyStr, validateSubnet } from '../../ipam/index.js';
import { type AttrSpec, type ResourceDef, withStandardAttrs } from '../resource.js';
import { type Validator, isString, isUuid, isUuidOrNone, toBoolean, toInt } from '../validators.js';

/** neutron-lib's validate_not_empty_string. */
export const isNotEmptyString: Validator = (v) => isString()(v) ?? ((v as string).trim() ? undefined : `'${v as string}' Blank strings are not permitted`);

/** neutron-lib's validate_non_negative (after convert_to_int). */
export const isNonNegative: Validator = (v) => (typeof v !== 'number' || !Number.isInteger(v) ? `'${pyStr(v)}' is not an integer` : v < 0 ? `'${v}' should be non-negative` : undefined);

/** neutron-lib's validate_subnet_list: a list, no duplicates, each item a valid subnet. */
export const isSubnetList: Validator = (v) => {
  if (!Array.isArray(v)) return `'${pyStr(v)}' is not a list`;
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const item of v) {
    const key = JSON.stringify(item);
    if (seen.has(key) && !dups.includes(pyStr(item))) dups.push(pyStr(item));
    seen.add(key);
  }
  if (dups.length) return `Duplicate items in the list: '${dups.join(', ')}'`;
  for (const item of v) {
    const msg = validateSubnet(item);
    if (msg) return msg;
  }
  return undefined;
};

/** neutron-lib's validate_subnetpool_id_or_none: a UUID, 'prefix_delegation' or null. */
export const isSubnetpoolIdOrNone: Validator = (v) => (v === null || v === 'prefix_delegation' ? undefined : isUuidOrNone(v));

const prefixlen: AttrSpec = { allowPost: true, allowPut: true, default: undefined, convertTo: toInt, validate: isNonNegative, isFilter: true, isSortKey: true };

export const subnetpoolDef: ResourceDef = {
  resource: 'subnetpool',
  collection: 'subnetpools',
  attrs: withStandardAttrs({
    id: { allowPost: false, allowPut: false, validate: isUuid, isFilter: true, isSortKey: true },
    name: { allowPost: true, allowPut: true, validate: isNotEmptyString, isFilter: true, isSortKey: true },
    prefixes: { allowPost: true, allowPut: true, validate: isSubnetList },
    default_quota: { ...prefixlen },
    ip_version: { allowPost: false, allowPut: false, isFilter: true, isSortKey: true },
    default_prefixlen: prefixlen,
    min_prefixlen: prefixlen,
    max_prefixlen: prefixlen,
    is_default: { allowPost: true, allowPut: true, default: false, convertTo: toBoolean, isFilter: true, isSortKey: true, setPolicy: 'admin' },
    shared: { allowPost: true, allowPut: false, default: false, convertTo: toBoolean, isFilter: true, isSortKey: true, setPolicy: 'admin' },
    address_scope_id: { allowPost: true, allowPut: true, default: undefined, validate: isUuidOrNone, isFilter: true, isSortKey: true },
  }),
};
