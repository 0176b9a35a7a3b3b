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
  static override readonly wireType: string = 'NovaException';
  override readonly status: number = 500;
}

// The families whose code nova sets on the base class.
export class Invalid extends NovaException {
  static override readonly wireType: string = 'Invalid';
  override readonly status: number = 400;
}
export class NotFound extends NovaException {
  static override readonly wireType: string = 'NotFound';
  override readonly status: number = 404;
}
export class Forbidden extends NovaException {
  static override readonly wireType: string = 'Forbidden';
  override readonly status: number = 403;
}
export class Conflict extends NovaException {
  static override readonly wireType: string = 'Conflict';
  override readonly status: number = 409;
}
export class OverQuota extends NovaException {
  static override readonly wireType: string = 'OverQuota';
  override readonly status: number = 413;
}
export class ServiceUnavailableError extends NovaException {
  static override readonly wireType: string = 'ServiceUnavailableError';
  override readonly status: number = 503;
}

export class InvalidInput extends Invalid {
  static override readonly wireType: string = 'InvalidInput';
  constructor(reason: string) {
    super(`Invalid input received: ${reason}`);
  }
}
export class ValidationError extends Invalid {
  static override readonly wireType: string = 'ValidationError';
}
export class InstanceInvalidState extends Invalid {
  static override readonly wireType: string = 'InstanceInvalidState';
  constructor(uuid: string, attr: string, state: string | null, method: string) {
    super(`Instance ${uuid} in ${attr} ${state}. Cannot ${method} while the instance is in this state.`);
  }
}
export class InstanceIsLocked extends Invalid {
  static override readonly wireType: string = 'InstanceIsLocked';
  constructor(uuid: string) {
    super(`Instance ${uuid} is locked`);
  }
}
export class InstanceNotFound extends NotFound {
  static override readonly wireType: string = 'InstanceNotFound';
  constructor(id: string) {
    super(`Instance ${id} could not be found.`);
  }
}
export class FlavorNotFound extends NotFound {
  static override readonly wireType: string = 'FlavorNotFound';
  constructor(id: string) {
    super(`Flavor ${id} could not be found.`);
  }
}
export class ImageNotFound extends NotFound {
  static override readonly wireType: string = 'ImageNotFound';
  constructor(id: string) {
    super(`Image ${id} could not be found.`);
  }
}
export class ImageNotAuthorized extends NovaException {
  static override readonly wireType: string = 'ImageNotAuthorized';
  constructor(id: string) {
    super(`Not authorized for image ${id}.`);
  }
}
export class ImageNotActive extends NovaException {
  static override readonly wireType: string = 'ImageNotActive';
  constructor(id: string) {
    super(`Image ${id} is not active.`);
  }
}
export class ImageUnacceptable extends Invalid {
  static override readonly wireType: string = 'ImageUnacceptable';
  constructor(id: string, reason: string) {
    super(`Image ${id} is unacceptable: ${reason}`);
  }
}
export class AutoDiskConfigDisabledByImage extends Invalid {
  static override readonly wireType: string = 'AutoDiskConfigDisabledByImage';
  constructor(image: string) {
    super(`Requested image ${image} has automatic disk resize disabled.`);
  }
}
export class FlavorDiskTooSmall extends NovaException {
  static override readonly wireType: string = 'FlavorDiskTooSmall';
  constructor(message = "The created instance's disk would be too small.") {
    super(message);
  }
}
export class FlavorDiskSmallerThanMinDisk extends FlavorDiskTooSmall {
  static override readonly wireType: string = 'FlavorDiskSmallerThanMinDisk';
  constructor(flavorBytes: number, minDiskBytes: number) {
    super(`Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${flavorBytes} bytes, minimum size is ${minDiskBytes} bytes.`);
  }
}
export class FlavorMemoryTooSmall extends NovaException {
  static override readonly wireType: string = 'FlavorMemoryTooSmall';
  constructor() {
    super("Flavor's memory is too small for requested image.");
  }
}
export class NetworkNotFound extends NotFound {
  static override readonly wireType: string = 'NetworkNotFound';
  constructor(id: string) {
    super(`Network ${id} could not be found.`);
  }
}
export class PortNotFound extends NotFound {
  static override readonly wireType: string = 'PortNotFound';
  constructor(id: string, message = `Port id ${id} could not be found.`) {
    super(message);
  }
}
export class FixedIpNotFoundForAddress extends NotFound {
  static override readonly wireType: string = 'FixedIpNotFoundForAddress';
  constructor(address: string) {
    super(`Fixed IP not found for address ${address}.`);
  }
}
export class PortInUse extends Invalid {
  static override readonly wireType: string = 'PortInUse';
  constructor(portId: string) {
    super(`Port ${portId} is still in use.`);
  }
}
export class PortNotUsable extends Invalid {
  static override readonly wireType: string = 'PortNotUsable';
  constructor(portId: string, instance: string) {
    super(`Port ${portId} not usable for instance ${instance}.`);
  }
}
export class PortNotFree extends Invalid {
  static override readonly wireType: string = 'PortNotFree';
  constructor(instance: string) {
    super(`No free port available for instance ${instance}.`);
  }
}
export class PortRequiresFixedIP extends Invalid {
  static override readonly wireType: string = 'PortRequiresFixedIP';
  constructor(portId: string) {
    super(`Port ${portId} requires a FixedIP in order to be used.`);
  }
}
export class PortBindingFailed extends Invalid {
  static override readonly wireType: string = 'PortBindingFailed';
  constructor(portId: string) {
    super(`Binding failed for port ${portId}, please check neutron logs for more information.`);
  }
}
export class NetworkRequiresSubnet extends Invalid {
  static override readonly wireType: string = 'NetworkRequiresSubnet';
  constructor(netId: string) {
    super(`Network ${netId} requires a subnet in order to boot instances on.`);
  }
}
export class NetworkAmbiguous extends Invalid {
  static override readonly wireType: string = 'NetworkAmbiguous';
  constructor() {
    super('More than one possible network found. Specify network ID(s) to select which one(s) to connect to.');
  }
}
export class NetworkDuplicated extends Invalid {
  static override readonly wireType: string = 'NetworkDuplicated';
  constructor(netId: string) {
    super(`Network ${netId} is duplicated.`);
  }
}
export class ExternalNetworkAttachForbidden extends Forbidden {
  static override readonly wireType: string = 'ExternalNetworkAttachForbidden';
  constructor(netId: string) {
    super(`It is not allowed to create an interface on external network ${netId}`);
  }
}
export class FixedIpAlreadyInUse extends NovaException {
  static override readonly wireType: string = 'FixedIpAlreadyInUse';
  constructor(address: string, instanceUuid: string) {
    super(`Fixed IP address ${address} is already in use on instance ${instanceUuid}.`);
  }
}
export class NoMoreFixedIps extends NovaException {
  static override readonly wireType: string = 'NoMoreFixedIps';
  constructor(net: string) {
    super(`No fixed IP addresses available for network: ${net}`);
  }
}
export class PortLimitExceeded extends OverQuota {
  static override readonly wireType: string = 'PortLimitExceeded';
  constructor() {
    super('Maximum number of ports exceeded');
  }
}
export class SecurityGroupNotFound extends NotFound {
  static override readonly wireType: string = 'SecurityGroupNotFound';
  /** `message`: nova passes neutronclient's text as the message when validating a boot's names. */
  constructor(id: string, message?: string) {
    super(message ?? `Security group ${id} not found.`);
  }
}
export class SecurityGroupCannotBeApplied extends Invalid {
  static override readonly wireType: string = 'SecurityGroupCannotBeApplied';
  constructor() {
    super('Network requires port_security_enabled and subnet associated in order to apply security groups.');
  }
}
export class NoUniqueMatch extends NovaException {
  static override readonly wireType: string = 'NoUniqueMatch';
  override readonly status: number = 409;
}
export class VirtualInterfaceCreateException extends NovaException {
  static override readonly wireType: string = 'VirtualInterfaceCreateException';
  constructor() {
    super('Virtual Interface creation failed');
  }
}
export class VirtualInterfaceMacAddressException extends NovaException {
  static override readonly wireType: string = 'VirtualInterfaceMacAddressException';
  constructor() {
    super('Creation of virtual interface with unique mac address failed');
  }
}
export class NoValidHost extends NovaException {
  static override readonly wireType: string = 'NoValidHost';
  constructor(reason: string) {
    super(`No valid host was found. ${reason}`);
  }
}
export class MaxRetriesExceeded extends NovaException {
  static override readonly wireType: string = 'MaxRetriesExceeded';
  constructor(reason: string) {
    super(`Exceeded maximum number of retries. ${reason}`);
  }
}
// --- resize and cold migration ---------------------------------------------------------
export class CannotResizeToSameFlavor extends NovaException {
  static override readonly wireType: string = 'CannotResizeToSameFlavor';
  constructor() {
    super('When resizing, instances must change flavor!');
  }
}
export class CannotResizeDisk extends NovaException {
  static override readonly wireType: string = 'CannotResizeDisk';
  constructor(reason: string) {
    super(`Server disk was unable to be resized because: ${reason}`);
  }
}
export class CannotMigrateToSameHost extends NovaException {
  static override readonly wireType: string = 'CannotMigrateToSameHost';
  constructor() {
    super('Cannot migrate to the host where the server exists.');
  }
}
/** nova.exception.InternalError ("%(err)s"): e.g. libvirt's guest config for a VIF type it has none for. */
export class InternalError extends NovaException {
  static override readonly wireType: string = 'InternalError';
  constructor(err: string) {
    super(err);
  }
}
export class ResizeError extends NovaException {
  static override readonly wireType: string = 'ResizeError';
  constructor(reason: string) {
    super(`Resize error: ${reason}`);
  }
}
export class MigrationError extends NovaException {
  static override readonly wireType: string = 'MigrationError';
  constructor(reason: string) {
    super(`Migration error: ${reason}`);
  }
}
/**
 * A live migration's pre-checks refused it (nova's MigrationPreCheckError, a
 * MigrationError). `asIs`: nova passed a whole message (positional), not a reason.
 */
