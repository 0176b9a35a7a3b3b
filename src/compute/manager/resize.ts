/**
 * Resize and cold migration on the compute hosts (nova/compute/manager.py), each step an
 * instance action event on the host that runs it:
 *   prep_resize (destination): old_vm_state stashed, new_flavor set, the move claim
 *     (migration's dest_compute/node/host) → resize_instance on the source;
 *   resize_instance (source): migrating / resize_migrating, the guest powered off and
 *     its VIFs unplugged (libvirt's migrate_disk_and_power_off), migrate_instance_start,
 *     post-migrating, instance.host = destination, resize_migrated → finish_resize;
 *   finish_resize (destination): the new flavor applied, the ports bound to the
 *     destination (migrate_instance_finish), resize_finish, the guest defined and its
 *     VIFs plugged without waiting for network-vif-plugged (libvirt's finish_migration
 *     passes vifs_already_plugged=True), migration finished, vm_state RESIZED;
 *   confirm_resize (source): migrating_to cleared (setup_networks_on_host teardown), the
 *     source guest undefined, migration confirmed, the migration's allocation on the
 *     source dropped, ACTIVE (or STOPPED);
 *   revert_resize (destination): teardown, the guest destroyed there (VIFs unplugged),
 *     migration reverted → finish_revert_resize on the source;
 *   finish_revert_resize (source): old flavor, host and node back, the migration's
 *     allocation back to the instance, the ports bound to the source again, the guest
 *     re-created waiting for network-vif-plugged of each inactive VIF (libvirt's
 *     finish_revert_migration does wait), ACTIVE or STOPPED as before.
 * Failures end as nova's: _error_out_instance_on_exception (InstanceFaultRollback puts
 * the instance back in its state, anything else is ERROR), errors_out_migration (the
 * migration goes to error), wrap_instance_fault (a fault), and the allocations reverted
 * (before the instance moved) or the source's dropped (after). A failed prep_resize
 * (its claim refused, or anything else) is rescheduled: migrate_server goes back to the
 * conductor with the alternates left, unless the move carries no retry (max_attempts 1,
 * a 2.56 target host); then it fails on its host as above.
 */
import type { NetworkInfo } from '../network/model.js';
import { isoMicros } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { ComputeResourcesUnavailable, InstanceFaultRollback, MigrationError, UnableToMigrateToSelf } from '../errors.js';
import { faultFromError } from '../objects/faults.js';
import type { Instance, InstanceFlavor } from '../objects/instance.js';
import { type Migration, MigrationStatus } from '../objects/migration.js';
import { PowerState, TaskState, VmState } from '../objects/states.js';
import { ComputeRpc, type ResizeArgs } from '../rpc.js';
import type { ComputeMigrations } from '../objects/compute-data.js';
import type { ComputeDeps, InstanceLocks } from './deps.js';

export class ResizeOps {
  readonly #migrations: ComputeMigrations;
  readonly #compute: ComputeRpc;

  constructor(
    private readonly d: ComputeDeps,
    private readonly locks: InstanceLocks,
  ) {
    this.#migrations = d.migrations;
    this.#compute = new ComputeRpc(d.bus);
  }

