/**
 * The VIF driver's failures as nova names them (nova/exception.py, Zed):
 * VirtualInterfacePlugException ("Virtual interface plugin failed" unless the raiser
 * gives its own text, as libvirt's vif driver does) and VirtualInterfaceUnplugException
 * ("Failed to unplug virtual interface: %(reason)s"). Both are NovaException's 500.
 */
import { OpenStackError } from '../../common/errors.js';

/** Plugging a VIF on the host failed (nova.exception.VirtualInterfacePlugException). */
export class VirtualInterfacePlugException extends OpenStackError {
  static override readonly wireType: string = 'VirtualInterfacePlugException';
  override readonly status: number = 500;
  constructor(message = 'Virtual interface plugin failed') {
    super(message);
  }
}

/** Unplugging a VIF from the host failed (nova.exception.VirtualInterfaceUnplugException). */
export class VirtualInterfaceUnplugException extends OpenStackError {
  static override readonly wireType: string = 'VirtualInterfaceUnplugException';
  override readonly status: number = 500;
  constructor(readonly reason: string) {
    super(`Failed to unplug virtual interface: ${reason}`);
  }
}
