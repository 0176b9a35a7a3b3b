/**
 * The router resource of neutron-lib's l3 definition with the two extensions Nimbus
 * loads onto it: ext-gw-mode (enable_snat inside external_gateway_info) and extraroute
 * (routes). dvr, l3-ha, router availability zones and l3-flavors are not loaded, so
 * distributed, ha, availability_zone(_hint)s and flavor_id are absent, as they are
 * from a Zed whose L3 plugin leaves those extensions out.
 */
import { formatCidr, parseCidr, parseIp, pyRepr, pyStr, validateIpAddress } from '../../ipam/index.js';
import { type AttrSpec, type ResourceDef, withStandardAttrs } from '../resource.js';
import { type Validator, isString, isUuid, toBoolean } from '../validators.js';

const id: AttrSpec = { allowPost: false, allowPut: false, validate: isUuid, isFilter: true, isSortKey: true };

/** The sub-attributes of external_gateway_info (ext-gw-mode's map) in neutron-lib's order. */
export const GW_INFO_KEYS = ['network_id', 'enable_snat', 'external_fixed_ips'] as const;

/** Python's str() of a set of keys, in the order given (CPython's order is hash-dependent). */
const pySet = (keys: readonly string[]) => `{${keys.map((k) => pyRepr(k)).join(', ')}}`;

/** neutron-lib's validate_fixed_ips. */
export const isFixedIps: Validator = (v) => {
  if (!Array.isArray(v)) return `Invalid data format for fixed IP: '${pyStr(v)}'`;
  const ips: unknown[] = [];
  for (const f of v) {
    if (f === null || typeof f !== 'object' || Array.isArray(f)) return `Invalid data format for fixed IP: '${pyStr(f)}'`;
    const fip = f as Record<string, unknown>;
    if ('ip_address' in fip) {
      const msg = ips.includes(fip.ip_address) ? `Duplicate IP address '${pyStr(fip.ip_address)}'` : validateIpAddress(fip.ip_address);
      if (msg) return msg;
      ips.push(fip.ip_address);
    }
    if ('subnet_id' in fip) {
      const msg = isUuid(fip.subnet_id);
      if (msg) return msg;
    }
  }
  return undefined;
};

/**
 * type:dict_or_nodata over GW_INFO_KEYS: null or {} pass; network_id required; unknown
 * keys refused; enable_snat converted to a boolean (in place, as neutron-lib does).
 */
export const isGatewayInfo: Validator = (v) => {
  // Python's `if data:`: None, '', 0, False, [] and {} are all "no data".
  if (!v || (Array.isArray(v) && !v.length)) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) return `'${pyStr(v)}' is not a dictionary`;
  const info = v as Record<string, unknown>;
  if (!Object.keys(info).length) return undefined;
  if (!('network_id' in info)) return `Validation of dictionary's keys failed. Expected keys: ${pySet(['network_id'])} Provided keys: ${pySet(Object.keys(info))}`;
  const unexpected = Object.keys(info).filter((k) => !(GW_INFO_KEYS as readonly string[]).includes(k));
  if (unexpected.length) return `Unexpected keys supplied: ${unexpected.join(', ')}`;
  const bad = isUuid(info.network_id);
  if (bad) return bad;
  if ('enable_snat' in info) {
    // convert_to_boolean raises InvalidInput itself, as in neutron-lib.
    info.enable_snat = toBoolean(info.enable_snat);
  }
  if ('external_fixed_ips' in info) return isFixedIps(info.external_fixed_ips);
  return undefined;
};

/** neutron-lib's validate_route_cidr: a CIDR written with its network address, not loopback. */
export function validateRouteCidr(data: unknown): string | undefined {
  const invalid = `'${pyStr(data)}' is not a valid CIDR`;
  if (typeof data !== 'string' || /\s/.test(data)) return invalid;
  const withLen = data.includes('/') ? data : `${data}/${data.includes(':') ? 128 : 32}`;
  const net = parseCidr(withLen);
  const host = parseIp(withLen.split('/')[0]!);
  if (!net || !host) return invalid;
  if (!data.includes('/') || host.value !== net.first) return `'${data}' is not a recognized CIDR, '${formatCidr(net)}' is recommended`;
  const loopback = net.version === 4 ? net.first >> 24n === 127n : net.prefixlen === 128 && net.first === 1n;
  if (loopback) return `'${data}' is not a routable CIDR`;
  return undefined;
}

/** neutron-lib's validate_hostroutes (the routes attribute of extraroute). */
export const isHostRoutes: Validator = (v) => {
  if (!Array.isArray(v)) return `Invalid data format for hostroute: '${pyStr(v)}'`;
  const seen: string[] = [];
  for (const r of v) {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      return `Invalid input. '${pyStr(r)}' must be a dictionary with keys: ${pySet(['destination', 'nexthop'])}`;
    }
    const keys = Object.keys(r);
    if (keys.length !== 2 || !keys.includes('destination') || !keys.includes('nexthop')) {
      return `Validation of dictionary's keys failed. Expected keys: ${pySet(['destination', 'nexthop'])} Provided keys: ${pySet(keys)}`;
    }
    const route = r as { destination: unknown; nexthop: unknown };
    const msg = validateRouteCidr(route.destination) ?? validateIpAddress(route.nexthop) ?? undefined;
    if (msg) return msg;
    const key = `${String(route.destination)}|${String(route.nexthop)}`;
    if (seen.includes(key)) return `Duplicate hostroute '${pyStr(r)}'`;
    seen.push(key);
  }
  return undefined;
};

export const routerDef: ResourceDef = {
  resource: 'router',
  collection: 'routers',
  attrs: withStandardAttrs({
    id,
    name: { allowPost: true, allowPut: true, default: '', validate: isString(255), isFilter: true, isSortKey: true },
    admin_state_up: { allowPost: true, allowPut: true, default: true, convertTo: toBoolean, isFilter: true, isSortKey: true },
    status: { allowPost: false, allowPut: false, isSortKey: true },
    // Setting it is admin_or_owner; its enable_snat and external_fixed_ips are admin-only
    // (neutron/conf/policies/router.py).
    external_gateway_info: {
      allowPost: true,
      allowPut: true,
      default: null,
      validate: isGatewayInfo,
      subPolicy: { network_id: null, enable_snat: 'admin', external_fixed_ips: 'admin' },
    },
    routes: { allowPost: false, allowPut: true, default: undefined, convertTo: (v) => (v === null ? [] : v), validate: isHostRoutes },
  }),
};