export class MigrationPreCheckError extends MigrationError {
  static override readonly wireType: string = 'MigrationPreCheckError';
  constructor(reason: string, asIs = false) {
    super(reason);
    this.message = asIs ? reason : `Migration pre-check error: ${reason}`;
  }
}
/** The scheduler could not be asked during a live migration (MigrationSchedulerRPCError). */
export class MigrationSchedulerRPCError extends MigrationError {
  static override readonly wireType: string = 'MigrationSchedulerRPCError';
  constructor(reason: string) {
    super(reason);
    this.message = `Migration select destinations error: ${reason}`;
  }
}
export class InvalidHypervisorType extends Invalid {
  static override readonly wireType: string = 'InvalidHypervisorType';
  constructor() {
    super('The supplied hypervisor type of is invalid.');
  }
}
export class DestinationHypervisorTooOld extends Invalid {
  static override readonly wireType: string = 'DestinationHypervisorTooOld';
  constructor() {
    super('The instance requires a newer hypervisor version than has been provided.');
  }
}
/** A live migration not in a state the request allows (abort, force complete). */
export class InvalidMigrationState extends Invalid {
  static override readonly wireType: string = 'InvalidMigrationState';
  constructor(migrationId: number | string, instanceUuid: string, state: string, method: string) {
    super(`Migration ${migrationId} state of instance ${instanceUuid} is ${state}. Cannot ${method} while the migration is in this state.`);
  }
}
export class MigrationNotFoundForInstance extends NotFound {
  static override readonly wireType: string = 'MigrationNotFoundForInstance';
  constructor(migrationId: number | string, instanceUuid: string) {
    super(`Migration ${migrationId} not found for instance ${instanceUuid}`);
  }
}
export class MigrationNotFoundByStatus extends NotFound {
  static override readonly wireType: string = 'MigrationNotFoundByStatus';
  constructor(instanceUuid: string, status: string) {
    super(`Migration not found for instance ${instanceUuid} with status ${status}.`);
  }
}
/** nova's ServiceUnavailable (an Invalid): the source compute of a confirm is down. */
export class ServiceUnavailable extends Invalid {
  static override readonly wireType: string = 'ServiceUnavailable';
  constructor() {
    super('Service is unavailable at this time.');
  }
}
export class UnableToMigrateToSelf extends Invalid {
  static override readonly wireType: string = 'UnableToMigrateToSelf';
  constructor(instanceUuid: string, host: string) {
    super(`Unable to migrate instance (${instanceUuid}) to current host (${host}).`);
  }
}
/**
 * InstanceFaultRollback: the operation failed before it changed the guest, so the
 * instance goes back to its state (not ERROR); the fault and the caller see `inner`.
 */
