/**
 * neutron-lib's exceptions that the core plugin and its API raise, with neutron's own
 * class names and message texts (neutron_lib/exceptions/__init__.py and friends).
 * IPAM's own ones live in src/network/ipam/errors.ts, ML2's in src/network/ml2/errors.ts.
 */
import { BadRequest, Conflict, NamedError, NotAuthorized, NotFound, OpenStackError } from '../common/errors.js';

export class InvalidInput extends BadRequest {
  static override readonly wireType: string = 'InvalidInput';
  constructor(errorMessage: string) {
    super(`Invalid input for operation: ${errorMessage}.`);
  }
}
export class NetworkNotFound extends NotFound {
  static override readonly wireType: string = 'NetworkNotFound';
  constructor(netId: string) {
    super(`Network ${netId} could not be found.`);
  }
}
export class SubnetNotFound extends NotFound {
  static override readonly wireType: string = 'SubnetNotFound';
  constructor(subnetId: string) {
    super(`Subnet ${subnetId} could not be found.`);
  }
}
export class PortNotFound extends NotFound {
  static override readonly wireType: string = 'PortNotFound';
  constructor(portId: string) {
    super(`Port ${portId} could not be found.`);
  }
}
export class SecurityGroupNotFound extends NotFound {
  static override readonly wireType: string = 'SecurityGroupNotFound';
  constructor(id: string) {
    super(`Security group ${id} does not exist`);
  }
}
export class SecurityGroupRuleNotFound extends NotFound {
  static override readonly wireType: string = 'SecurityGroupRuleNotFound';
  constructor(id: string) {
    super(`Security group rule ${id} does not exist`);
  }
}
export class FloatingIPNotFound extends NotFound {
  static override readonly wireType: string = 'FloatingIPNotFound';
  constructor(id: string) {
    super(`Floating IP ${id} could not be found`);
  }
}
/** The parent of a tag request is absent or not visible (neutron's tagging.TagResourceNotFound). */
export class TagResourceNotFound extends NotFound {
  static override readonly wireType: string = 'TagResourceNotFound';
  constructor(resource: string, resourceId: string) {
    super(`Resource ${resource} ${resourceId} could not be found.`);
  }
}
/** The resource does not carry the tag (neutron's tagging.TagNotFound). */
export class TagNotFound extends NotFound {
  static override readonly wireType: string = 'TagNotFound';
  constructor(tag: string) {
    super(`Tag ${tag} could not be found.`);
  }
}
export class ExternalNetworkNotFound extends NotFound {
  static override readonly wireType: string = 'ExternalNetworkNotFound';
}
export class NetworkInUse extends Conflict {
  static override readonly wireType: string = 'NetworkInUse';
  constructor(netId: string, reason = 'There are one or more ports still in use on the network') {
    super(`Unable to complete operation on network ${netId}. ${reason}.`);
  }
}
export class SubnetInUse extends Conflict {
  static override readonly wireType: string = 'SubnetInUse';
  constructor(subnetId: string, reason = 'One or more ports have an IP allocation from this subnet.') {
    super(`Unable to complete operation on subnet ${subnetId}: ${reason}`);
  }
}
export class MacAddressInUse extends Conflict {
  static override readonly wireType: string = 'MacAddressInUse';
  constructor(netId: string, mac: string) {
    super(`Unable to complete operation for network ${netId}. The mac address ${mac} is in use.`);
  }
}
export class NetworkMacAddressGenerationFailure extends OpenStackError {
  static override readonly wireType: string = 'NetworkMacAddressGenerationFailure';
  override readonly status = 503;
  constructor(netId: string) {
    super(`Unable to generate unique mac on network ${netId}.`);
  }
}
export class UnsupportedPortDeviceOwner extends Conflict {
  static override readonly wireType: string = 'UnsupportedPortDeviceOwner';
  constructor(op: string, portId: string, deviceOwner: string) {
    super(`Operation ${op} is not supported for device_owner ${deviceOwner} on port ${portId}.`);
  }
}
export class AdminRequired extends NotAuthorized {
  static override readonly wireType: string = 'AdminRequired';
  constructor(reason: string) {
    super(`User does not have admin privileges: ${reason}.`);
  }
}
export class DeviceIDNotOwnedByTenant extends Conflict {
  static override readonly wireType: string = 'DeviceIDNotOwnedByTenant';
  constructor(deviceId: string) {
    super(`The following device_id ${deviceId} is not owned by your tenant or matches another tenants router.`);
  }
}
export class OverQuota extends Conflict {
  static override readonly wireType: string = 'OverQuota';
  constructor(overs: string[]) {
    super(`Quota exceeded for resources: ${JSON.stringify(overs).replace(/"/g, "'").replace(/,/g, ', ')}.`);
  }
}
export class PortSecurityAndIPRequiredForSecurityGroups extends BadRequest {
  static override readonly wireType: string = 'PortSecurityAndIPRequiredForSecurityGroups';
  constructor() {
    super('Port security must be enabled and port must have an IP address in order to use security groups.');
  }
}
export class AddressPairAndPortSecurityRequired extends Conflict {
  static override readonly wireType: string = 'AddressPairAndPortSecurityRequired';
  constructor() {
    super('Port Security must be enabled in order to have allowed address pairs on a port.');
  }
}
export class SecurityGroupInUse extends Conflict {
  static override readonly wireType: string = 'SecurityGroupInUse';
  constructor(id: string) {
    super(`Security Group ${id} in use.`);
  }
}
export class SecurityGroupCannotRemoveDefault extends Conflict {
  static override readonly wireType: string = 'SecurityGroupCannotRemoveDefault';
  constructor() {
    super('Insufficient rights for removing default security group.');
  }
}
export class SecurityGroupRuleExists extends Conflict {
  static override readonly wireType: string = 'SecurityGroupRuleExists';
  constructor(id: string) {
    super(`Security group rule already exists. Rule id is ${id}.`);
  }
}
export class FloatingIPPortAlreadyAssociated extends Conflict {
  static override readonly wireType: string = 'FloatingIPPortAlreadyAssociated';
}
export class ExternalGatewayForFloatingIPNotFound extends NotFound {
  static override readonly wireType: string = 'ExternalGatewayForFloatingIPNotFound';
  constructor(subnetId: string, externalNetworkId: string, portId: string) {
    super(
      `External network ${externalNetworkId} is not reachable from subnet ${subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`,
    );
  }
}
export class ServicePortInUse extends Conflict {
  static override readonly wireType: string = 'ServicePortInUse';
  constructor(portId: string, reason: string) {
    super(`Port ${portId} cannot be deleted directly via the port API: ${reason}.`);
  }
}
/** neutron_lib PortBound (InUse, 409): ml2 refuses a MAC change on a bound port. */
export class PortBound extends Conflict {
  static override readonly wireType: string = 'PortBound';
  constructor(portId: string, vifType: string, oldMac: string, newMac: string) {
    super(`Unable to complete operation on port ${portId}, port is already bound, port type: ${vifType}, old_mac ${oldMac}, new_mac ${newMac}`);
  }
}