  #log(a: ResizeArgs): Logger {
    return this.d.log.child({ instance: a.instanceUuid, req: a.ctx.requestId });
  }

  /** Runs one step under the instance's lock and its compute_<step> event; failures are logged, as a cast's are. */
  #step(a: ResizeArgs, event: string, fn: (instance: Instance, migration: Migration) => Promise<void>): Promise<void> {
    return this.locks
      .run(a.instanceUuid, async () => {
        const instance = await this.d.instances.find(a.instanceUuid);
        const migration = await this.#migrations.findByUuid(a.migrationUuid);
        if (!instance || !migration) {
          this.#log(a).info(`Instance or migration ${a.migrationUuid} is gone; nothing to do for ${event}`);
          return;
        }
        await this.d.actions.wrap(a.instanceUuid, a.ctx.requestId, event, this.d.host, () => fn(instance, migration));
      })
      .catch((err) => this.#log(a).error({ err: (err as Error).message }, `${event} failed`));
  }

  /** The usage of this host and of the move's other host (objects/host-usage.ts, run by the conductor). */
  async #usage(...hosts: (string | null)[]): Promise<void> {
    for (const h of new Set([this.d.host, ...hosts])) if (h) await this.d.services.updateHostUsage(h);
  }

  /**
   * _error_out_instance_on_exception + errors_out_migration + wrap_instance_fault: the
   * instance back in `instanceState` (a rollback) or ERROR, its task state cleared
   * (reverts_task_state), the migration in error, and the fault recorded. Returns the
   * error to raise (a rollback's inner one).
   */
  async #fail(instanceUuid: string, migrationUuid: string, e: unknown, instanceState: string): Promise<unknown> {
    const rollback = e instanceof InstanceFaultRollback;
    const raised = rollback ? e.inner : e;
    const log = this.d.log.child({ instance: instanceUuid });
    if (rollback) log.info(`Setting instance back to ${instanceState} after: ${(e as Error).message}`);
    else log.error({ err: (e as Error)?.message }, 'Setting instance vm_state to ERROR');
    await this.d.instances.save(instanceUuid, { vmState: rollback ? instanceState : VmState.ERROR, taskState: null }).catch(() => undefined);
    await this.#migrations.save(migrationUuid, { status: MigrationStatus.ERROR }).catch(() => undefined);
    await this.d.instances.addFault(instanceUuid, faultFromError(raised, this.d.host)).catch(() => undefined);
    return raised;
  }

  /** _revert_allocation: the source allocation the migration holds goes back to the instance. */
  async #revertAllocation(instance: Instance, migration: Migration): Promise<void> {
    if (!(await this.d.allocations.move(migration.uuid, instance.uuid))) {
      this.d.log.error({ instance: instance.uuid }, `Did not find resource allocations for migration ${migration.uuid} on source node ${migration.sourceNode}. Unable to revert source node allocations back to the instance.`);
    }
  }

  // --- destination: prep_resize ----------------------------------------------------------

  prepResize(a: ResizeArgs): Promise<void> {
    return this.#step(a, 'compute_prep_resize', async (instance, migration) => {
      const d = this.d;
      const flavor = a.flavor!;
      const instanceState = instance.vmState;
      try {
        if (!instance.host) {
          await d.instances.save(instance.uuid, { vmState: VmState.ERROR });
          throw new MigrationError('Instance has no source host');
        }
        // The libvirt driver cannot migrate to its own host (supports_migrate_to_same_host).
        if (instance.host === d.host && flavor.id === instance.flavor.id) {
          throw new InstanceFaultRollback(new UnableToMigrateToSelf(instance.uuid, d.host));
        }
        await d.instances.save(instance.uuid, { newFlavor: flavor, systemMetadata: { ...instance.systemMetadata, old_vm_state: instance.vmState } });
        // resize_claim (_move_claim): what only the hypervisor knows is tested, then the
        // migration learns its destination.
        const refusal = d.driver.moveClaimRefusal(flavor);
        if (refusal) throw new ComputeResourcesUnavailable(refusal);
        const claimed = await this.#migrations.save(migration.uuid, { destCompute: d.host, destNode: a.node ?? d.driver.nodename(), destHost: d.driver.resources().host_ip, status: MigrationStatus.PRE_MIGRATING });
        await this.#usage();
        this.#log(a).info('Migrating');
        await this.#compute.resizeInstance(instance.host, { ctx: a.ctx, instanceUuid: instance.uuid, migrationUuid: claimed.uuid, flavor });
      } catch (e) {
        // Rescheduling or dead, the destination's allocation goes and the source's is the instance's again.
        await this.#revertAllocation(instance, migration);
        if (await this.#reschedule(a, instance, e)) {
          await this.#usage();
          return;
        }
        const raised = await this.#fail(instance.uuid, migration.uuid, e, instanceState);
        await this.#usage();
        throw raised;
      }
    });
  }

  /**
   * _reschedule_resize_or_reraise: with retry information, resize_prep again, the
   * error as a fault, and migrate_server cast back to the conductor for the next
   * alternate (the migration stays pre-migrating; the step ends without error). False
   * when the move may not be rescheduled or the cast failed (its fault recorded): the
   * caller fails the move.
   */
  async #reschedule(a: ResizeArgs, instance: Instance, e: unknown): Promise<boolean> {
    const d = this.d;
    const log = this.#log(a);
    if (!a.retry || !a.requestSpec) {
      log.debug('Retry info not present, will not reschedule');
      return false;
    }
    try {
      log.debug(`Rescheduling, attempt ${a.retry.numAttempts}`);
      await d.instances.save(instance.uuid, { taskState: TaskState.RESIZE_PREP });
      // traceback.format_exception_only: the error's type (its wire name: bundled class names change) and text.
      const exc = `${(e as { type?: string })?.type ?? (e as Error)?.name ?? 'Exception'}: ${(e as Error)?.message ?? String(e)}`;
      await d.conductor.migrateServer({ ctx: a.ctx, instanceUuid: instance.uuid, flavor: a.flavor!, requestSpec: a.requestSpec, hostList: a.hostList ?? [], retry: { ...a.retry, exc } });
    } catch (err) {
      log.error({ err: (err as Error).message }, 'Error trying to reschedule');
      await d.instances.addFault(instance.uuid, faultFromError(err, d.host)).catch(() => undefined);
      return false;
    }
    log.error({ err: (e as Error)?.message }, `Error from this host: ${(e as Error)?.message}`);
    await d.instances.addFault(instance.uuid, faultFromError(e, d.host)).catch(() => undefined);
    return true;
  }

  // --- source: resize_instance ------------------------------------------------------------

  resizeInstance(a: ResizeArgs): Promise<void> {
    return this.#step(a, 'compute_resize_instance', async (instance, migration) => {
      const d = this.d;
      const instanceState = instance.vmState;
      try {
        const nwInfo = await d.network.getInstanceNwInfo(a.ctx, instance, await d.instances.networkInfo(instance.uuid));
        await this.#migrations.save(migration.uuid, { status: MigrationStatus.MIGRATING });
        instance = await d.instances.save(instance.uuid, { taskState: TaskState.RESIZE_MIGRATING }, { expectedTaskState: [TaskState.RESIZE_PREP] });
        await d.driver.migrateDiskAndPowerOff(a.ctx, instance, a.flavor!, nwInfo);
        await d.network.migrateInstanceStart(a.ctx, instance, migration.destCompute!);
        await this.#migrations.save(migration.uuid, { status: MigrationStatus.POST_MIGRATING });
        await d.instances.save(
          instance.uuid,
          { host: migration.destCompute, node: migration.destNode, oldFlavor: instance.flavor, powerState: d.driver.powerState(instance), taskState: TaskState.RESIZE_MIGRATED },
          { expectedTaskState: [TaskState.RESIZE_MIGRATING] },
        );
        await this.#usage(migration.destCompute);
        await this.#compute.finishResize(migration.destCompute!, { ctx: a.ctx, instanceUuid: instance.uuid, migrationUuid: migration.uuid });
        d.events.clear(instance.uuid);
      } catch (e) {
        await this.#revertAllocation(instance, migration);
        const raised = await this.#fail(instance.uuid, migration.uuid, e, instanceState);
        await this.#usage(migration.destCompute);
        throw raised;
      }
    });
  }

  // --- destination: finish_resize --------------------------------------------------------

  finishResize(a: ResizeArgs): Promise<void> {
    return this.#step(a, 'compute_finish_resize', async (instance, migration) => {
      const d = this.d;
      const oldFlavor = instance.flavor;
      const oldVmState = instance.systemMetadata.old_vm_state ?? VmState.ACTIVE;
      try {
        const resized = migration.oldInstanceTypeId !== migration.newInstanceTypeId && instance.newFlavor;
        instance = await d.instances.save(instance.uuid, { oldFlavor, ...(resized ? { flavor: instance.newFlavor! } : {}) });
        // instance.host is already this host, so this changes nothing with neutron, as in nova.
        const nwInfo = await this.#bindPortsHere(a, instance, migration.destCompute!);
        instance = await d.instances.save(instance.uuid, { taskState: TaskState.RESIZE_FINISH }, { expectedTaskState: [TaskState.RESIZE_MIGRATED] });
        try {
          // No wait for network-vif-plugged here: Zed's libvirt finish_migration creates
          // the guest with vifs_already_plugged=True (the port may never have gone DOWN).
          await d.driver.finishMigration(a.ctx, instance, nwInfo, oldVmState !== VmState.STOPPED);
        } catch (e) {
          if (resized) await d.instances.save(instance.uuid, { flavor: oldFlavor }).catch(() => undefined);
          throw e;
        }
        await this.#migrations.save(migration.uuid, { status: MigrationStatus.FINISHED });
        await d.instances.save(
          instance.uuid,
          { vmState: VmState.RESIZED, taskState: null, powerState: d.driver.powerState(instance), launchedAt: isoMicros(d.clock.now()) },
          { expectedTaskState: [TaskState.RESIZE_FINISH] },
        );
        await this.#usage(migration.sourceCompute);
      } catch (e) {
        // finish_resize's except: the source's allocation is deleted; the instance stays here in ERROR.
        this.#log(a).info(`Deleting allocations for old flavor on source node ${migration.sourceCompute} after finish_resize failure. You may be able to recover the instance by hard rebooting it.`);
        const raised = await this.#fail(instance.uuid, migration.uuid, e, VmState.ACTIVE);
        await d.allocations.delete(migration.uuid);
        await this.#usage(migration.sourceCompute);
        throw raised;
      }
    });
  }

  // --- source: confirm_resize ------------------------------------------------------------

  confirmResize(a: ResizeArgs): Promise<void> {
    return this.#step(a, 'compute_confirm_resize', async (instance, migration) => {
      const d = this.d;
      const log = this.#log(a);
      if (migration.status === MigrationStatus.CONFIRMED) {
        log.info(`Migration ${migration.id} is already confirmed`);
        return;
      }
      if (migration.status !== MigrationStatus.FINISHED && migration.status !== MigrationStatus.CONFIRMING) {
        log.warn(`Unexpected confirmation status '${migration.status}' of migration ${migration.id}, exit confirmation process`);
        return;
      }
      try {
        await d.network.setupNetworksOnHost(a.ctx, instance, migration.sourceCompute, true);
        const nwInfo = await d.network.getInstanceNwInfo(a.ctx, instance, await d.instances.networkInfo(instance.uuid));
        await d.driver.confirmMigration(a.ctx, instance, nwInfo);
        await this.#migrations.save(migration.uuid, { status: MigrationStatus.CONFIRMED });
        await d.instances.save(
          instance.uuid,
          { vmState: instance.powerState === PowerState.SHUTDOWN ? VmState.STOPPED : VmState.ACTIVE, taskState: null },
          { expectedTaskState: [null, TaskState.DELETING, TaskState.SOFT_DELETING] },
        );
      } catch (e) {
        log.error(`Confirm resize failed on source host ${d.host}. Resource allocations in the placement service will be removed regardless because the instance is now on the destination host ${migration.destCompute}. You can try hard rebooting the instance to correct its state.`);
        await d.instances.save(instance.uuid, { vmState: VmState.ERROR }).catch(() => undefined);
        await d.instances.addFault(instance.uuid, faultFromError(e, d.host)).catch(() => undefined);
        throw e;
      } finally {
        await d.allocations.delete(migration.uuid);
        await this.#dropStashedFlavors(instance.uuid);
        await this.#usage();
      }
    });
  }

  /** _delete_stashed_flavor_info. */
  /** The ports bound to `host` (setup_networks_on_host, migrate_instance_finish) and the info cache refreshed from neutron. */
  async #bindPortsHere(a: ResizeArgs, instance: Instance, host: string): Promise<NetworkInfo> {
    const d = this.d;
    await d.network.setupNetworksOnHost(a.ctx, instance, host, false);
    await d.network.migrateInstanceFinish(a.ctx, instance, host);
    return d.cacheLocks.run(instance.uuid, async () => {
      const fresh = await d.network.getInstanceNwInfo(a.ctx, instance, await d.instances.networkInfo(instance.uuid));
      await d.instances.saveNetworkInfo(instance.uuid, fresh);
      return fresh;
    });
  }

  async #dropStashedFlavors(uuid: string): Promise<void> {
    const fresh = await this.d.instances.find(uuid);
    if (!fresh) return;
    const { old_vm_state: _, ...systemMetadata } = fresh.systemMetadata;
    await this.d.instances.save(uuid, { oldFlavor: null, newFlavor: null, systemMetadata });
  }

  // --- destination: revert_resize --------------------------------------------------------

  revertResize(a: ResizeArgs): Promise<void> {
    return this.#step(a, 'compute_revert_resize', async (instance, migration) => {
      const d = this.d;
      try {
        await d.network.setupNetworksOnHost(a.ctx, instance, null, true);
        await d.network.migrateInstanceStart(a.ctx, instance, migration.sourceCompute!);
        const nwInfo = await d.network.getInstanceNwInfo(a.ctx, instance, await d.instances.networkInfo(instance.uuid));
        await d.driver.destroy(a.ctx, instance, nwInfo);
        // drop_move_claim_at_dest
        await this.#migrations.save(migration.uuid, { status: MigrationStatus.REVERTED });
        await this.#compute.finishRevertResize(migration.sourceCompute!, { ctx: a.ctx, instanceUuid: instance.uuid, migrationUuid: migration.uuid });
      } catch (e) {
        await d.instances.save(instance.uuid, { vmState: VmState.ERROR, taskState: null }).catch(() => undefined);
        await d.instances.addFault(instance.uuid, faultFromError(e, d.host)).catch(() => undefined);
        await this.#migrations.save(migration.uuid, { status: MigrationStatus.ERROR }).catch(() => undefined);
        throw e;
      }
    });
  }

  // --- source: finish_revert_resize ------------------------------------------------------

  finishRevertResize(a: ResizeArgs): Promise<void> {
    return this.#step(a, 'compute_finish_revert_resize', async (instance, migration) => {
      const d = this.d;
      const oldVmState = instance.systemMetadata.old_vm_state ?? VmState.ACTIVE;
      const destHost = instance.host;
      try {
        // _revert_instance_flavor_host_node
        const oldFlavor: InstanceFlavor = instance.oldFlavor ?? instance.flavor;
        instance = await d.instances.save(instance.uuid, { flavor: oldFlavor, host: migration.sourceCompute, node: migration.sourceNode }, { expectedTaskState: [TaskState.RESIZE_REVERTING] });
        // The instance's allocation on the destination goes; the migration's on the source becomes the instance's.
        await this.#revertAllocation(instance, migration);
        const nwInfo = await this.#bindPortsHere(a, instance, migration.sourceCompute!);
        const powerOn = oldVmState !== VmState.STOPPED;
        await d.driver.finishRevertMigration(a.ctx, instance, nwInfo, powerOn);
        await d.instances.save(instance.uuid, { launchedAt: isoMicros(d.clock.now()), powerState: d.driver.powerState(instance) }, { expectedTaskState: [TaskState.RESIZE_REVERTING] });
        this.#log(a).info(`Updating instance to original state: '${oldVmState}'`);
        // A stopped server was never powered on here, so stop_instance has nothing left to do.
        await d.instances.save(instance.uuid, { vmState: powerOn ? VmState.ACTIVE : VmState.STOPPED, taskState: null });
      } catch (e) {
        await d.instances.save(instance.uuid, { vmState: VmState.ERROR, taskState: null }).catch(() => undefined);
        await d.instances.addFault(instance.uuid, faultFromError(e, d.host)).catch(() => undefined);
        await this.#migrations.save(migration.uuid, { status: MigrationStatus.ERROR }).catch(() => undefined);
        throw e;
      } finally {
        await this.#dropStashedFlavors(instance.uuid);
        await this.#usage(destHost);
      }
    });
  }
}