export class InstanceFaultRollback extends NovaException {
  static override readonly wireType: string = 'InstanceFaultRollback';
  constructor(readonly inner: Error) {
    super(`Instance rollback performed due to: ${inner.message}`);
  }
}
// --- evacuate ------------------------------------------------------------------------------
/** evacuate: the instance's compute service still reports (nova's servicegroup says up). */
export class ComputeServiceInUse extends NovaException {
  static override readonly wireType: string = 'ComputeServiceInUse';
  constructor(host: string) {
    super(`Compute service of ${host} is still in use.`);
  }
}
// --- shelve / unshelve -------------------------------------------------------------------
/** A zone or host asked of an unshelve whose server is not offloaded (nova's 409). */
export class UnshelveInstanceInvalidState extends Invalid {
  static override readonly wireType: string = 'UnshelveInstanceInvalidState';
  override readonly status: number = 409;
  constructor(state: string, instanceUuid: string) {
    super(`Specifying an availability zone or a host when unshelving server "${instanceUuid}" with status "${state}" is not supported. The server status must be SHELVED_OFFLOADED.`);
  }
}
export class UnshelveHostNotInAZ extends Invalid {
  static override readonly wireType: string = 'UnshelveHostNotInAZ';
  override readonly status: number = 409;
  constructor(host: string, az: string) {
    super(`Host "${host}" is not in the availability zone "${az}".`);
  }
}
export class UnshelveException extends NovaException {
  static override readonly wireType: string = 'UnshelveException';
  constructor(instanceUuid: string, reason: string) {
    super(`Error during unshelve instance ${instanceUuid}: ${reason}`);
  }
}
export class ComputeResourcesUnavailable extends ServiceUnavailableError {
  static override readonly wireType: string = 'ComputeResourcesUnavailable';
  constructor(reason: string) {
    super(`Insufficient compute resources: ${reason}.`);
  }
}
export class RescheduledException extends NovaException {
  static override readonly wireType: string = 'RescheduledException';
  constructor(instanceUuid: string, reason: string) {
    super(`Build of instance ${instanceUuid} was re-scheduled: ${reason}`);
  }
}
export class BuildAbortException extends NovaException {
  static override readonly wireType: string = 'BuildAbortException';
  constructor(instanceUuid: string, reason: string) {
    super(`Build of instance ${instanceUuid} aborted: ${reason}`);
  }
}
export class UnexpectedDeletingTaskState extends NovaException {
  static override readonly wireType: string = 'UnexpectedDeletingTaskStateError';
  constructor(expected: string, actual: string | null) {
    super(`Unexpected task state: expecting ${expected} but the actual state is ${actual}`);
  }
}
export class InterfaceAttachFailed extends NovaException {
  static override readonly wireType: string = 'InterfaceAttachFailed';
  constructor(instanceUuid: string) {
    super(`Failed to attach network adapter device to ${instanceUuid}`);
  }
}
export class InterfaceDetachFailed extends Invalid {
  static override readonly wireType: string = 'InterfaceDetachFailed';
  constructor(instanceUuid: string) {
    super(`Failed to detach network adapter device from ${instanceUuid}`);
  }
}
export class InstanceActionNotFound extends NovaException {
  static override readonly wireType: string = 'InstanceActionNotFound';
  override readonly status: number = 404;
  constructor(requestId: string, instanceUuid: string) {
    super(`Action for request_id ${requestId} on instance ${instanceUuid} not found`);
  }
}
export class TooManyInstances extends OverQuota {
  static override readonly wireType: string = 'TooManyInstances';
}
export class FlavorExists extends Conflict {
  static override readonly wireType: string = 'FlavorExists';
  constructor(name: string) {
    super(`Flavor with name ${name} already exists.`);
  }
}
export class FlavorIdExists extends Conflict {
  static override readonly wireType: string = 'FlavorIdExists';
  constructor(id: string) {
    super(`Flavor with ID ${id} already exists.`);
  }
}
export class PolicyNotAuthorized extends Forbidden {
  static override readonly wireType: string = 'PolicyNotAuthorized';
  constructor(action: string) {
    super(`Policy doesn't allow ${action} to be performed.`);
  }
}
export class ServiceNotFound extends NotFound {
  static override readonly wireType: string = 'ServiceNotFound';
  constructor(id: string) {
    super(`Service ${id} could not be found.`);
  }
}
export class ComputeHostNotFound extends NotFound {
  static override readonly wireType: string = 'ComputeHostNotFound';
  constructor(host: string) {
    super(`Compute host ${host} could not be found.`);
  }
}
export class HypervisorNotFound extends NotFound {
  static override readonly wireType: string = 'HypervisorNotFound';
  constructor(id: string) {
    super(`Hypervisor with ID '${id}' could not be found.`);
  }
}
export class MarkerNotFound extends NotFound {
  static override readonly wireType: string = 'MarkerNotFound';
  constructor(marker: string) {
    super(`Marker ${marker} could not be found.`);
  }
}
/** os-vif / the virt driver failed to plug a VIF. */
export class VirtualInterfacePlugException extends NovaException {
  static override readonly wireType: string = 'VirtualInterfacePlugException';
}
/** No network-vif-plugged in time (nova's eventlet.timeout.Timeout in _create_domain_and_network). */
export class InstanceEventTimeout extends NovaException {
  static override readonly wireType: string = 'InstanceEventTimeout';
}
/** Neutron answered something nova does not map (nova's NeutronClientException passthrough). */
export class NeutronClientException extends NovaException {
  static override readonly wireType: string = 'NeutronClientException';
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
  static override readonly wireType: string = 'Unauthorized';
  override readonly status: number = 401;
  constructor(message = 'Not authorized.') {
    super(message);
  }
}
/** nova's [neutron] service credentials were refused: the admin client could not get a valid token. */
export class NeutronAdminCredentialConfigurationInvalid extends Invalid {
  static override readonly wireType: string = 'NeutronAdminCredentialConfigurationInvalid';
  constructor() {
    super('Networking client is experiencing an unauthorized exception.');
  }
}
export class InterfaceAttachFailedNoNetwork extends Invalid {
  static override readonly wireType: string = 'InterfaceAttachFailedNoNetwork';
  constructor(projectId: string) {
    super(`No specific network was requested and none are available for project '${projectId}'.`);
  }
}
export class FixedIpInvalidOnHost extends Invalid {
  static override readonly wireType: string = 'FixedIpInvalidOnHost';
  constructor(portId: string) {
    super(`The fixed IP associated with port ${portId} is not compatible with the host.`);
  }
}
export class UnableToAutoAllocateNetwork extends Invalid {
  static override readonly wireType: string = 'UnableToAutoAllocateNetwork';
  constructor(projectId: string) {
    super(`Unable to automatically allocate a network for project ${projectId}`);
  }
}
export class PortBindingDeletionFailed extends NovaException {
  static override readonly wireType: string = 'PortBindingDeletionFailed';
  constructor(portIds: string, host: string) {
    super(`Failed to delete binding for port(s) ${portIds} on host ${host}.`);
  }
}

