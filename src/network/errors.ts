/**
 * neutron-lib's exceptions that the core plugin and its API raise, with neutron's own
 * class names and message texts (neutron_lib/exceptions/__init__.py and friends).
 * IPAM's own ones live in src/network/ipam/errors.ts, ML2's in src/network/ml2/errors.ts.
 */
import { BadRequest, Conflict, NamedError, NotAuthorized, NotFound, OpenStackError } from '../common/errors.js';

export class InvalidInput extends BadRequest {
  constructor(errorMessage: string) {
    super(`Invalid input for operation: ${errorMessage}.`);
  }
}
export class NetworkNotFound extends NotFound {
  constructor(netId: string) {
    super(`Network ${netId} could not be found.`);
  }
}
export class SubnetNotFound extends NotFound {
  constructor(subnetId: string) {
    super(`Subnet ${subnetId} could not be found.`);
  }
}
export class PortNotFound extends NotFound {
  constructor(portId: string) {
    super(`Port ${portId} could not be found.`);
  }
}
export class SecurityGroupNotFound extends NotFound {
  constructor(id: string) {
    super(`Security group ${id} does not exist`);
  }
}
export class SecurityGroupRuleNotFound extends NotFound {
  constructor(id: string) {
    super(`Security group rule ${id} does not exist`);
  }
}
export class FloatingIPNotFound extends NotFound {
  constructor(id: string) {
    super(`Floating IP ${id} could not be found`);
  }
}
/** The parent of a tag request is absent or not visible (neutron's tagging.TagResourceNotFound). */
export class TagResourceNotFound extends NotFound {
  constructor(resource: string, resourceId: string) {
    super(`Resource ${resource} ${resourceId} could not be found.`);
  }
}
/** The resource does not carry the tag (neutron's tagging.TagNotFound). */
export class TagNotFound extends NotFound {
  constructor(tag: string) {
    super(`Tag ${tag} could not be found.`);
  }
}
export class ExternalNetworkNotFound extends NotFound {}
export class NetworkInUse extends Conflict {
  constructor(netId: string, reason = 'There are one or more ports still in use on the network') {
    super(`Unable to complete operation on network ${netId}. ${reason}.`);
  }
}
export class SubnetInUse extends Conflict {
  constructor(subnetId: string, reason = 'One or more ports have an IP allocation from this subnet.') {
    super(`Unable to complete operation on subnet ${subnetId}: ${reason}`);
  }
}
export class MacAddressInUse extends Conflict {
  constructor(netId: string, mac: string) {
    super(`Unable to complete operation for network ${netId}. The mac address ${mac} is in use.`);
  }
}
export class NetworkMacAddressGenerationFailure extends OpenStackError {
  override readonly status = 503;
  constructor(netId: string) {
    super(`Unable to generate unique mac on network ${netId}.`);
  }
}
export class UnsupportedPortDeviceOwner extends Conflict {
  constructor(op: string, portId: string, deviceOwner: string) {
    super(`Operation ${op} is not supported for device_owner ${deviceOwner} on port ${portId}.`);
  }
}
export class AdminRequired extends NotAuthorized {
  constructor(reason: string) {
    super(`User does not have admin privileges: ${reason}.`);
  }
}
export class DeviceIDNotOwnedByTenant extends Conflict {
  constructor(deviceId: string) {
    super(`The following device_id ${deviceId} is not owned by your tenant or matches another tenants router.`);
  }
}
export class OverQuota extends Conflict {
  constructor(overs: string[]) {
    super(`Quota exceeded for resources: ${JSON.stringify(overs).replace(/"/g, "'").replace(/,/g, ', ')}.`);
  }
}
export class PortSecurityAndIPRequiredForSecurityGroups extends BadRequest {
  constructor() {
    super('Port security must be enabled and port must have an IP address in order to use security groups.');
  }
}
export class AddressPairAndPortSecurityRequired extends Conflict {
  constructor() {
    super('Port Security must be enabled in order to have allowed address pairs on a port.');
  }
}
export class SecurityGroupInUse extends Conflict {
  constructor(id: string) {
    super(`Security Group ${id} in use.`);
  }
}
export class SecurityGroupCannotRemoveDefault extends Conflict {
  constructor() {
    super('Insufficient rights for removing default security group.');
  }
}
export class SecurityGroupRuleExists extends Conflict {
  constructor(id: string) {
    super(`Security group rule already exists. Rule id is ${id}.`);
  }
}
export class FloatingIPPortAlreadyAssociated extends Conflict {}
export class ExternalGatewayForFloatingIPNotFound extends NotFound {
  constructor(subnetId: string, externalNetworkId: string, portId: string) {
    super(
      `External network ${externalNetworkId} is not reachable from subnet ${subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`,
    );
  }
}
export class ServicePortInUse extends Conflict {
  constructor(portId: string, reason: string) {
    super(`Port ${portId} cannot be deleted directly via the port API: ${reason}.`);
  }
}
export class PortBound extends Conflict {}

