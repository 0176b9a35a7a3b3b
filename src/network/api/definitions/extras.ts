/** Attribute maps of the security-group, floating-IP and agent resources. */
import { type AttrSpec, type ResourceDef, withStandardAttrs } from '../resource.js';
import {
  InvalidCIDR,
  SecurityGroupDefaultAlreadyExists,
  SecurityGroupInvalidPortValue,
  SecurityGroupRuleInvalidEtherType,
  SecurityGroupRuleInvalidProtocol,
} from '../../errors.js';
import { parseIpNetwork } from '../../ipam/index.js';
import { type Converter, type Validator, isBoolean, isString, isStringOrNone, isUuid, isUuidOrNone, isValues, pyRepr, toBoolean } from '../validators.js';

const id: AttrSpec = { allowPost: false, allowPut: false, validate: isUuid, isFilter: true, isSortKey: true };
const name: AttrSpec = { allowPost: true, allowPut: true, default: '', validate: isString(255), isFilter: true, isSortKey: true };

/** sg_supported_protocols: None and neutron-lib's IP_PROTOCOL_MAP keys, in its order. */
export const SG_SUPPORTED_PROTOCOLS = ['ah', 'dccp', 'egp', 'esp', 'gre', 'hopopt', 'icmp', 'igmp', 'ip', 'ipip', 'ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', 'ospf', 'pgm', 'rsvp', 'sctp', 'tcp', 'udp', 'udplite', 'vrrp'] as const;
const PY_INT = /^\s*[+-]?\d+\s*$/;
const pyStr = (v: unknown) => (typeof v === 'string' ? v : pyRepr(v));

/** securitygroup.convert_protocol: a name (lower-cased) or a number 0-255 as a string. */
const convertProtocol: Converter = (v) => {
  if (v === null) return null;
  const invalid = () => new SecurityGroupRuleInvalidProtocol(pyStr(v), pyRepr([null, ...SG_SUPPORTED_PROTOCOLS]));
  if ((typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && PY_INT.test(v))) {
    const n = Math.trunc(Number(v));
    if (n >= 0 && n <= 255) return String(v);
    throw invalid();
  }
  if (typeof v === 'string' && (SG_SUPPORTED_PROTOCOLS as readonly string[]).includes(v.toLowerCase())) return v.toLowerCase();
  throw invalid();
};

/** securitygroup.convert_validate_port_value: an int 0-65535 (netutils.is_valid_port) or None. */
const convertPort: Converter = (v) => {
  if (v === null) return null;
  if ((typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && PY_INT.test(v)) || typeof v === 'boolean') {
    const n = Math.trunc(Number(v));
    if (n >= 0 && n <= 65535) return n;
  }
  throw new SecurityGroupInvalidPortValue(pyStr(v));
};

/** securitygroup.convert_ethertype_to_case_insensitive. */
const convertEthertype: Converter = (v) => {
  const found = typeof v === 'string' ? ['IPv4', 'IPv6'].find((e) => e.toLowerCase() === v.toLowerCase()) : undefined;
  if (!found) throw new SecurityGroupRuleInvalidEtherType(pyStr(v));
  return found;
};

/** securitygroup.convert_ip_prefix_to_cidr: str(netaddr.IPNetwork(v)), host bits kept; falsy is None. */
const convertIpPrefix: Converter = (v) => {
  if (v === null || v === '' || v === 0 || v === false) return null;
  const net = typeof v === 'string' ? parseIpNetwork(v) : null;
  if (!net) throw new InvalidCIDR(pyStr(v));
  return net.text;
};

/** securitygroup's type:name_not_default: no group may be named (or renamed) 'default'. */
const nameNotDefault: Validator = (v) => {
  const bad = isString(255)(v);
  if (bad) return bad;
  if ((v as string).toLowerCase() === 'default') throw new SecurityGroupDefaultAlreadyExists();
  return undefined;
};

export const securityGroupDef: ResourceDef = {
  resource: 'security_group',
  collection: 'security_groups',
  attrs: withStandardAttrs({
    id,
    name: { ...name, validate: nameNotDefault },
    stateful: { allowPost: true, allowPut: true, default: true, convertTo: toBoolean, validate: isBoolean, isFilter: true },
    security_group_rules: { allowPost: false, allowPut: false },
    shared: { allowPost: false, allowPut: false, isFilter: true },
  }),
};

