/**
 * nova-conductor's live migration (conductor/manager.py _live_migrate and
 * conductor/tasks/live_migrate.py LiveMigrationTask): a migration record ('accepted',
 * type live-migration), then the task's checks in nova's order — the instance running or
 * paused, the source's service up, the source allocation handed to the migration — and
 * the destination: a forced host is checked (not the source, up, same hypervisor type,
 * version not older) and claimed directly; otherwise the scheduler picks one (the source
 * and every refused host ignored, a non-forced host as the only candidate). On the chosen
 * host check_can_live_migrate_destination (which asks the source) runs, then
 * _bind_ports_on_destination makes an INACTIVE binding there for each port: a binding
 * that fails deletes the ones made and refuses the host (MigrationPreCheckError) before
 * anything moved. Then live_migration is cast to the source.
 *
 * Failures end as nova's: the known pre-check errors leave the instance in its vm_state
 * with no task state and a fault, the migration in error and the allocation back with
 * the instance; anything else puts the instance in ERROR and is raised as MigrationError.
 * migrate_max_retries is nova's default (-1): hosts are tried until the scheduler has none.
 */
import { MessagingTimeout, RemoteError } from '../../bus/bus.js';
import type { Random } from '../../common/clock.js';
import {
  ComputeHostNotFound,
  ComputeServiceUnavailable,
  DestinationHypervisorTooOld,
  InstanceInvalidState,
  InvalidHypervisorType,
  MigrationError,
  MigrationPreCheckError,
  NoValidHost,
  PortBindingFailed,
  UnableToMigrateToSelf,
} from '../errors.js';
import { faultFromError } from '../objects/faults.js';
import type { Instance } from '../objects/instance.js';
import { type Migration, MigrationStatus, MigrationStore, MigrationType } from '../objects/migration.js';
import { ServiceStore } from '../objects/services.js';
import { PowerState, TaskState, VmState } from '../objects/states.js';
import type { ComputeRpc, LiveMigrateData, LiveMigrateRequest, LiveMigrationArgs, SchedulerRpc } from '../rpc.js';
import { allocate, deleteAllocation, moveAllocation } from '../db/allocations.js';
import type { ConductorDeps } from './manager.js';

type Deps = ConductorDeps & { random: Random };
type Rpc = { scheduler: SchedulerRpc; compute: ComputeRpc };

/** The errors _live_migrate expects: the instance keeps its vm_state (set_vm_state_and_notify). */
const EXPECTED = new Set<string>([
  NoValidHost.wireType,
  ComputeHostNotFound.wireType,
  ComputeServiceUnavailable.wireType,
  InvalidHypervisorType.wireType,
  'InvalidCPUInfo',
  UnableToMigrateToSelf.wireType,
  DestinationHypervisorTooOld.wireType,
  'InvalidLocalStorage',
  'InvalidSharedStorage',
  'HypervisorUnavailable',
  InstanceInvalidState.wireType,
  MigrationPreCheckError.wireType,
  'MigrationSchedulerRPCError',
]);

/** power_state.STATE_MAP, as InstanceInvalidState quotes it. */
const POWER_STATE_NAMES: Record<number, string> = { 0: 'pending', 1: 'running', 3: 'paused', 4: 'shutdown', 6: 'crashed', 7: 'suspended' };

/**
 * live_migrate_instance / migrate_server(live=True): under the conductor's event
 * (`conductor_live_migrate_instance` when the API cast, `conductor_migrate_server` when
 * it called). Throws the task's error, so a calling API sees it.
 */
export async function liveMigrateInstance(d: Deps, rpc: Rpc, req: LiveMigrateRequest, event: string): Promise<void> {
  await d.actions.wrap(req.instanceUuid, req.ctx.requestId, event, null, () => liveMigrate(d, rpc, req));
}