/** oslo.policy's refusal, as neutron renders it (403 PolicyNotAuthorized). */
export class PolicyNotAuthorized extends NotAuthorized {
  constructor(rule: string) {
    super(`${rule} is disallowed by policy`);
  }
}

/** webob's HTTPBadRequest with neutron's message, as the API layer raises it. */
export const badRequest = (message: string) => new NamedError(400, 'HTTPBadRequest', message);
export const notFoundHttp = () => new NamedError(404, 'HTTPNotFound', 'The resource could not be found.');

// neutron/extensions/securitygroup.py's exceptions (InvalidInput ones are 400, InUse 409).
export class SecurityGroupInvalidPortRange extends BadRequest {
  static readonly wireType = 'SecurityGroupInvalidPortRange';
  constructor() {
    super('For TCP/UDP protocols, port_range_min must be <= port_range_max');
  }
}
export class SecurityGroupInvalidProtocolForPort extends BadRequest {
  static readonly wireType = 'SecurityGroupInvalidProtocolForPort';
  constructor(protocol: number, validPortProtocols: string) {
    super(`Ports cannot be specified for protocol ${protocol}. Ports are only supported for ${validPortProtocols}.`);
  }
}
export class SecurityGroupInvalidPortValue extends BadRequest {
  static readonly wireType = 'SecurityGroupInvalidPortValue';
  constructor(port: string) {
    super(`Invalid value for port ${port}`);
  }
}
export class SecurityGroupInvalidIcmpValue extends BadRequest {
  static readonly wireType = 'SecurityGroupInvalidIcmpValue';
  constructor(field: string, attr: string, value: number) {
    super(`Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255.`);
  }
}
export class SecurityGroupEthertypeConflictWithProtocol extends BadRequest {
  static readonly wireType = 'SecurityGroupEthertypeConflictWithProtocol';
  constructor(ethertype: string, protocol: string) {
    super(`Invalid ethertype ${ethertype} for protocol ${protocol}.`);
  }
}
export class SecurityGroupMissingIcmpType extends BadRequest {
  static readonly wireType = 'SecurityGroupMissingIcmpType';
  constructor(value: number) {
    super(`ICMP code (port-range-max) ${value} is provided but ICMP type (port-range-min) is missing.`);
  }
}
export class SecurityGroupCannotUpdateDefault extends Conflict {
  static readonly wireType = 'SecurityGroupCannotUpdateDefault';
  constructor() {
    super('Updating default security group not allowed.');
  }
}
export class SecurityGroupDefaultAlreadyExists extends Conflict {
  static readonly wireType = 'SecurityGroupDefaultAlreadyExists';
  constructor() {
    super('Default security group already exists.');
  }
}
export class SecurityGroupRuleInvalidProtocol extends BadRequest {
  static readonly wireType = 'SecurityGroupRuleInvalidProtocol';
  constructor(protocol: string, values: string) {
    super(`Security group rule protocol ${protocol} not supported. Only protocol values ${values} and integer representations [0 to 255] are supported.`);
  }
}
export class SecurityGroupMultipleRemoteEntites extends BadRequest {
  static readonly wireType = 'SecurityGroupMultipleRemoteEntites';
  constructor() {
    super('Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.');
  }
}
export class SecurityGroupProtocolRequiredWithPorts extends BadRequest {
  static readonly wireType = 'SecurityGroupProtocolRequiredWithPorts';
  constructor() {
    super('Must also specify protocol if port range is given.');
  }
}
export class DuplicateSecurityGroupRuleInPost extends Conflict {
  static readonly wireType = 'DuplicateSecurityGroupRuleInPost';
  constructor() {
    super('Duplicate Security Group Rule in POST.');
  }
}
export class SecurityGroupRuleParameterConflict extends BadRequest {
  static readonly wireType = 'SecurityGroupRuleParameterConflict';
  constructor(ethertype: string, cidr: string) {
    super(`Conflicting value ethertype ${ethertype} for CIDR ${cidr}`);
  }
}
export class SecurityGroupRuleInvalidEtherType extends BadRequest {
  static readonly wireType = 'SecurityGroupRuleInvalidEtherType';
  constructor(ethertype: string) {
    super(`Security group rule for ethertype '${ethertype}' not supported. Allowed values are ['IPv4', 'IPv6'].`);
  }
}
export class SecurityGroupNotSingleGroupRules extends BadRequest {
  static readonly wireType = 'SecurityGroupNotSingleGroupRules';
  constructor() {
    super('Only allowed to update rules for one security profile at a time');
  }
}
export class SecurityGroupRulesNotSingleTenant extends BadRequest {
  static readonly wireType = 'SecurityGroupRulesNotSingleTenant';
  constructor() {
    super('Multiple tenant_ids in bulk security group rule create not allowed');
  }
}
/** neutron-lib's InvalidCIDR (a remote_ip_prefix netaddr cannot parse). */
export class InvalidCIDR extends BadRequest {
  static readonly wireType = 'InvalidCIDR';
  constructor(input: string) {
    super(`Invalid CIDR ${input} given as IP prefix.`);
  }
}
