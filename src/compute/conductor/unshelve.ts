/**
 * nova-conductor's unshelve_instance (nova/conductor/manager.py): a SHELVED server is
 * started on its host (powering-on, start_instance); an offloaded one has its shelved
 * image looked up (get_image_info: a missing image is ERROR with a fault), a host
 * scheduled for its flavor (schedule_instances; a 2.91 host as the requested
 * destination) and unshelve_instance cast there. No valid host leaves it
 * SHELVED_OFFLOADED with no task state, as nova does.
 */
import { RemoteError } from '../../bus/bus.js';
import type { GlanceAPI } from '../image-api.js';
import { NoValidHost, UnshelveException } from '../errors.js';
import { faultFromError } from '../objects/faults.js';
import { TaskState, VmState } from '../objects/states.js';
import type { ComputeRpc, SchedulerRpc, UnshelveRequest } from '../rpc.js';
import type { ConductorDeps } from './manager.js';

export async function unshelveInstance(d: ConductorDeps & { image?: GlanceAPI }, rpc: { scheduler: SchedulerRpc; compute: ComputeRpc }, req: UnshelveRequest): Promise<void> {
  const log = d.log.child({ instance: req.instanceUuid, req: req.ctx.requestId });
  try {
    const instance = await d.instances.get(req.instanceUuid);
    if (instance.vmState === VmState.SHELVED) {
      await d.instances.save(instance.uuid, { taskState: TaskState.POWERING_ON }, { expectedTaskState: [TaskState.UNSHELVING] });
      await rpc.compute.powerAction(instance.host!, req.ctx, instance.uuid, 'start');
      return;
    }
    if (instance.vmState !== VmState.SHELVED_OFFLOADED) {
      log.error('Unshelve attempted but vm_state not SHELVED or SHELVED_OFFLOADED');
      await d.instances.save(instance.uuid, { vmState: VmState.ERROR });
      return;
    }
    const imageId = instance.systemMetadata.shelved_image_id ?? null;
    if (imageId && d.image) {
      await d.actions.wrap(instance.uuid, req.ctx.requestId, 'get_image_info', null, async () => {
        try {
          await d.image!.show(req.ctx, imageId);
        } catch (e) {
          const reason = `Unshelve attempted but the image ${imageId} cannot be found.`;
          log.error(reason);
          await d.instances.save(instance.uuid, { vmState: VmState.ERROR });
          await d.instances.addFault(instance.uuid, { ...faultFromError(e, null), message: reason });
          throw new UnshelveException(instance.uuid, reason);
        }
      });
    }
    let selection;
    try {
      selection = await d.actions.wrap(instance.uuid, req.ctx.requestId, 'schedule_instances', null, async () => (await rpc.scheduler.selectDestinations(req.ctx, req.requestSpec))[0]![0]!);
    } catch (e) {
      if (e instanceof NoValidHost || (e instanceof RemoteError && e.excType === NoValidHost.wireType)) {
        await d.instances.save(instance.uuid, { taskState: null });
        log.warn('No valid host found for unshelve instance');
        return;
      }
      throw e;
    }
    log.debug(`Scheduler selected host: ${selection.host}, node:${selection.node}`);
    await d.instances.save(instance.uuid, { availabilityZone: d.cfg.compute.default_availability_zone });
    await rpc.compute.unshelveInstance(selection.host, { ctx: req.ctx, instanceUuid: instance.uuid, imageId, node: selection.node });
  } catch (e) {
    log.error({ err: (e as Error).message }, 'Unshelve attempted but an error has occurred');
    await d.instances.save(req.instanceUuid, { taskState: null }).catch(() => undefined);
  }
}
