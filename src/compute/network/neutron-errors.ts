/**
 * How nova's neutron API turns neutron's errors into nova's exceptions, one function per
 * call site of nova/network/neutron.py (_create_port_minimal, _update_port, _show_port).
 * Pure: each returns the exception to raise and the warning nova logs; an error it does
 * not map comes back unchanged (nova lets neutronclient's exception through).
 */
import { FixedIpAlreadyInUse, FixedIpInvalidOnHost, InvalidInput, NeutronClientException, NoMoreFixedIps, NovaException, PortBindingFailed, PortInUse, PortLimitExceeded, PortNotFound } from '../errors.js';
import { type PortDict, isNeutronError } from './neutron-client.js';
import { VIF_TYPE_BINDING_FAILED } from './model.js';

export interface Mapped {
  error: Error;
  /** nova's LOG.warning text, when nova logs one. */
  warning?: string;
}

/** Sets a nova exception's message, as nova's `Exc(message=...)` overrides msg_fmt. */
export function withMessage<E extends Error>(e: E, message: string): E {
  e.message = message;
  return e;
}

/**
 * POST /ports failed (_create_port_minimal): InvalidIpForNetwork → InvalidInput,
 * IpAddressInUse/IpAddressAlreadyAllocated → FixedIpAlreadyInUse("Fixed IP %s is already
 * in use.", which an interface attach answers with 409), OverQuota → PortLimitExceeded,
 * IpAddressGenerationFailure → NoMoreFixedIps, MacAddressInUse → PortInUse (the MAC nova
 * chose from the driver's available MACs).
 */
export function mapCreatePortError(e: unknown, req: { networkId: string; fixedIp?: string | null; tenantId: string; mac?: string | null }): Mapped {
  const ip = req.fixedIp ?? 'None';
  if (isNeutronError(e, 'InvalidIpForNetwork', 'InvalidIpForSubnet')) {
    return {
      error: new InvalidInput(`Fixed IP ${ip} is not a valid ip address for network ${req.networkId}.`),
      warning: `Neutron error: ${ip} is not a valid IP address for network ${req.networkId}.`,
    };
  }
  if (isNeutronError(e, 'IpAddressInUse', 'IpAddressAlreadyAllocated')) {
    return { error: withMessage(new FixedIpAlreadyInUse(ip, ''), `Fixed IP ${ip} is already in use.`), warning: `Neutron error: Fixed IP ${ip} is already in use.` };
  }
  if (isNeutronError(e, 'OverQuota')) {
    return { error: new PortLimitExceeded(), warning: `Neutron error: Port quota exceeded in tenant: ${req.tenantId}` };
  }
  if (isNeutronError(e, 'IpAddressGenerationFailure')) {
    return { error: new NoMoreFixedIps(req.networkId), warning: `Neutron error: No more fixed IPs in network: ${req.networkId}` };
  }
  if (isNeutronError(e, 'MacAddressInUse')) {
    const mac = req.mac ?? 'None';
    return { error: new PortInUse(mac), warning: `Neutron error: MAC address ${mac} is already in use on network ${req.networkId}.` };
  }
  return { error: e as Error };
}

/** PUT /ports/<id> failed (_update_port): MacAddressInUse → PortInUse, HostNotCompatibleWithFixedIps → FixedIpInvalidOnHost. */
export function mapUpdatePortError(e: unknown, req: { portId: string; mac?: string | null; networkId?: string | null }): Mapped {
  if (isNeutronError(e, 'MacAddressInUse')) {
    const mac = req.mac ?? 'None';
    return { error: new PortInUse(mac), warning: `Neutron error: MAC address ${mac} is already in use on network ${req.networkId ?? 'None'}.` };
  }
  if (isNeutronError(e, 'HostNotCompatibleWithFixedIps')) {
    return {
      error: new FixedIpInvalidOnHost(req.portId),
      warning: `Neutron error: Tried to bind a port with fixed_ips to a host in the wrong segment on network ${req.networkId ?? 'None'}.`,
    };
  }
  return { error: e as Error };
}

/** GET /ports/<id> failed (_show_port): PortNotFound → PortNotFound; anything else from neutron → "Failed to access port". */
export function mapShowPortError(e: unknown, portId: string): Error {
  if (isNeutronError(e, 'PortNotFound')) return new PortNotFound(portId);
  if (e instanceof NeutronClientException) return new NovaException(`Failed to access port ${portId}: ${e.message}`);
  return e as Error;
}

/** nova's _ensure_no_port_binding_failure: a port neutron could not bind is PortBindingFailed. */
export function ensureNoBindingFailure(port: PortDict): void {
  if (port['binding:vif_type'] === VIF_TYPE_BINDING_FAILED) throw new PortBindingFailed(port.id);
}