// Flavors, services and hypervisors (the admin resources of the compute API).
/** nova's FlavorAccessExists: a NovaException the API answers with 409. */
export class FlavorAccessExists extends NovaException {
  static override readonly wireType: string = 'FlavorAccessExists';
  override readonly status: number = 409;
  constructor(flavorId: string, projectId: string) {
    super(`Flavor access already exists for flavor ${flavorId} and project ${projectId} combination.`);
  }
}
export class FlavorAccessNotFound extends NotFound {
  static override readonly wireType: string = 'FlavorAccessNotFound';
  constructor(flavorId: string, projectId: string) {
    super(`Flavor access not found for ${flavorId} / ${projectId} combination.`);
  }
}
export class FlavorExtraSpecsNotFound extends NotFound {
  static override readonly wireType: string = 'FlavorExtraSpecsNotFound';
  constructor(flavorId: string, key: string) {
    super(`Flavor ${flavorId} has no extra specs with key ${key}.`);
  }
}
export class HostBinaryNotFound extends NotFound {
  static override readonly wireType: string = 'HostBinaryNotFound';
  constructor(host: string, binary: string) {
    super(`Could not find binary ${binary} on host ${host}.`);
  }
}
/** nova's ComputeServiceUnavailable (a ServiceUnavailable, which nova files under Invalid: 400). */
export class ComputeServiceUnavailable extends Invalid {
  static override readonly wireType: string = 'ComputeServiceUnavailable';
  constructor(host: string) {
    super(`Compute service of ${host} is unavailable at this time.`);
  }
}

