/**
 * nova's exceptions (nova/exception.py): each class is one of nova's, with its message
 * format and its `code`. The API edge turns them into webob faults — with the class's
 * code, or with the code the controller chooses (a PortNotFound on boot is a 400, on
 * attach a 404), see api/faults.ts. Compute-side code raises the same classes, so a
 * build failure's instance fault carries nova's own text.
 */
import { OpenStackError } from '../common/errors.js';

/** NovaException: code 500 unless a subclass says otherwise. */
export class NovaException extends OpenStackError {
  override readonly status: number = 500;
}

// The families whose code nova sets on the base class.
export class Invalid extends NovaException {
  override readonly status: number = 400;
}
export class NotFound extends NovaException {
  override readonly status: number = 404;
}
export class Forbidden extends NovaException {
  override readonly status: number = 403;
}
export class Conflict extends NovaException {
  override readonly status: number = 409;
}
export class OverQuota extends NovaException {
  override readonly status: number = 413;
}
export class ServiceUnavailableError extends NovaException {
  override readonly status: number = 503;
}

export class InvalidInput extends Invalid {
  constructor(reason: string) {
    super(`Invalid input received: ${reason}`);
  }
}
export class ValidationError extends Invalid {}
export class InstanceInvalidState extends Invalid {
  constructor(uuid: string, attr: string, state: string | null, method: string) {
    super(`Instance ${uuid} in ${attr} ${state}. Cannot ${method} while the instance is in this state.`);
  }
}
export class InstanceIsLocked extends Invalid {
  constructor(uuid: string) {
    super(`Instance ${uuid} is locked`);
  }
}
export class InstanceNotFound extends NotFound {
  constructor(id: string) {
    super(`Instance ${id} could not be found.`);
  }
}
export class FlavorNotFound extends NotFound {
  constructor(id: string) {
    super(`Flavor ${id} could not be found.`);
  }
}
export class ImageNotFound extends NotFound {
  constructor(id: string) {
    super(`Image ${id} could not be found.`);
  }
}
export class ImageNotActive extends NovaException {
  constructor(id: string) {
    super(`Image ${id} is not active.`);
  }
}
export class ImageUnacceptable extends Invalid {
  constructor(id: string, reason: string) {
    super(`Image ${id} is unacceptable: ${reason}`);
  }
}
export class FlavorDiskTooSmall extends NovaException {
  constructor() {
    super("The created instance's disk would be too small.");
  }
}
export class FlavorMemoryTooSmall extends NovaException {
  constructor() {
    super("Flavor's memory is too small for requested image.");
  }
}
export class NetworkNotFound extends NotFound {
  constructor(id: string) {
    super(`Network ${id} could not be found.`);
  }
}
export class PortNotFound extends NotFound {
  constructor(id: string, message = `Port id ${id} could not be found.`) {
    super(message);
  }
}
export class PortInUse extends Invalid {
  constructor(portId: string) {
    super(`Port ${portId} is still in use.`);
  }
}
export class PortNotUsable extends Invalid {
  constructor(portId: string, instance: string) {
    super(`Port ${portId} not usable for instance ${instance}.`);
  }
}
export class PortNotFree extends Invalid {
  constructor(instance: string) {
    super(`No free port available for instance ${instance}.`);
  }
}
export class PortRequiresFixedIP extends Invalid {
  constructor(portId: string) {
    super(`Port ${portId} requires a FixedIP in order to be used.`);
  }
}
export class PortBindingFailed extends Invalid {
  constructor(portId: string) {
    super(`Binding failed for port ${portId}, please check neutron logs for more information.`);
  }
}
export class NetworkRequiresSubnet extends Invalid {
  constructor(netId: string) {
    super(`Network ${netId} requires a subnet in order to boot instances on.`);
  }
}
export class NetworkAmbiguous extends Invalid {
  constructor() {
    super('More than one possible network found. Specify network ID(s) to select which one(s) to connect to.');
  }
}
export class NetworkDuplicated extends Invalid {
  constructor(netId: string) {
    super(`Network ${netId} is duplicated.`);
  }
}
export class ExternalNetworkAttachForbidden extends Forbidden {
  constructor(netId: string) {
    super(`It is not allowed to create an interface on external network ${netId}`);
  }
}
export class FixedIpAlreadyInUse extends NovaException {
  constructor(address: string, instanceUuid: string) {
    super(`Fixed IP address ${address} is already in use on instance ${instanceUuid}.`);
  }
}
export class NoMoreFixedIps extends NovaException {
  constructor(net: string) {
    super(`No fixed IP addresses available for network: ${net}`);
  }
}
export class PortLimitExceeded extends OverQuota {
  constructor() {
    super('Maximum number of ports exceeded');
  }
}
export class SecurityGroupNotFound extends NotFound {
  constructor(id: string) {
    super(`Security group ${id} not found.`);
  }
}
export class SecurityGroupCannotBeApplied extends Invalid {
  constructor() {
    super('Network requires port_security_enabled and subnet associated in order to apply security groups.');
  }
}
export class NoUniqueMatch extends NovaException {
  override readonly status: number = 409;
}
export class VirtualInterfaceCreateException extends NovaException {
  constructor() {
    super('Virtual Interface creation failed');
  }
}
export class VirtualInterfaceMacAddressException extends NovaException {
  constructor() {
    super('Creation of virtual interface with unique mac address failed');
  }
}
export class NoValidHost extends NovaException {
  constructor(reason: string) {
    super(`No valid host was found. ${reason}`);
  }
}
export class MaxRetriesExceeded extends NovaException {
  constructor(reason: string) {
    super(`Exceeded maximum number of retries. ${reason}`);
  }
}
export class ComputeResourcesUnavailable extends ServiceUnavailableError {
  constructor(reason: string) {
    super(`Insufficient compute resources: ${reason}.`);
  }
}
export class RescheduledException extends NovaException {
  constructor(instanceUuid: string, reason: string) {
    super(`Build of instance ${instanceUuid} was re-scheduled: ${reason}`);
  }
}
export class BuildAbortException extends NovaException {
  constructor(instanceUuid: string, reason: string) {
    super(`Build of instance ${instanceUuid} aborted: ${reason}`);
  }
}
export class UnexpectedDeletingTaskState extends NovaException {
  constructor(expected: string, actual: string | null) {
    super(`Unexpected task state: expecting ${expected} but the actual state is ${actual}`);
  }
}
export class InterfaceAttachFailed extends NovaException {
  constructor(instanceUuid: string) {
    super(`Failed to attach network adapter device to ${instanceUuid}`);
  }
}
export class InterfaceDetachFailed extends Invalid {
  constructor(instanceUuid: string) {
    super(`Failed to detach network adapter device from ${instanceUuid}`);
  }
}
export class InstanceActionNotFound extends NovaException {
  override readonly status: number = 404;
  constructor(requestId: string, instanceUuid: string) {
    super(`Action for request_id ${requestId} on instance ${instanceUuid} not found`);
  }
}
export class TooManyInstances extends OverQuota {}
export class FlavorExists extends Conflict {
  constructor(name: string) {
    super(`Flavor with name ${name} already exists.`);
  }
}
export class FlavorIdExists extends Conflict {
  constructor(id: string) {
    super(`Flavor with ID ${id} already exists.`);
  }
}
export class PolicyNotAuthorized extends Forbidden {
  constructor(action: string) {
    super(`Policy doesn't allow ${action} to be performed.`);
  }
}
export class ServiceNotFound extends NotFound {
  constructor(id: string) {
    super(`Service ${id} could not be found.`);
  }
}
export class ComputeHostNotFound extends NotFound {
  constructor(host: string) {
    super(`Compute host ${host} could not be found.`);
  }
}
export class HypervisorNotFound extends NotFound {
  constructor(id: string) {
    super(`Hypervisor with ID '${id}' could not be found.`);
  }
}
export class MarkerNotFound extends NotFound {
  constructor(marker: string) {
    super(`Marker ${marker} could not be found.`);
  }
}
/** os-vif / the virt driver failed to plug a VIF. */
export class VirtualInterfacePlugException extends NovaException {}
/** No network-vif-plugged in time (nova's eventlet.timeout.Timeout in _create_domain_and_network). */
export class InstanceEventTimeout extends NovaException {}
/** Neutron answered something nova does not map (nova's NeutronClientException passthrough). */
export class NeutronClientException extends NovaException {
  constructor(
    message: string,
    override readonly status: number,
    readonly neutronType?: string,
  ) {
    super(message);
  }
}
/** The user's token was refused by neutron (nova's ClientWrapper turns neutronclient's 401 into this). */
export class Unauthorized extends NovaException {
  override readonly status: number = 401;
  constructor(message = 'Not authorized.') {
    super(message);
  }
}
/** nova's [neutron] service credentials were refused: the admin client could not get a valid token. */
export class NeutronAdminCredentialConfigurationInvalid extends Invalid {
  constructor() {
    super('Networking client is experiencing an unauthorized exception.');
  }
}
export class InterfaceAttachFailedNoNetwork extends Invalid {
  constructor(projectId: string) {
    super(`No specific network was requested and none are available for project '${projectId}'.`);
  }
}
export class FixedIpInvalidOnHost extends Invalid {
  constructor(portId: string) {
    super(`The fixed IP associated with port ${portId} is not compatible with the host.`);
  }
}
export class UnableToAutoAllocateNetwork extends Invalid {
  constructor(projectId: string) {
    super(`Unable to automatically allocate a network for project ${projectId}`);
  }
}
export class PortBindingDeletionFailed extends NovaException {
  constructor(portIds: string, host: string) {
    super(`Failed to delete binding for port(s) ${portIds} on host ${host}.`);
  }
}