async function liveMigrate(d: Deps, rpc: Rpc, req: LiveMigrateRequest): Promise<void> {
  const log = d.log.child({ instance: req.instanceUuid, req: req.ctx.requestId });
  const instance = await d.instances.get(req.instanceUuid);
  const store = new MigrationStore(d.db, () => d.clock.now());
  let migration = await store.create({
    uuid: d.random.uuid(),
    instanceUuid: instance.uuid,
    sourceCompute: instance.host,
    sourceNode: null,
    oldInstanceTypeId: instance.flavor.id,
    newInstanceTypeId: instance.flavor.id,
    status: MigrationStatus.ACCEPTED,
    migrationType: MigrationType.LIVE_MIGRATION,
    userId: req.ctx.userId,
    projectId: req.ctx.projectId,
  });
  if (req.host) migration = await store.save(migration.uuid, { destCompute: req.host });
  const task = new LiveMigrationTask(d, rpc, req, instance, migration);
  try {
    await task.execute();
  } catch (e) {
    const type = e instanceof RemoteError ? e.excType : (e as { type?: string })?.type;
    const expected = type !== undefined && EXPECTED.has(type);
    if (!expected) log.error({ err: (e as Error)?.message }, `Migration of instance ${instance.uuid} to host ${req.host} unexpectedly failed.`);
    // set_vm_state_and_notify (expected_task_state MIGRATING): the task state cleared, a fault.
    const current = await d.instances.find(instance.uuid);
    if (current) {
      await d.instances.save(instance.uuid, { vmState: expected ? current.vmState : VmState.ERROR, taskState: null }, { expectedTaskState: [TaskState.MIGRATING] }).catch(() => undefined);
      await d.instances.addFault(instance.uuid, faultFromError(e, null)).catch(() => undefined);
    }
    await store.save(migration.uuid, { status: MigrationStatus.ERROR });
    if (expected) throw e;
    throw new MigrationError(String((e as Error)?.message ?? e));
  }
}

/** LiveMigrationTask: _execute, with rollback giving the held allocation back. */
class LiveMigrationTask {
  readonly #services: ServiceStore;
  readonly #source: string;
  #held = false;
  #data: LiveMigrateData | null = null;

  constructor(
    private readonly d: Deps,
    private readonly rpc: Rpc,
    private readonly req: LiveMigrateRequest,
    private readonly instance: Instance,
    private migration: Migration,
  ) {
    this.#services = new ServiceStore(d.db, { clock: d.clock, random: d.random, serviceDownTimeS: d.cfg.compute.service_down_time });
    this.#source = instance.host ?? '';
  }

