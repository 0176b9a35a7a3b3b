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
  constructor(netId: string) {
    super(`Unable to complete operation on network ${netId}. There are one or more ports still in use on the network.`);
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