// Boot requests nova refuses before creating anything (compute/api.py create).
/** nova's InvalidRequest: a 400 whose text the caller supplies (unavailable zone, ...). */
export class InvalidRequest extends Invalid {
  static override readonly wireType: string = 'InvalidRequest';
  constructor(message = 'The request is invalid.') {
    super(message);
  }
}
/** One requested port cannot serve several instances. */
export class MultiplePortsNotApplicable extends Invalid {
  static override readonly wireType: string = 'MultiplePortsNotApplicable';
  constructor(reason: string) {
    super(`Failed to launch instances: ${reason}`);
  }
}
/** One fixed IP cannot serve several instances. */
export class InvalidFixedIpAndMaxCountRequest extends Invalid {
  static override readonly wireType: string = 'InvalidFixedIpAndMaxCountRequest';
  constructor(reason: string) {
    super(`Failed to launch instances: ${reason}`);
  }
}
/** A 2.90 `hostname` with max_count > 1. */
export class AmbiguousHostnameForMultipleInstances extends Invalid {
  static override readonly wireType: string = 'AmbiguousHostnameForMultipleInstances';
  constructor() {
    super('Unable to allocate a single hostname to multiple instances');
  }
}
/** No keypair of that name for the user (the boot API answers 400 "Invalid key_name provided."). */
export class KeypairNotFound extends NotFound {
  static override readonly wireType: string = 'KeypairNotFound';
  constructor(name: string, userId: string) {
    super(`Keypair ${name} not found for user ${userId}`);
  }
}
/** More metadata items than the metadata_items quota (403 on boot and on the metadata API). */
export class MetadataLimitExceeded extends OverQuota {
  static override readonly wireType: string = 'MetadataLimitExceeded';
  constructor(allowed: number) {
    super(`Maximum number of metadata items exceeds ${allowed}`);
  }
}

