/**
 * The exceptions of neutron's multiple port bindings (binding-extended), with
 * neutron-lib's class names and message texts (neutron_lib/exceptions/__init__.py).
 * Nova's live migration reads them: PortBindingAlreadyExists on a retried bind, and a
 * PortBindingError aborts the migration before anything moved.
 */
import { Conflict, NotFound, OpenStackError } from '../common/errors.js';

/** No binding of this port for this host (or none INACTIVE there, for activate). */
export class PortBindingNotFound extends NotFound {
  static override readonly wireType: string = 'PortBindingNotFound';
  constructor(portId: string, host: string) {
    super(`Binding for port ${portId} for host ${host} could not be found.`);
  }
}

/** Activating the binding that is already the port's active one. */
export class PortBindingAlreadyActive extends Conflict {
  static override readonly wireType: string = 'PortBindingAlreadyActive';
  constructor(portId: string, host: string) {
    super(`Binding for port ${portId} on host ${host} is already active.`);
  }
}

/** Creating a second binding of one port for one host. */
export class PortBindingAlreadyExists extends Conflict {
  static override readonly wireType: string = 'PortBindingAlreadyExists';
  constructor(portId: string, host: string) {
    super(`Binding for port ${portId} on host ${host} already exists.`);
  }
}

/**
 * The mechanism drivers could not bind the port on that host (binding_failed). A plain
 * NeutronException in neutron-lib, so neutron's API answers it with 500.
 */
export class PortBindingError extends OpenStackError {
  static override readonly wireType: string = 'PortBindingError';
  constructor(portId: string, host: string) {
    super(`Binding for port ${portId} on host ${host} could not be created or updated.`);
  }
}
