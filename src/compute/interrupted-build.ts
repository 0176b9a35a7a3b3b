/**
 * A build the previous run of the process never finished, ended the way a failed build
 * ends (build.ts' BuildAbortException path): the network it allocated given back — the
 * ports nova made deleted, the ports the user gave unbound —, a fault saying why,
 * vm_state ERROR with no task_state, host and node, and the host's allocation released.
 *
 * Used by nova-compute's init_host (instances on its host, or with an allocation on it)
 * and by the embedded cloud's start for builds no host had taken yet. Zed's
 * _init_instance only sets ERROR (no fault, ports kept until the server is deleted);
 * Nimbus also cleans up, so an interrupted build leaves what any other failed build
 * leaves and the user sees why in the server's fault.
 */
import type { Logger } from '../common/log.js';
import type { NovaContext } from './context.js';
import { BuildAbortException } from './errors.js';
import type { NeutronAPI } from './network/neutron.js';
import { faultFromError } from './objects/faults.js';
import type { ComputeAllocations, ComputeInstances } from './objects/compute-data.js';
import type { Instance } from './objects/instance.js';
import { VmState } from './objects/states.js';
import type { VirtDriver } from './virt/driver.js';

export interface InterruptedBuildDeps {
  log: Logger;
  instances: ComputeInstances;
  allocations: Pick<ComputeAllocations, 'delete'>;
  network: NeutronAPI;
  /** The host's driver, when the build had reached a host (its guest and VIFs go too). */
  driver?: VirtDriver;
  /** The host recorded on the fault (null when no host had taken the build). */
  host: string | null;
}

/**
 * Ends an interrupted build in ERROR. The network goes first and the ERROR last, so a
 * crash in the middle leaves a BUILD instance the next start cleans up again. Never
 * throws for a neutron failure (logged; deleting the server gives the ports back later).
 */
export async function failInterruptedBuild(d: InterruptedBuildDeps, ctx: NovaContext, instance: Instance, reason: string): Promise<void> {
  const log = d.log.child({ instance: instance.uuid });
  const nwInfo = await d.instances.networkInfo(instance.uuid);
  if (d.driver) await d.driver.destroy(ctx, instance, nwInfo).catch((err) => log.warn({ err }, 'Failed to clean up the guest of an interrupted build'));
  try {
    // The requested ports are the user's even when the cache never recorded them.
    await d.network.deallocateForInstance(ctx, instance, nwInfo, { requestedNetworks: instance.requestedNetworks });
    await d.instances.saveNetworkInfo(instance.uuid, []);
  } catch (err) {
    log.error({ err }, 'Failed to deallocate networks');
  }
  const { network_allocated: _, ...rest } = instance.systemMetadata;
  await d.instances.addFault(instance.uuid, faultFromError(new BuildAbortException(instance.uuid, reason), d.host));
  await d.instances.save(instance.uuid, { vmState: VmState.ERROR, taskState: null, host: null, node: null, systemMetadata: { ...rest, network_allocated: 'False' } });
  await d.allocations.delete(instance.uuid);
}