// Flavors, services and hypervisors (the admin resources of the compute API).
/** nova's FlavorAccessExists: a NovaException the API answers with 409. */
export class FlavorAccessExists extends NovaException {
  override readonly status: number = 409;
  constructor(flavorId: string, projectId: string) {
    super(`Flavor access already exists for flavor ${flavorId} and project ${projectId} combination.`);
  }
}
export class FlavorAccessNotFound extends NotFound {
  constructor(flavorId: string, projectId: string) {
    super(`Flavor access not found for ${flavorId} / ${projectId} combination.`);
  }
}
export class FlavorExtraSpecsNotFound extends NotFound {
  constructor(flavorId: string, key: string) {
    super(`Flavor ${flavorId} has no extra specs with key ${key}.`);
  }
}
export class HostBinaryNotFound extends NotFound {
  constructor(host: string, binary: string) {
    super(`Could not find binary ${binary} on host ${host}.`);
  }
}
/** nova's ComputeServiceUnavailable (a ServiceUnavailable, which nova files under Invalid: 400). */
export class ComputeServiceUnavailable extends Invalid {
  constructor(host: string) {
    super(`Compute service of ${host} is unavailable at this time.`);
  }
}

// Boot requests nova refuses before creating anything (compute/api.py create).
/** nova's InvalidRequest: a 400 whose text the caller supplies (unavailable zone, ...). */
export class InvalidRequest extends Invalid {
  constructor(message = 'The request is invalid.') {
    super(message);
  }
}
/** One requested port cannot serve several instances. */
export class MultiplePortsNotApplicable extends Invalid {
  constructor(reason: string) {
    super(`Failed to launch instances: ${reason}`);
  }
}
/** One fixed IP cannot serve several instances. */
export class InvalidFixedIpAndMaxCountRequest extends Invalid {
  constructor(reason: string) {
    super(`Failed to launch instances: ${reason}`);
  }
}
/** A 2.90 `hostname` with max_count > 1. */
export class AmbiguousHostnameForMultipleInstances extends Invalid {
  constructor() {
    super('Unable to allocate a single hostname to multiple instances');
  }
}
/** No keypair of that name for the user (the boot API answers 400 "Invalid key_name provided."). */
export class KeypairNotFound extends NotFound {
  constructor(name: string, userId: string) {
    super(`Keypair ${name} not found for user ${userId}`);
  }
}

// --- server actions (AC) ---
export class InstanceNotReady extends Invalid {
  static readonly wireType = 'InstanceNotReady';
  constructor(uuid: string) {
    super(`Instance ${uuid} is not ready`);
  }
}
/** SecurityGroupNotFound with the whole text given, as nova's security_group_api raises it. */
export class SecurityGroupNotFoundText extends SecurityGroupNotFound {
  static readonly wireType = 'SecurityGroupNotFound';
  constructor(message: string) {
    super('');
    this.message = message;
  }
}