export const securityGroupRuleDef: ResourceDef = {
  resource: 'security_group_rule',
  collection: 'security_group_rules',
  allowBulk: true,
  attrs: withStandardAttrs(
    {
      id,
      // Not uuid-validated (type:string of 36): a malformed id is a group that does not exist.
      security_group_id: { allowPost: true, allowPut: false, validate: isString(36), isFilter: true, isSortKey: true },
      remote_group_id: { allowPost: true, allowPut: false, default: null, isFilter: true, isSortKey: true },
      direction: { allowPost: true, allowPut: false, validate: isValues(['ingress', 'egress']), isFilter: true, isSortKey: true },
      protocol: { allowPost: true, allowPut: false, default: null, convertTo: convertProtocol, isFilter: true, isSortKey: true },
      port_range_min: { allowPost: true, allowPut: false, default: null, convertTo: convertPort, isFilter: true, isSortKey: true },
      port_range_max: { allowPost: true, allowPut: false, default: null, convertTo: convertPort, isFilter: true, isSortKey: true },
      ethertype: { allowPost: true, allowPut: false, default: 'IPv4', convertTo: convertEthertype, validate: isValues(['IPv4', 'IPv6']), isFilter: true, isSortKey: true },
      remote_ip_prefix: { allowPost: true, allowPut: false, default: null, convertTo: convertIpPrefix, isFilter: true, isSortKey: true },
      remote_address_group_id: { allowPost: true, allowPut: false, default: null, validate: isUuidOrNone, isFilter: true },
      normalized_cidr: { allowPost: false, allowPut: false },
      standard_attr_id: { allowPost: false, allowPut: false, isVisible: false },
    },
    { tags: false },
  ),
};
securityGroupRuleDef.attrs.description!.allowPut = false;

export const floatingIpDef: ResourceDef = {
  resource: 'floatingip',
  collection: 'floatingips',
  attrs: withStandardAttrs({
    id,
    floating_ip_address: { allowPost: true, allowPut: false, default: undefined, isFilter: true, isSortKey: true },
    subnet_id: { allowPost: true, allowPut: false, default: undefined, validate: isUuidOrNone, isVisible: false },
    floating_network_id: { allowPost: true, allowPut: false, validate: isUuid, isFilter: true, isSortKey: true },
    router_id: { allowPost: false, allowPut: false, isFilter: true, isSortKey: true },
    port_id: { allowPost: true, allowPut: true, default: null, validate: isUuidOrNone, isFilter: true, isSortKey: true },
    fixed_ip_address: { allowPost: true, allowPut: true, default: undefined, validate: isStringOrNone(64), isFilter: true, isSortKey: true },
    status: { allowPost: false, allowPut: false, isFilter: true, isSortKey: true },
    port_details: { allowPost: false, allowPut: false },
    qos_policy_id: { allowPost: false, allowPut: false },
  }),
};

export const agentDef: ResourceDef = {
  resource: 'agent',
  collection: 'agents',
  attrs: {
    id,
    agent_type: { allowPost: false, allowPut: false, isFilter: true, isSortKey: true },
    binary: { allowPost: false, allowPut: false, isFilter: true, isSortKey: true },
    topic: { allowPost: false, allowPut: false, isFilter: true, isSortKey: true },
    host: { allowPost: false, allowPut: false, isFilter: true, isSortKey: true },
    admin_state_up: { allowPost: false, allowPut: true, convertTo: toBoolean, isFilter: true, isSortKey: true },
    created_at: { allowPost: false, allowPut: false, isFilter: true },
    started_at: { allowPost: false, allowPut: false, isFilter: true },
    heartbeat_timestamp: { allowPost: false, allowPut: false, isFilter: true },
    alive: { allowPost: false, allowPut: false, convertTo: toBoolean, isFilter: true },
    configurations: { allowPost: false, allowPut: false },
    description: { allowPost: false, allowPut: true, validate: isStringOrNone(255), isFilter: true },
    availability_zone: { allowPost: false, allowPut: false, isFilter: true },
    resources_synced: { allowPost: false, allowPut: false, isFilter: true },
    resource_versions: { allowPost: false, allowPut: false },
  },
};
