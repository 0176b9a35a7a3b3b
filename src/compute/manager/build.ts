/**
 * The build of one instance on this host (nova/compute/manager.py
 * _do_build_and_run_instance / _build_and_run_instance / _build_resources), step by
 * step in nova's order:
 *   building/none → networks (allocate_for_instance in the background, with retries;
 *   or, on a reschedule whose network is already allocated, setup_instance_network_on_host)
 *   → block_device_mapping → spawning (the driver plugs VIFs and waits for
 *   network-vif-plugged) → active.
 * Failures end as nova ends them: a RescheduledException goes back to the conductor for
 * the next alternate host (ports kept, binding moved later); anything else aborts the
 * build (ERROR + fault) after deallocating what the build allocated.
 */
import type { Logger } from '../../common/log.js';
import { isoMicros } from '../../common/clock.js';
import {
  BuildAbortException,
  ExternalNetworkAttachForbidden,
  FlavorDiskTooSmall,
  FlavorMemoryTooSmall,
  ImageNotActive,
  ImageUnacceptable,
  InstanceNotFound,
  InvalidInput,
  NoMoreFixedIps,
  NovaException,
  RescheduledException,
  UnexpectedDeletingTaskState,
  VirtualInterfaceCreateException,
  VirtualInterfaceMacAddressException,
} from '../errors.js';
import type { NetworkInfo } from '../network/model.js';
import { faultFromError } from '../objects/faults.js';
import { type Instance, UnexpectedTaskStateError } from '../objects/instance.js';
import { PowerState, TaskState, VmState } from '../objects/states.js';
import type { BuildRequest } from '../rpc.js';
import type { ComputeDeps } from './deps.js';
import { allocationRetryDelays } from './retry.js';

/** block_device.DEFAULT_ROOT_DEV_NAME (/dev/sda1) reduced to its disk by get_next_device_name. */
const DEFAULT_ROOT_DEVICE_NAME = '/dev/sda';

type BuildResult = 'active' | 'failed' | 'rescheduled';

export class Builder {
  constructor(private readonly d: ComputeDeps) {}

  /** _do_build_and_run_instance, inside the compute__do_build_and_run_instance event; one trace step enclosing the build's. */
  async run(req: BuildRequest & { node: string }): Promise<BuildResult> {
    const span = this.d.trace?.start({ requestId: req.ctx.requestId, instanceUuid: req.instanceUuid, parentId: req.ctx.spanId ?? null }, 'nova-compute', 'build_and_run_instance', { host: this.d.host, node: req.node });
    if (!span) return this.#run(req);
    const result = await this.#run({ ...req, ctx: { ...req.ctx, spanId: span.id } });
    span.end({ result }, result === 'failed' ? 'build failed' : undefined);
    return result;
  }