// --- os-keypairs and os-server-groups -------------------------------------------------

/** A public key nova cannot read (400 on create). */
export class InvalidKeypair extends Invalid {
  static override readonly wireType: string = 'InvalidKeypair';
  constructor(reason: string) {
    super(`Keypair data is invalid: ${reason}`);
  }
}
/** The user already has a keypair of that name (409). */
export class KeyPairExists extends NovaException {
  static override readonly wireType: string = 'KeyPairExists';
  constructor(name: string) {
    super(`Key pair '${name}' already exists.`);
  }
}
/** key_pairs quota (the API answers 403 with this text). */
export class KeypairLimitExceeded extends OverQuota {
  static override readonly wireType: string = 'KeypairLimitExceeded';
  constructor() {
    super('Quota exceeded, too many key pairs.');
  }
}
/** No server group with that uuid (404 on the group's routes, 400 as a boot's group hint). */
export class InstanceGroupNotFound extends NotFound {
  static override readonly wireType: string = 'InstanceGroupNotFound';
  constructor(uuid: string) {
    super(`Instance group ${uuid} could not be found.`);
  }
}
/** server_group_members quota on boot (the API answers 403 with this text). */
export class GroupMemberLimitExceeded extends OverQuota {
  static override readonly wireType: string = 'GroupMemberLimitExceeded';
  constructor() {
    super('Quota exceeded, too many servers in group');
  }
}

