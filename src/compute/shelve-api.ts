/**
 * nova-api's side of shelve, shelve-offload and unshelve (nova/compute/api.py shelve,
 * shelve_offload, unshelve): shelve snapshots into a "<name>-shelved" image and casts
 * shelve_instance to the host; shelveOffload (SHELVED only) casts
 * shelve_offload_instance; unshelve (SHELVED or SHELVED_OFFLOADED; a zone or host only
 * for an offloaded server) goes to the conductor, which starts a SHELVED server in place
 * or schedules an offloaded one.
 */
import type { ComputeAPI, ComputeApiDeps } from './compute-api.js';
import type { NovaContext } from './context.js';
import { ComputeHostNotFound, InvalidRequest, UnshelveHostNotInAZ, UnshelveInstanceInvalidState } from './errors.js';
import { Actions } from './objects/actions.js';
import type { Instance } from './objects/instance.js';
import { ServiceStore } from './objects/services.js';
import { TaskState, VmState } from './objects/states.js';
import { type ActionRule, checkAction } from './server-actions.js';
import { ServerActionsAPI } from './server-actions.js';

const rule = (method: string, vmStates: string[]): ActionRule => ({ method, vmStates, taskStates: [null], mustHaveLaunched: true, needsHost: false, lockChecked: true });
const SHELVE = rule('shelve', [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED]);
const SHELVE_OFFLOAD = rule('shelve_offload', [VmState.SHELVED]);
const UNSHELVE = rule('unshelve', [VmState.SHELVED, VmState.SHELVED_OFFLOADED]);

/** unshelve's optional arguments: `newAz` undefined = not given, null = unpin (2.91). */
export interface UnshelveOptions {
  newAz?: string | null;
  host?: string | null;
  /** The unshelve_to_host policy check, made where nova makes it (after the zone's). */
  authorizeHost?: () => void;
}

export class ShelveAPI {
  private readonly d: ComputeApiDeps;
  constructor(private readonly api: ComputeAPI) {
    this.d = api.d;
  }

  #record(ctx: NovaContext, instance: Instance, action: string): Promise<void> {
    return this.d.actions.start({ instanceUuid: instance.uuid, action, requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId });
  }

  /** shelve: shelving, the action, the "<name>-shelved" snapshot image, the cast. */
  async shelve(ctx: NovaContext, instance: Instance): Promise<void> {
    checkAction(instance, SHELVE, ctx.isAdmin);
    await this.d.instances.save(instance.uuid, { taskState: TaskState.SHELVING, systemMetadata: { ...instance.systemMetadata, image_base_image_ref: instance.imageRef } }, { expectedTaskState: [null] });
    await this.#record(ctx, instance, Actions.SHELVE);
    const image = await new ServerActionsAPI(this.api).createImage(ctx, instance, `${instance.displayName}-shelved`, 'snapshot', {});
    await this.d.compute.shelveInstance(instance.host!, { ctx, instanceUuid: instance.uuid, imageId: image.id });
  }

  /** shelve_offload: a SHELVED server leaves its host. */
  async shelveOffload(ctx: NovaContext, instance: Instance): Promise<void> {
    checkAction(instance, SHELVE_OFFLOAD, ctx.isAdmin);
    await this.d.instances.save(instance.uuid, { taskState: TaskState.SHELVING_OFFLOADING }, { expectedTaskState: [null] });
    await this.#record(ctx, instance, Actions.SHELVE_OFFLOAD);
    await this.d.compute.shelveOffloadInstance(instance.host!, { ctx, instanceUuid: instance.uuid });
  }

  /**
   * unshelve: a zone (2.77) must be available and a host (2.91, checked by the caller's
   * policy) must exist in the zone the server ends up in; both only for an offloaded
   * server. Then unshelving, the action, and the conductor.
   */
  async unshelve(ctx: NovaContext, instance: Instance, o: UnshelveOptions = {}): Promise<void> {
    const d = this.d;
    checkAction(instance, UNSHELVE, ctx.isAdmin);
    const azPassed = o.newAz !== undefined;
    if ((azPassed || o.host) && instance.vmState !== VmState.SHELVED_OFFLOADED) throw new UnshelveInstanceInvalidState(instance.vmState, instance.uuid);
    const services = new ServiceStore(d.db, { clock: d.clock, random: d.random, serviceDownTimeS: d.cfg.compute.service_down_time });
    if (azPassed && o.newAz) {
      const zones = await services.availableZones(d.cfg.compute.default_availability_zone);
      if (!zones.includes(o.newAz)) throw new InvalidRequest('The requested availability zone is not available');
    }
    // The request spec's zone is the one the boot asked for (the instance's, here).
    const zone = azPassed ? (o.newAz ?? null) : instance.availabilityZone;
    if (o.host) {
      o.authorizeHost?.();
      const [node] = await services.computeNodesByHostOrNode(o.host, null);
      if (!node) throw new ComputeHostNotFound(o.host);
      if (zone !== null && zone !== d.cfg.compute.default_availability_zone) throw new UnshelveHostNotInAZ(o.host, zone);
    }
    await d.instances.save(instance.uuid, { taskState: TaskState.UNSHELVING, ...(azPassed ? { availabilityZone: zone } : {}) }, { expectedTaskState: [null] });
    await this.#record(ctx, instance, Actions.UNSHELVE);
    const f = instance.flavor;
    await d.conductor.unshelveInstance({
      ctx,
      instanceUuid: instance.uuid,
      requestSpec: {
        instanceUuid: instance.uuid,
        projectId: instance.projectId,
        flavor: { vcpus: f.vcpus, memory_mb: f.memory_mb, root_gb: f.root_gb, ephemeral_gb: f.ephemeral_gb, swap: f.swap },
        availabilityZone: zone,
        ignoreHosts: [],
        numInstances: 1,
        requestedDestination: o.host ? { host: o.host, node: null } : null,
      },
    });
  }
}
