/**
 * The exceptions of neutron's L3 router plugin, with neutron-lib's class names and
 * texts (neutron_lib/exceptions/l3.py, extraroute.py and the core ones the router
 * code raises). Each declares its wire type, so a bundler's renaming cannot change it.
 */
import { BadRequest, Conflict, NotFound } from '../common/errors.js';

export class RouterNotFound extends NotFound {
  constructor(routerId: string) {
    super(`Router ${routerId} could not be found`);
  }
  override get type(): string {
    return 'RouterNotFound';
  }
}

/** Deleting a router that still has interfaces (the reason lists their ports). */
export class RouterInUse extends Conflict {
  constructor(routerId: string, reason = 'still has ports') {
    super(`Router ${routerId} ${reason}`);
  }
  override get type(): string {
    return 'RouterInUse';
  }
}

export class RouterInterfaceNotFound extends NotFound {
  constructor(routerId: string, portId: string) {
    super(`Router ${routerId} does not have an interface with id ${portId}`);
  }
  override get type(): string {
    return 'RouterInterfaceNotFound';
  }
}

export class RouterInterfaceNotFoundForSubnet extends NotFound {
  constructor(routerId: string, subnetId: string) {
    super(`Router ${routerId} has no interface on subnet ${subnetId}`);
  }
  override get type(): string {
    return 'RouterInterfaceNotFoundForSubnet';
  }
}

export class RouterInterfaceInUseByFloatingIP extends Conflict {
  constructor(routerId: string, subnetId: string) {
    super(`Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more floating IPs.`);
  }
  override get type(): string {
    return 'RouterInterfaceInUseByFloatingIP';
  }
}

export class RouterInterfaceInUseByRoute extends Conflict {
  constructor(routerId: string, subnetId: string) {
    super(`Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more routes.`);
  }
  override get type(): string {
    return 'RouterInterfaceInUseByRoute';
  }
}

export class RouterExternalGatewayInUseByFloatingIp extends Conflict {
  constructor(routerId: string, netId: string) {
    super(`Gateway cannot be updated for router ${routerId}, since a gateway to external network ${netId} is required by one or more floating IPs.`);
  }
  override get type(): string {
    return 'RouterExternalGatewayInUseByFloatingIp';
  }
}

/** extraroute's InvalidRoutes: an InvalidInput whose own template replaces InvalidInput's. */
export class InvalidRoutes extends BadRequest {
  constructor(routes: string, reason: string) {
    super(`Invalid format for routes: ${routes}, ${reason}`);
  }
  override get type(): string {
    return 'InvalidRoutes';
  }
}

export class RoutesExhausted extends BadRequest {
  constructor(routerId: string, quota: number) {
    super(`Unable to complete operation for ${routerId}. The number of routes exceeds the maximum ${quota}.`);
  }
  override get type(): string {
    return 'RoutesExhausted';
  }
}

/** external_net's ExternalNetworkInUse: making a network with router gateways non-external. */
export class ExternalNetworkInUse extends Conflict {
  constructor(netId: string) {
    super(`External network ${netId} cannot be updated to be made non-external, since it has existing gateway ports.`);
  }
  override get type(): string {
    return 'ExternalNetworkInUse';
  }
}

/** neutron-lib's PortInUse: attaching a port that already has a device. */
export class PortInUse extends Conflict {
  constructor(netId: string, portId: string, deviceId: string) {
    super(`Unable to complete operation on port ${portId} for network ${netId}. Port already has an attached device ${deviceId}.`);
  }
  override get type(): string {
    return 'PortInUse';
  }
}

export class SubnetMismatchForPort extends BadRequest {
  constructor(portId: string, subnetId: string) {
    super(`Subnet on port ${portId} does not match the requested subnet ${subnetId}.`);
  }
  override get type(): string {
    return 'SubnetMismatchForPort';
  }
}
