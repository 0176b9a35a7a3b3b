/**
 * Attribute maps of the core resources (network, subnet, port) with the extensions a
 * Zed ML2/OVS deployment loads onto them: provider, external-net, port-security, mtu,
 * availability zones, binding, allowed-address-pairs, extra-dhcp-opt, security groups,
 * standard attributes. Key sets match what real Zed returns (see the reference transcripts).
 */
import { type AttrSpec, type ResourceDef, withStandardAttrs } from '../resource.js';
import {
  isBoolean,
  isDict,
  isIpPools,
  isList,
  isListOfUniqueStrings,
  isMac,
  isString,
  isStringOrNone,
  isUuid,
  isValues,
  noneToEmptyDict,
  noneToEmptyList,
  toBoolean,
  toInt,
  toIntOrNone,
} from '../validators.js';
import { isNonNegative, isSubnetpoolIdOrNone } from './subnetpools.js';

/** portbindings.VNIC_TYPES: the vnic_type values a port (or a binding-extended binding) accepts. */
export const VNIC_TYPES = ['normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'remote-managed', 'vdpa', 'accelerator-direct', 'accelerator-direct-physical'];

const name: AttrSpec = { allowPost: true, allowPut: true, default: '', validate: isString(255), isFilter: true, isSortKey: true };
const id: AttrSpec = { allowPost: false, allowPut: false, validate: isUuid, isFilter: true, isSortKey: true };
const bool = (def: unknown, extra: Partial<AttrSpec> = {}): AttrSpec => ({
  allowPost: true,
  allowPut: true,
  default: def,
  convertTo: toBoolean,
  validate: isBoolean,
  isFilter: true,
  isSortKey: true,
  ...extra,
});
const readOnly = (extra: Partial<AttrSpec> = {}): AttrSpec => ({ allowPost: false, allowPut: false, ...extra });

export const networkDef: ResourceDef = {
  resource: 'network',
  collection: 'networks',
  allowBulk: true,
  attrs: withStandardAttrs({
    id,
    name,
    subnets: readOnly({ default: [] }),
    admin_state_up: bool(true),
    status: readOnly({ isFilter: true, isSortKey: true }),
    shared: bool(false, { setPolicy: 'admin' }),
    mtu: { allowPost: true, allowPut: true, default: undefined, convertTo: (v) => (v === undefined ? v : toInt(v)), isFilter: true, isSortKey: true },
    port_security_enabled: bool(true, { isSortKey: false }),
    'router:external': bool(false, { setPolicy: 'admin' }),
    'provider:network_type': { allowPost: true, allowPut: true, default: undefined, validate: isStringOrNone(255), isFilter: true, setPolicy: 'admin', readAdminOnly: true },
    'provider:physical_network': { allowPost: true, allowPut: true, default: undefined, validate: isStringOrNone(64), isFilter: true, setPolicy: 'admin', readAdminOnly: true },
    'provider:segmentation_id': { allowPost: true, allowPut: true, default: undefined, convertTo: (v) => (v === undefined ? v : toIntOrNone(v)), isFilter: true, setPolicy: 'admin', readAdminOnly: true },
    availability_zone_hints: { allowPost: true, allowPut: false, default: [], validate: isList },
    availability_zones: readOnly(),
    ipv4_address_scope: readOnly(),
    ipv6_address_scope: readOnly(),
  }),
};

export const subnetDef: ResourceDef = {
  resource: 'subnet',
  collection: 'subnets',
  allowBulk: true,
  attrs: withStandardAttrs({
    id,
    name,
    network_id: { allowPost: true, allowPut: false, validate: isUuid, isFilter: true, isSortKey: true },
    ip_version: { allowPost: true, allowPut: false, convertTo: toInt, validate: isValues([4, 6]), isFilter: true, isSortKey: true },
    subnetpool_id: { allowPost: true, allowPut: false, default: null, validate: isSubnetpoolIdOrNone, isFilter: true, isSortKey: true },
    prefixlen: { allowPost: true, allowPut: false, default: undefined, convertTo: toInt, validate: isNonNegative, isVisible: false },
    cidr: { allowPost: true, allowPut: false, default: undefined, isFilter: true, isSortKey: true },
    gateway_ip: { allowPost: true, allowPut: true, default: undefined, isFilter: true, isSortKey: true },
    allocation_pools: { allowPost: true, allowPut: true, default: undefined, validate: isIpPools },
    dns_nameservers: { allowPost: true, allowPut: true, default: [], convertTo: noneToEmptyList, validate: isList },
    host_routes: { allowPost: true, allowPut: true, default: [], convertTo: noneToEmptyList, validate: isList },
    enable_dhcp: bool(true),
    ipv6_ra_mode: { allowPost: true, allowPut: false, default: null, validate: (v) => (v === null ? undefined : isValues(['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'])(v)), isFilter: true, isSortKey: true },
    ipv6_address_mode: { allowPost: true, allowPut: false, default: null, validate: (v) => (v === null ? undefined : isValues(['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'])(v)), isFilter: true, isSortKey: true },
    service_types: { allowPost: true, allowPut: true, default: [], validate: isList },
    use_default_subnetpool: { allowPost: true, allowPut: false, default: false, convertTo: toBoolean, isVisible: false },
    segment_id: { allowPost: true, allowPut: true, default: null, isVisible: false },
  }),
};

export const portDef: ResourceDef = {
  resource: 'port',
  collection: 'ports',
  allowBulk: true,
  attrs: withStandardAttrs({
    id,
    name,
    network_id: { allowPost: true, allowPut: false, validate: isUuid, isFilter: true, isSortKey: true },
    admin_state_up: bool(true),
    mac_address: { allowPost: true, allowPut: true, default: undefined, validate: isMac, isFilter: true, isSortKey: true, setPolicy: 'admin_or_network_owner' },
    fixed_ips: { allowPost: true, allowPut: true, default: undefined, convertTo: noneToEmptyList, validate: isList, isFilter: true, setPolicy: undefined },
    device_id: { allowPost: true, allowPut: true, default: '', validate: isString(255), isFilter: true, isSortKey: true },
    device_owner: { allowPost: true, allowPut: true, default: '', validate: isString(255), isFilter: true, isSortKey: true },
    status: readOnly({ isFilter: true, isSortKey: true }),
    port_security_enabled: bool(undefined, { isSortKey: false }),
    security_groups: { allowPost: true, allowPut: true, default: undefined, convertTo: noneToEmptyList, validate: isList, isFilter: true },
    allowed_address_pairs: { allowPost: true, allowPut: true, default: undefined, convertTo: noneToEmptyList, validate: isList },
    extra_dhcp_opts: { allowPost: true, allowPut: true, default: undefined, convertTo: noneToEmptyList, validate: isList },
    'binding:vnic_type': { allowPost: true, allowPut: true, default: 'normal', validate: isValues(VNIC_TYPES), isFilter: true },
    // neutron-lib gives binding:host_id no validator: null (what `openstack port unset --host` sends) unbinds like "".
    'binding:host_id': { allowPost: true, allowPut: true, default: undefined, convertTo: (v) => (v === null ? '' : v), validate: isString(255), isFilter: true, setPolicy: 'admin', readAdminOnly: true },
    'binding:profile': { allowPost: true, allowPut: true, default: undefined, convertTo: noneToEmptyDict, validate: isDict, setPolicy: 'admin', readAdminOnly: true },
    'binding:vif_type': readOnly({ readAdminOnly: true, isFilter: true }),
    'binding:vif_details': readOnly({ readAdminOnly: true }),
  }),
};

// tagging.TAG_ATTRIBUTE_MAP_PORTS: ports accept `tags` on POST (validated; stored only by
// the tag_ports_during_bulk_creation ML2 extension driver, which Zed does not load by default).
portDef.attrs.tags = { allowPost: true, allowPut: false, default: [], validate: isListOfUniqueStrings(255), isFilter: true };