  async execute(): Promise<void> {
    try {
      await this.#execute();
    } catch (e) {
      // rollback: revert_allocation_for_migration (the destination's claim goes with it).
      if (this.#held) await moveAllocation(this.d.db, this.migration.uuid, this.instance.uuid);
      throw e;
    }
  }

  async #execute(): Promise<void> {
    const { d, instance } = this;
    if (instance.powerState !== PowerState.RUNNING && instance.powerState !== PowerState.PAUSED) {
      throw new InstanceInvalidState(instance.uuid, 'power_state', POWER_STATE_NAMES[instance.powerState] ?? String(instance.powerState), 'live migrate');
    }
    await this.#checkHostIsUp(this.#source);
    // replace_allocation_with_migration
    this.#held = await moveAllocation(d.db, instance.uuid, this.migration.uuid);
    let destination: string;
    let destNode: string;
    if (!this.req.host) {
      [destination, destNode] = await this.#findDestination();
    } else {
      destination = this.req.host;
      if (destination === this.#source) throw new UnableToMigrateToSelf(instance.uuid, destination);
      await this.#checkHostIsUp(destination);
      destNode = (await this.#checkCompatibleWithSource(destination)).hypervisor_hostname;
      // claim_resources_on_destination: the instance (a new consumer) on the forced host.
      await allocate(d.db, instance.uuid, destination, this.req.requestSpec.flavor, d.clock.now());
      try {
        await this.#callChecksOnHost(destination);
      } catch (e) {
        await deleteAllocation(d.db, instance.uuid);
        throw e;
      }
    }
    // The instance takes its new host's zone (no aggregates here: the default zone).
    await d.instances.save(instance.uuid, { availabilityZone: d.cfg.compute.default_availability_zone });
    this.migration = await new MigrationStore(d.db, () => d.clock.now()).save(this.migration.uuid, { sourceNode: instance.node, destNode, destCompute: destination });
    const args: LiveMigrationArgs = {
      ctx: this.req.ctx,
      instanceUuid: instance.uuid,
      migrationUuid: this.migration.uuid,
      dest: destination,
      blockMigration: this.#data!.blockMigration,
      data: this.#data!,
    };
    await this.rpc.compute.liveMigration(this.#source, args);
  }

  /** _check_host_is_up: ComputeServiceUnavailable when the host's nova-compute is down. */
  async #checkHostIsUp(host: string): Promise<void> {
    const svc = await this.#services.getComputeByHost(host);
    if (!this.#services.isUp(svc)) throw new ComputeServiceUnavailable(host);
  }

  /** _check_compatible_with_source_hypervisor: same hypervisor type, not an older version. */
  async #checkCompatibleWithSource(destination: string) {
    const [source] = await this.#services.computeNodesByHostOrNode(this.#source, null);
    const [dest] = await this.#services.computeNodesByHostOrNode(destination, null);
    if (!source) throw new ComputeHostNotFound(this.#source);
    if (!dest) throw new ComputeHostNotFound(destination);
    if (source.hypervisor_type !== dest.hypervisor_type) throw new InvalidHypervisorType();
    if (source.hypervisor_version > dest.hypervisor_version) throw new DestinationHypervisorTooOld();
    return dest;
  }

  /**
   * _call_livem_checks_on_host: check_can_live_migrate_destination (which asks the
   * source), then with binding-extended an INACTIVE binding per port on the host. A
   * destination that does not answer is "Timeout while checking...".
   */
  async #callChecksOnHost(destination: string): Promise<void> {
    const { d, instance } = this;
    const args: LiveMigrationArgs = { ctx: this.req.ctx, instanceUuid: instance.uuid, migrationUuid: this.migration.uuid, dest: destination, blockMigration: this.req.blockMigration };
    try {
      this.#data = await this.rpc.compute.checkCanLiveMigrateDestination(destination, args, d.cfg.DEFAULT.rpc_response_timeout * 1000);
    } catch (e) {
      if (e instanceof MessagingTimeout) throw new MigrationPreCheckError(`Timeout while checking if we can live migrate to host: ${destination}`, true);
      throw e;
    }
    if (await d.network.hasPortBindingExtension(this.req.ctx)) {
      d.log.debug({ instance: instance.uuid }, `Start binding ports on destination host: ${destination}`);
      try {
        await d.network.bindPortsToHost(this.req.ctx, instance, await d.instances.networkInfo(instance.uuid), destination);
      } catch (e) {
        if (e instanceof PortBindingFailed) throw new MigrationPreCheckError(e.message);
        throw e;
      }
    }
  }

  /**
   * _find_destination: the scheduler's choice, ignoring the source and every host
   * refused so far; a refused host (an Invalid or MigrationPreCheckError from its checks
   * or bindings) loses the allocation the scheduler made there and the next is asked.
   */
  async #findDestination(): Promise<[string, string]> {
    const { d, instance } = this;
    const attempted = [this.#source];
    for (;;) {
      const spec = { ...this.req.requestSpec, ignoreHosts: [...attempted] };
      let selection;
      try {
        [[selection]] = (await this.rpc.scheduler.selectDestinations(this.req.ctx, spec)) as [[{ host: string; node: string }]];
      } catch (e) {
        if (e instanceof RemoteError && e.excType === NoValidHost.wireType) throw new NoValidHost(e.value.replace(/^No valid host was found\. /, ''));
        throw e;
      }
      const host = selection!.host;
      try {
        await this.#checkCompatibleWithSource(host);
        await this.#callChecksOnHost(host);
        return [host, selection!.node];
      } catch (e) {
        const refused = e instanceof MigrationPreCheckError || (e as { status?: number })?.status === 400 || (e instanceof RemoteError && e.status === 400);
        if (!refused) throw e;
        d.log.debug({ instance: instance.uuid }, `Skipping host: ${host} because: ${(e as Error).message}`);
        attempted.push(host);
        // _remove_host_allocations: what the scheduler claimed there for the instance.
        await deleteAllocation(d.db, instance.uuid);
      }
    }
  }
}