  /** A task_state the build went through, for the trace. */
  #state(req: BuildRequest, vmState: string, taskState: string | null): void {
    this.d.trace?.point({ requestId: req.ctx.requestId, instanceUuid: req.instanceUuid, parentId: req.ctx.spanId ?? null }, 'nova-compute', 'task_state', { vm_state: vmState, task_state: taskState });
  }

  /** Runs `fn` as a traced step of the build (nested under the build's span). */
  #step<T>(req: BuildRequest, step: string, fn: (ctx: BuildRequest['ctx']) => Promise<T>, detail?: Record<string, unknown>): Promise<T> {
    const t = this.d.trace;
    if (!t) return fn(req.ctx);
    return t.span({ requestId: req.ctx.requestId, instanceUuid: req.instanceUuid, parentId: req.ctx.spanId ?? null }, 'nova-compute', step, (inner) => fn({ ...req.ctx, spanId: inner.parentId! }), detail);
  }

  async #run(req: BuildRequest & { node: string }): Promise<BuildResult> {
    const d = this.d;
    const log = d.log.child({ instance: req.instanceUuid, req: req.ctx.requestId });
    let instance: Instance;
    try {
      log.debug('Starting instance...');
      instance = await d.instances.save(
        req.instanceUuid,
        { vmState: VmState.BUILDING, taskState: null, host: d.host, node: req.node, launchedOn: d.host },
        { expectedTaskState: [TaskState.SCHEDULING, null] },
      );
    } catch (e) {
      log.debug(e instanceof InstanceNotFound ? 'Instance disappeared before build.' : (e as Error).message);
      await d.allocations.delete(req.instanceUuid);
      return 'failed';
    }
    const result = await d.actions.wrap(instance.uuid, req.ctx.requestId, 'compute__do_build_and_run_instance', d.host, async () => {
      const started = d.clock.now();
      try {
        await this.#buildAndRun(req, instance, log);
        log.info(`Took ${((d.clock.now() - started) / 1000).toFixed(2)} seconds to build instance.`);
        return 'active' as const;
      } catch (e) {
        return this.#handleFailure(req, instance, e, log);
      }
    }).catch(() => 'failed' as const);
    if (result === 'failed') await d.allocations.delete(instance.uuid);
    await this.#updateUsage();
    return result;
  }

  async #updateUsage(): Promise<void> {
    await this.d.onUsageChanged?.();
  }

  /** The except-clauses of _do_build_and_run_instance. */
  async #handleFailure(req: BuildRequest, instance: Instance, e: unknown, log: Logger): Promise<BuildResult> {
    const d = this.d;
    if (e instanceof RescheduledException) {
      // scheduler_utils.populate_retry: no retry info with one attempt or a forced host/node.
      const spec = req.requestSpec;
      const canRetry = d.cfg.compute.max_attempts > 1 && spec.forceHosts?.length !== 1 && spec.forceNodes?.length !== 1;
      if (!canRetry) {
        log.debug('Retry info not present, will not reschedule');
        await this.#cleanupAllocatedNetworks(req, instance, log);
        await d.instances.addFault(instance.uuid, faultFromError(e, d.host, [], reasonOf(e)));
        await this.#setError(instance.uuid);
        throw e;
      }
      log.debug(e.message);
      // The seed's reschedule: ports stay allocated; the next host re-points their binding.
      await d.network.cleanupInstanceNetworkOnHost(req.ctx, instance, d.host);
      await d.instances.save(instance.uuid, { host: null, node: null, taskState: TaskState.SCHEDULING });
      await d.allocations.delete(instance.uuid);
      const tried = [...req.tried, { host: d.host, reason: reasonOf(e) }];
      await d.conductor.buildInstances({
        ...req,
        attempt: req.attempt + 1,
        tried,
        requestSpec: { ...req.requestSpec, ignoreHosts: [...req.requestSpec.ignoreHosts, d.host] },
      });
      return 'rescheduled';
    }
    if (e instanceof InstanceNotFound || e instanceof UnexpectedDeletingTaskState) {
      log.debug('Instance disappeared during build.');
      await this.#cleanupAllocatedNetworks(req, instance, log);
      return 'failed';
    }
    if (e instanceof BuildAbortException) log.error(e.message);
    else log.error({ err: e }, 'Unexpected build failure, not rescheduling build.');
    await this.#cleanupAllocatedNetworks(req, instance, log);
    await d.instances.addFault(instance.uuid, faultFromError(e, d.host));
    await this.#setError(instance.uuid);
    throw e;
  }

  async #setError(uuid: string): Promise<void> {
    await this.d.instances.save(uuid, { vmState: VmState.ERROR, taskState: null, host: null, node: null }).catch(() => undefined);
  }

  /** _cleanup_allocated_networks: deallocate and mark network_allocated False. */
  async #cleanupAllocatedNetworks(req: BuildRequest, instance: Instance, log: Logger): Promise<void> {
    const d = this.d;
    try {
      const cached = await d.instances.networkInfo(instance.uuid);
      const nwInfo = cached.length ? cached : await d.network.getInstanceNwInfo(req.ctx, instance).catch(() => [] as NetworkInfo);
      await d.network.deallocateForInstance(req.ctx, instance, nwInfo);
      await d.instances.saveNetworkInfo(instance.uuid, []);
    } catch (err) {
      log.error({ err }, 'Failed to deallocate networks');
    }
    const fresh = await d.instances.find(instance.uuid);
    if (fresh) {
      const { network_allocated: _, ...rest } = fresh.systemMetadata;
      await d.instances.save(instance.uuid, { systemMetadata: { ...rest, network_allocated: 'False' } }).catch(() => undefined);
    }
  }

  /** _build_and_run_instance. */
  async #buildAndRun(req: BuildRequest, instance: Instance, log: Logger): Promise<void> {
    const d = this.d;
    const sysmeta = { ...instance.systemMetadata, boot_roles: req.ctx.roles.join(',') };
    instance = await d.instances.save(instance.uuid, { systemMetadata: sysmeta });
    let nwInfo: Promise<NetworkInfo>;
    try {
      try {
        log.debug('Start building networks asynchronously for instance.');
        nwInfo = (await this.#buildNetworks(req, instance, log)).info;
      } catch (e) {
        if (e instanceof InstanceNotFound || e instanceof UnexpectedDeletingTaskState) throw e;
        if (e instanceof UnexpectedTaskStateError) throw new BuildAbortException(instance.uuid, e.message);
        log.error({ err: e }, 'Failed to allocate network(s)');
        throw new BuildAbortException(instance.uuid, 'Failed to allocate the network(s), not rescheduling.');
      }
      log.debug('Start building block device mappings for instance.');
      // _default_block_device_names: the fake driver has no default_root_device_name, so
      // nova falls back to compute_utils.get_next_device_name(instance, []) = '/dev/sda'.
      const rootDeviceName = instance.rootDeviceName ?? DEFAULT_ROOT_DEVICE_NAME;
      instance = await d.instances.save(instance.uuid, { vmState: VmState.BUILDING, taskState: TaskState.BLOCK_DEVICE_MAPPING, rootDeviceName });
      this.#state(req, VmState.BUILDING, TaskState.BLOCK_DEVICE_MAPPING);
      instance = await d.instances.save(instance.uuid, { vmState: VmState.BUILDING, taskState: TaskState.SPAWNING }, { expectedTaskState: [TaskState.BLOCK_DEVICE_MAPPING] });
      this.#state(req, VmState.BUILDING, TaskState.SPAWNING);
      log.debug('Start spawning the instance on the hypervisor.');
      const started = d.clock.now();
      try {
        const spawning = instance;
        await this.#step(req, 'spawn', (ctx) => d.driver.spawn(ctx, spawning, nwInfo));
      } catch (e) {
        if (!(e instanceof InstanceNotFound || e instanceof UnexpectedDeletingTaskState)) log.error({ err: errMsg(e) }, 'Instance failed to spawn');
        // _build_resources' cleanup: shut the guest down; networks are dealt with by the caller.
        const info = await nwInfo.catch(() => [] as NetworkInfo);
        await d.driver.destroy(req.ctx, instance, info).catch(() => undefined);
        throw e;
      }
      log.info(`Took ${((d.clock.now() - started) / 1000).toFixed(2)} seconds to spawn the instance on the hypervisor.`);
    } catch (e) {
      const out = classifyBuildFailure(instance.uuid, e);
      if (out !== e) log.error({ err: errMsg(e) }, out instanceof RescheduledException ? 'Failed to build and run instance' : 'Failed to allocate network(s)');
      throw out;
    }
    const fresh = await d.instances.get(instance.uuid);
    const { network_allocated: _, ...rest } = fresh.systemMetadata;
    await d.instances.save(
      instance.uuid,
      { systemMetadata: rest, powerState: PowerState.RUNNING, vmState: VmState.ACTIVE, taskState: null, launchedAt: isoMicros(d.clock.now()) },
      { expectedTaskState: [TaskState.SPAWNING] },
    );
    this.#state(req, VmState.ACTIVE, null);
  }

  /**
   * _build_networks_for_instance. Resolves once the allocation has *started*: the
   * returned `info` is NetworkInfoAsyncWrapper, awaited by spawn, so an allocation
   * failure surfaces there (and is rescheduled), as in nova.
   */
  async #buildNetworks(req: BuildRequest, instance: Instance, log: Logger): Promise<{ info: Promise<NetworkInfo> }> {
    const d = this.d;
    if (instance.systemMetadata['network_allocated'] === 'True') {
      // A reschedule: the ports exist; bind them to this host instead.
      await d.network.setupInstanceNetworkOnHost(req.ctx, instance, d.host);
      const info = await d.cacheLocks.run(instance.uuid, async () => {
        const fresh = await d.network.getInstanceNwInfo(req.ctx, instance, await d.instances.networkInfo(instance.uuid));
        await d.instances.saveNetworkInfo(instance.uuid, fresh);
        return fresh;
      });
      return { info: Promise.resolve(info) };
    }
    const macs = d.driver.macsForInstance(instance);
    await d.instances.save(instance.uuid, { vmState: VmState.BUILDING, taskState: TaskState.NETWORKING }, { expectedTaskState: [null] });
    this.#state(req, VmState.BUILDING, TaskState.NETWORKING);
    const p = this.#allocateNetworkAsync(req, instance, macs, log);
    p.catch(() => undefined);
    return { info: p };
  }

  /** _allocate_network_async: allocate_for_instance with network_allocate_retries. */
  async #allocateNetworkAsync(req: BuildRequest, instance: Instance, macs: string[] | null, log: Logger): Promise<NetworkInfo> {
    const d = this.d;
    const delays = allocationRetryDelays(d.cfg.compute.network_allocate_retries);
    const attempts = delays.length + 1;
    log.debug('Allocating IP information in the background.');
    for (let attempt = 1; ; attempt++) {
      try {
        const nwInfo = await this.#step(req, 'allocate_for_instance', (ctx) => d.network.allocateForInstance(ctx, instance, {
          requestedNetworks: instance.requestedNetworks,
          securityGroups: instance.securityGroups,
          bindHostId: d.driver.networkBindingHostId(instance),
          macs,
          availabilityZone: instance.availabilityZone ?? d.cfg.compute.default_availability_zone,
        }), { attempt });
        log.debug(`Instance network_info: |${JSON.stringify(nwInfo)}|`);
        await d.cacheLocks.run(instance.uuid, () => d.instances.saveNetworkInfo(instance.uuid, nwInfo));
        const fresh = await d.instances.get(instance.uuid);
        await d.instances.save(instance.uuid, { systemMetadata: { ...fresh.systemMetadata, network_allocated: 'True' } });
        return nwInfo;
      } catch (e) {
        if (attempt === attempts) {
          log.error({ err: errMsg(e) }, `Instance failed network setup after ${attempts} attempt(s)`);
          throw e;
        }
        log.warn(`Instance failed network setup (attempt ${attempt} of ${attempts})`);
        await d.clock.sleep(delays[attempt - 1]! * 1000);
      }
    }
  }
}

