/**
 * ML2's domain errors, with neutron_lib's class names and message text (the clients
 * print them verbatim). No HTTP here: the status rides on the base class.
 */
import { Conflict, OpenStackError, ServiceUnavailable } from '../../common/errors.js';

import { InvalidInput } from '../errors.js';

export { InvalidInput };

/** Both `segments` and provider:* given on one network. */
export class SegmentsSetInConjunctionWithProviders extends InvalidInput {
  static override readonly wireType: string = 'SegmentsSetInConjunctionWithProviders';
  constructor() {
    super('');
    this.message = 'Segments and provider values cannot both be set.';
  }
}

/** Two identical fully specified segments in one multi-provider request. */
export class SegmentsContainDuplicateEntry extends InvalidInput {
  static override readonly wireType: string = 'SegmentsContainDuplicateEntry';
  constructor() {
    super('');
    this.message = 'Duplicate segment entry in request.';
  }
}

/** No tenant segment left in any tenant_network_types (or none for a partial provider request). */
export class NoNetworkAvailable extends ServiceUnavailable {
  static override readonly wireType: string = 'NoNetworkAvailable';
  constructor() {
    super('Unable to create the network. No tenant network is available for allocation.');
  }
}

/** Free ids kept being taken by concurrent requests (helpers.py's RetryRequest, after the retries). */
export class NoNetworkFoundInMaximumAllowedAttempts extends ServiceUnavailable {
  static override readonly wireType: string = 'NoNetworkFoundInMaximumAllowedAttempts';
  constructor() {
    super('Unable to create the network. No available network found in maximum allowed attempts.');
  }
}

/** A provider VLAN already used by another network. */
export class VlanIdInUse extends Conflict {
  static override readonly wireType: string = 'VlanIdInUse';
  constructor(
    readonly vlanId: number,
    readonly physicalNetwork: string,
  ) {
    super(`Unable to create the network. The VLAN ${vlanId} on physical network ${physicalNetwork} is in use.`);
  }
}

/** A provider VXLAN VNI (or GRE key) already used by another network. */
export class TunnelIdInUse extends Conflict {
  static override readonly wireType: string = 'TunnelIdInUse';
  constructor(readonly tunnelId: number) {
    super(`Unable to create the network. The tunnel ID ${tunnelId} is in use.`);
  }
}

/** A second flat network on one physical network. */
export class FlatNetworkInUse extends Conflict {
  static override readonly wireType: string = 'FlatNetworkInUse';
  constructor(readonly physicalNetwork: string) {
    super(`Unable to create the flat network. Physical network ${physicalNetwork} is in use.`);
  }
}

/** A bad vni_ranges entry (neutron refuses to start). */
export class NetworkTunnelRangeError extends OpenStackError {
  static override readonly wireType: string = 'NetworkTunnelRangeError';
  constructor(range: string, error: string) {
    super(`Invalid network tunnel range: '${range}' - ${error}.`);
  }
}

/** A bad network_vlan_ranges entry (neutron refuses to start). */
export class NetworkVlanRangeError extends OpenStackError {
  static override readonly wireType: string = 'NetworkVlanRangeError';
  constructor(range: string, error: string) {
    super(`Invalid network VLAN range: '${range}' - '${error}'.`);
  }
}

/** A network_vlan_ranges entry without a physnet name. */
export class PhysicalNetworkNameError extends OpenStackError {
  static override readonly wireType: string = 'PhysicalNetworkNameError';
  constructor() {
    super('Empty physical network name.');
  }
}

/** Start-up configuration error: an unknown driver name or tenant type (neutron exits with SystemExit). */
export class Ml2ConfigError extends OpenStackError {
  static override readonly wireType: string = 'Ml2ConfigError';
}
