/** Attribute maps of the security-group, floating-IP and agent resources. */
import { type AttrSpec, type ResourceDef, withStandardAttrs } from '../resource.js';
import { isBoolean, isString, isStringOrNone, isUuid, isUuidOrNone, isValues, toBoolean, toIntOrNone } from '../validators.js';

const id: AttrSpec = { allowPost: false, allowPut: false, validate: isUuid, isFilter: true, isSortKey: true };
const name: AttrSpec = { allowPost: true, allowPut: true, default: '', validate: isString(255), isFilter: true, isSortKey: true };

export const securityGroupDef: ResourceDef = {
  resource: 'security_group',
  collection: 'security_groups',
  attrs: withStandardAttrs({
    id,
    name,
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
      security_group_id: { allowPost: true, allowPut: false, validate: isUuid, isFilter: true, isSortKey: true },
      remote_group_id: { allowPost: true, allowPut: false, default: null, validate: isUuidOrNone, isFilter: true, isSortKey: true },
      remote_address_group_id: { allowPost: true, allowPut: false, default: null, validate: isUuidOrNone, isFilter: true },
      direction: { allowPost: true, allowPut: false, validate: isValues(['ingress', 'egress']), isFilter: true, isSortKey: true },
      protocol: { allowPost: true, allowPut: false, default: null, isFilter: true, isSortKey: true },
      port_range_min: { allowPost: true, allowPut: false, default: null, convertTo: toIntOrNone, isFilter: true, isSortKey: true },
      port_range_max: { allowPost: true, allowPut: false, default: null, convertTo: toIntOrNone, isFilter: true, isSortKey: true },
      ethertype: { allowPost: true, allowPut: false, default: 'IPv4', validate: isValues(['IPv4', 'IPv6']), isFilter: true, isSortKey: true },
      remote_ip_prefix: { allowPost: true, allowPut: false, default: null, isFilter: true, isSortKey: true },
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