/** oslo.policy's refusal, as neutron renders it (403 PolicyNotAuthorized). */
export class PolicyNotAuthorized extends NotAuthorized {
  static override readonly wireType: string = 'PolicyNotAuthorized';
  constructor(rule: string) {
    super(`${rule} is disallowed by policy`);
  }
}

/** webob's HTTPBadRequest with neutron's message, as the API layer raises it. */
export const badRequest = (message: string) => new NamedError(400, 'HTTPBadRequest', message);
export const notFoundHttp = () => new NamedError(404, 'HTTPNotFound', 'The resource could not be found.');

// neutron/extensions/securitygroup.py's exceptions (InvalidInput ones are 400, InUse 409).
export class SecurityGroupInvalidPortRange extends BadRequest {
  static override readonly wireType: string = 'SecurityGroupInvalidPortRange';
  constructor() {
    super('For TCP/UDP protocols, port_range_min must be <= port_range_max');
  }
}
export class SecurityGroupInvalidProtocolForPort extends BadRequest {
  static override readonly wireType: string = 'SecurityGroupInvalidProtocolForPort';
  constructor(protocol: number, validPortProtocols: string) {
    super(`Ports cannot be specified for protocol ${protocol}. Ports are only supported for ${validPortProtocols}.`);
  }
}
export class SecurityGroupInvalidPortValue extends BadRequest {
  static override readonly wireType: string = 'SecurityGroupInvalidPortValue';
  constructor(port: string) {
    super(`Invalid value for port ${port}`);
  }
}
export class SecurityGroupInvalidIcmpValue extends BadRequest {
  static override readonly wireType: string = 'SecurityGroupInvalidIcmpValue';
  constructor(field: string, attr: string, value: number) {
    super(`Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255.`);
  }
}
export class SecurityGroupEthertypeConflictWithProtocol extends BadRequest {
  static override readonly wireType: string = 'SecurityGroupEthertypeConflictWithProtocol';
  constructor(ethertype: string, protocol: string) {
    super(`Invalid ethertype ${ethertype} for protocol ${protocol}.`);
  }
}
export class SecurityGroupMissingIcmpType extends BadRequest {
  static override readonly wireType: string = 'SecurityGroupMissingIcmpType';
  constructor(value: number) {
    super(`ICMP code (port-range-max) ${value} is provided but ICMP type (port-range-min) is missing.`);
  }
}
export class SecurityGroupCannotUpdateDefault extends Conflict {
  static override readonly wireType: string = 'SecurityGroupCannotUpdateDefault';
  constructor() {
    super('Updating default security group not allowed.');
  }
}
export class SecurityGroupDefaultAlreadyExists extends Conflict {
  static override readonly wireType: string = 'SecurityGroupDefaultAlreadyExists';
  constructor() {
    super('Default security group already exists.');
  }
}
export class SecurityGroupRuleInvalidProtocol extends BadRequest {
  static override readonly wireType: string = 'SecurityGroupRuleInvalidProtocol';
  constructor(protocol: string, values: string) {
    super(`Security group rule protocol ${protocol} not supported. Only protocol values ${values} and integer representations [0 to 255] are supported.`);
  }
}
export class SecurityGroupMultipleRemoteEntites extends BadRequest {
  static override readonly wireType: string = 'SecurityGroupMultipleRemoteEntites';
  constructor() {
    super('Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.');
  }
}
export class SecurityGroupProtocolRequiredWithPorts extends BadRequest {
  static override readonly wireType: string = 'SecurityGroupProtocolRequiredWithPorts';
  constructor() {
    super('Must also specify protocol if port range is given.');
  }
}
export class DuplicateSecurityGroupRuleInPost extends Conflict {
  static override readonly wireType: string = 'DuplicateSecurityGroupRuleInPost';
  constructor() {
    super('Duplicate Security Group Rule in POST.');
  }
}
export class SecurityGroupRuleParameterConflict extends BadRequest {
  static override readonly wireType: string = 'SecurityGroupRuleParameterConflict';
  constructor(ethertype: string, cidr: string) {
    super(`Conflicting value ethertype ${ethertype} for CIDR ${cidr}`);
  }
}
export class SecurityGroupRuleInvalidEtherType extends BadRequest {
  static override readonly wireType: string = 'SecurityGroupRuleInvalidEtherType';
  constructor(ethertype: string) {
    super(`Security group rule for ethertype '${ethertype}' not supported. Allowed values are ['IPv4', 'IPv6'].`);
  }
}
export class SecurityGroupNotSingleGroupRules extends BadRequest {
  static override readonly wireType: string = 'SecurityGroupNotSingleGroupRules';
  constructor() {
    super('Only allowed to update rules for one security profile at a time');
  }
}
export class SecurityGroupRulesNotSingleTenant extends BadRequest {
  static override readonly wireType: string = 'SecurityGroupRulesNotSingleTenant';
  constructor() {
    super('Multiple tenant_ids in bulk security group rule create not allowed');
  }
}
/** neutron-lib's InvalidCIDR (a remote_ip_prefix netaddr cannot parse). */
export class InvalidCIDR extends BadRequest {
  static override readonly wireType: string = 'InvalidCIDR';
  constructor(input: string) {
    super(`Invalid CIDR ${input} given as IP prefix.`);
  }
}