// --- server actions (AC) ---
export class InstanceNotReady extends Invalid {
  static override readonly wireType: string = 'InstanceNotReady';
  constructor(uuid: string) {
    super(`Instance ${uuid} is not ready`);
  }
}

// --- object indirection ---
/** A service that holds no database handle (nova-compute) tried to reach the database. */
export class DBNotAllowed extends NovaException {
  static override readonly wireType: string = 'DBNotAllowed';
  constructor(binary: string) {
    super(`${binary} attempted direct database access which is not allowed by policy`);
  }
}

/** Nimbus's operator API: no fault with that id in force (removed, used up or expired). */
export class FaultNotFound extends NotFound {
  static override readonly wireType: string = 'FaultNotFound';
  constructor(id: string) {
    super(`Fault ${id} could not be found (removed, used up or expired).`);
  }
}

/** Nimbus's operator API: no snapshot of that name. */
export class SnapshotNotFound extends NotFound {
  static override readonly wireType: string = 'SnapshotNotFound';
  constructor(name: string) {
    super(`Snapshot ${name} could not be found.`);
  }
}

/** Nimbus's operator API: a snapshot needs a quiescent cloud (no task in progress). */
export class SnapshotCloudBusy extends Conflict {
  static override readonly wireType: string = 'SnapshotCloudBusy';
  constructor(busy: string) {
    super(`Cannot take or load a snapshot while tasks are in progress (${busy}); wait for them to finish.`);
  }
}

/**
 * Nimbus's operator API: one part of a snapshot (a database, a host) failed to save or
 * load; names the part, the ones done before it and the cause. A load may so be partial:
 * loading again, or another snapshot, puts every part back.
 */
export class SnapshotPartFailed extends NovaException {
  static override readonly wireType: string = 'SnapshotPartFailed';
  override readonly status: number = 500;
  constructor(op: 'save' | 'load', name: string, part: string, done: readonly string[], cause: unknown) {
    super(`Snapshot ${name}: ${op} of ${part} failed (${(cause as Error)?.message ?? String(cause)}); ${done.length ? `done before it: ${done.join(', ')}` : 'nothing done before it'}.`);
  }
}

/** Nimbus's operator API: this deployment cannot take snapshots (501, as nova's NotImplemented answers). */
export class SnapshotsUnsupported extends NovaException {
  static override readonly wireType: string = 'SnapshotsUnsupported';
  override readonly status: number = 501;
}