/**
 * _build_and_run_instance's except-clauses: which failures abort the build (ERROR, no
 * reschedule) and which go back to the conductor for another host.
 */
export function classifyBuildFailure(instanceUuid: string, e: unknown): unknown {
  if (e instanceof InstanceNotFound || e instanceof UnexpectedDeletingTaskState || e instanceof BuildAbortException) return e;
  if (e instanceof NoMoreFixedIps) return new BuildAbortException(instanceUuid, `Failed to allocate the network(s) with error ${e.message}, not rescheduling.`);
  if (e instanceof ExternalNetworkAttachForbidden || e instanceof VirtualInterfaceCreateException || e instanceof VirtualInterfaceMacAddressException) {
    return new BuildAbortException(instanceUuid, 'Failed to allocate the network(s), not rescheduling.');
  }
  if (e instanceof FlavorDiskTooSmall || e instanceof FlavorMemoryTooSmall || e instanceof ImageNotActive || e instanceof ImageUnacceptable || e instanceof InvalidInput) {
    return new BuildAbortException(instanceUuid, (e as Error).message);
  }
  return new RescheduledException(instanceUuid, e instanceof NovaException ? e.message : String((e as Error)?.message ?? e));
}

function reasonOf(e: RescheduledException): string {
  return e.message.replace(/^Build of instance \S+ was re-scheduled: /, '');
}

function errMsg(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

