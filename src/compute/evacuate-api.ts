/**
 * nova-api's side of evacuate (nova/compute/api.py evacuate): the instance's state
 * (ACTIVE, STOPPED or ERROR, no task, launched; no lock check), its compute service
 * down (forced down or silent for service_down_time, else ComputeServiceInUse), then
 * task_state rebuilding, the evacuate action, the evacuation migration record in
 * `accepted` (the tombstone the source's init_host finds when it comes back), and the
 * conductor's rebuild_instance. A 2.29+ host without force becomes the request spec's
 * requested destination (the scheduler still checks it); an older one, or force=true,
 * is passed on as the forced host.
 */
import type { ComputeAPI, ComputeApiDeps } from './compute-api.js';
import type { NovaContext } from './context.js';
import { ComputeServiceInUse } from './errors.js';
import { Actions } from './objects/actions.js';
import type { Instance } from './objects/instance.js';
import { MigrationStatus, MigrationStore, MigrationType } from './objects/migration.js';
import { ServiceStore } from './objects/services.js';
import { TaskState, VmState } from './objects/states.js';
import type { RequestSpec } from './rpc.js';
import { checkAction, type ActionRule } from './server-actions.js';

/** @check_instance_state(vm_state=[ACTIVE, STOPPED, ERROR], task_state=None); evacuate has no @check_instance_lock. */
const EVACUATE_RULE: ActionRule = { method: 'evacuate', vmStates: [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR], taskStates: [null], mustHaveLaunched: true, needsHost: false, lockChecked: false };

export class EvacuateAPI {
  private readonly d: ComputeApiDeps;

  constructor(api: ComputeAPI) {
    this.d = api.d;
  }

  /**
   * evacuate: `host` null lets the scheduler choose; `force` true (or null before 2.29
   * with a host) skips the scheduler's filters for that host. Throws
   * InstanceInvalidState, ComputeServiceInUse or ComputeHostNotFound for the API to map.
   */
  async evacuate(ctx: NovaContext, instance: Instance, host: string | null, force: boolean | null): Promise<void> {
    const d = this.d;
    checkAction(instance, EVACUATE_RULE, ctx.isAdmin);
    const services = new ServiceStore(d.db, { clock: d.clock, random: d.random, serviceDownTimeS: d.cfg.compute.service_down_time });
    // Service.get_by_compute_host: ComputeHostNotFound when the source has no service.
    const service = await services.getComputeByHost(instance.host ?? '');
    if (services.isUp(service)) {
      d.log.error({ instance: instance.uuid }, `Instance compute service state on ${instance.host} expected to be down, but it was up.`);
      throw new ComputeServiceInUse(instance.host!);
    }
    const f = instance.flavor;
    const requestSpec: RequestSpec = {
      instanceUuid: instance.uuid,
      projectId: instance.projectId,
      flavor: { vcpus: f.vcpus, memory_mb: f.memory_mb, root_gb: f.root_gb, ephemeral_gb: f.ephemeral_gb, swap: f.swap },
      availabilityZone: instance.availabilityZone,
      ignoreHosts: [],
      numInstances: 1,
      requestedDestination: null,
    };
    await d.instances.save(instance.uuid, { taskState: TaskState.REBUILDING }, { expectedTaskState: [null] });
    await d.actions.start({ instanceUuid: instance.uuid, action: Actions.EVACUATE, requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId });
    // "Create this as a tombstone for the source compute to find and cleanup."
    const migrations = new MigrationStore(d.db, () => d.clock.now());
    const migration = await migrations.create({
      uuid: d.random.uuid(),
      instanceUuid: instance.uuid,
      sourceCompute: instance.host,
      sourceNode: instance.node,
      oldInstanceTypeId: null,
      newInstanceTypeId: null,
      status: MigrationStatus.ACCEPTED,
      migrationType: MigrationType.EVACUATION,
      userId: ctx.userId,
      projectId: ctx.projectId,
    });
    if (host) await migrations.save(migration.uuid, { destCompute: host });
    let forced = host;
    if (force === false && host) {
      // The scheduler checks the requested host (its first node) like any other.
      const [node] = await services.computeNodesByHostOrNode(host, null);
      requestSpec.requestedDestination = { host: node?.host ?? host, node: node?.hypervisor_hostname ?? null };
      forced = null;
    }
    await d.conductor.rebuildInstance({ ctx, instanceUuid: instance.uuid, host: forced, requestSpec });
  }
}
