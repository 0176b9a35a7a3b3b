/** Why the linux host driver cannot run on this machine (raised by its start-up check). */
import { OpenStackError } from '../../common/errors.js';

/** What the linux host driver found missing. */
export type HostRequirement = 'root' | 'ip' | 'ovs-vsctl' | 'ovsdb-server' | 'netns';

/** The linux host driver's start-up check failed: the message names what is missing and how to get it. */
export class HostDriverUnavailable extends OpenStackError {
  static override readonly wireType: string = 'HostDriverUnavailable';
  override readonly status: number = 500;
  constructor(
    readonly missing: HostRequirement,
    reason: string,
  ) {
    super(`host_driver = linux cannot run: ${reason}`);
  }
}

/** [DEFAULT] host_driver names no driver, or the linux driver is configured in a way it cannot run. */
export class HostDriverConfigError extends OpenStackError {
  static override readonly wireType: string = 'HostDriverConfigError';
  override readonly status: number = 500;
}
