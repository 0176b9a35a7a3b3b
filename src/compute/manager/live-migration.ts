/**
 * Live migration on the compute hosts (nova/compute/manager.py), each RPC step an
 * instance action event on the host that runs it:
 *   check_can_live_migrate_destination (destination, a call from the conductor): the
 *     driver's check, then check_can_live_migrate_source on the source (a call);
 *   live_migration (source, a cast): the migration 'queued', then run in the background
 *     (nova's live-migration executor), abortable until it runs:
 *     'preparing'; the source registers for network-vif-plugged of each hybrid-plugged VIF
 *     (_get_neutron_events_for_live_migration) and calls pre_live_migration on the
 *     destination, which marks the ports migrating_to and plugs the VIFs there; the
 *     destination's OVS agent wires them and neutron tells nova the ports are plugged.
 *     When the destination answers wait_for_vif_plugged
 *     ([compute] live_migration_wait_for_vif_plug) the source waits vif_plugging_timeout
 *     for those events; 'running'; the driver copies the guest;
 *   _post_live_migration (source): migrate_instance_start activates the destination's
 *     bindings (PUT .../bindings/{dest}/activate), the source VIFs are unplugged,
 *     post_live_migration_at_destination is called, the migration 'completed' and the
 *     allocation it held on the source dropped;
 *   post_live_migration_at_destination (destination): setup_networks_on_host,
 *     migrate_instance_finish, the guest is this host's, instance.host = destination,
 *     then setup_networks_on_host(source, teardown) deletes the source's binding;
 *   _rollback_live_migration (source): the allocation back to the instance,
 *     rollback_live_migration_at_destination cast (its bindings deleted, its VIFs
 *     unplugged), the task state cleared (ACTIVE or PAUSED on the source, ports still
 *     ACTIVE there) and the migration 'failed', or 'cancelled' after an abort;
 *   live_migration_abort / live_migration_force_complete (source).
 * Nimbus's simulated hosts share no instance path, so rollback always asks the
 * destination to clean up (libvirt's do_cleanup); a destination that is gone by then
 * keeps its bindings, as nova's would until it came back.
 */
import { isoMicros } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { InvalidMigrationState, MigrationError, PortBindingDeletionFailed, VirtualInterfacePlugException } from '../errors.js';
import { faultFromError } from '../objects/faults.js';
import type { Instance } from '../objects/instance.js';
import { type Migration, MigrationStatus } from '../objects/migration.js';
import { TaskState, VmState } from '../objects/states.js';
import { ComputeRpc, type LiveMigrateData, type LiveMigrationArgs } from '../rpc.js';
import type { NovaContext } from '../context.js';
import type { ComputeMigrations } from '../objects/compute-data.js';
import type { ComputeDeps } from './deps.js';
import { EventWaitTimeout } from './events.js';

/** oslo.messaging long_rpc_timeout (nova's pre_live_migration and post_live_migration_at_destination calls). */
const LONG_RPC_TIMEOUT_MS = 1_800_000;

/** nova's _BreakWaitForInstanceEvent: the destination said not to wait for its events. */
class BreakWait extends Error {}

/** A migration this host was asked to run and has not started (nova's _waiting_live_migrations). */
interface Waiting {
  migrationUuid: string;
}

/** One host's live-migration endpoints (source and destination roles), composed by ComputeManager. */
export class LiveMigrationOps {
  readonly #migrations: ComputeMigrations;
  readonly #compute: ComputeRpc;
  readonly #waiting = new Map<string, Waiting>();

  constructor(private readonly d: ComputeDeps) {
    this.#migrations = d.migrations;
    this.#compute = new ComputeRpc(d.bus);
  }

  #log(ctx: NovaContext, uuid: string): Logger {
    return this.d.log.child({ instance: uuid, req: ctx.requestId });
  }

  /** wrap_instance_event(prefix='compute') around a step; InstanceNotFound when the instance is gone. */
  #event<T>(ctx: NovaContext, uuid: string, event: string, fn: (instance: Instance) => Promise<T>): Promise<T> {
    return this.d.actions.wrap(uuid, ctx.requestId, event, this.d.host, async () => fn(await this.d.instances.get(uuid)));
  }

  async #usage(...hosts: (string | null)[]): Promise<void> {
    for (const h of new Set([this.d.host, ...hosts])) if (h) await this.d.services.updateHostUsage(h);
  }

  async #setStatus(uuid: string, status: string): Promise<Migration> {
    return this.#migrations.save(uuid, { status });
  }

  // --- checks (a call each) ---------------------------------------------------------

  /** check_can_live_migrate_destination, on the destination: the driver's check, then the source's. */
  checkCanLiveMigrateDestination(a: LiveMigrationArgs): Promise<LiveMigrateData> {
    return this.#event(a.ctx, a.instanceUuid, 'compute_check_can_live_migrate_destination', async (instance) => {
      const data = this.d.driver.checkCanLiveMigrateDestination(instance, a.blockMigration);
      return this.#compute.checkCanLiveMigrateSource(instance.host!, { ...a, blockMigration: data.blockMigration }, data, this.d.cfg.DEFAULT.rpc_response_timeout * 1000);
    });
  }

  /** check_can_live_migrate_source, on the source. */
  checkCanLiveMigrateSource(a: LiveMigrationArgs & { data: LiveMigrateData }): Promise<LiveMigrateData> {
    return this.#event(a.ctx, a.instanceUuid, 'compute_check_can_live_migrate_source', async (instance) => this.d.driver.checkCanLiveMigrateSource(instance, a.data));
  }

  // --- source: live_migration -----------------------------------------------------------

  /** live_migration (a cast): queued, then _do_live_migration runs behind. */
  async liveMigration(a: LiveMigrationArgs): Promise<void> {
    await this.#event(a.ctx, a.instanceUuid, 'compute_live_migration', async () => {
      try {
        await this.#setStatus(a.migrationUuid, MigrationStatus.QUEUED);
      } catch (e) {
        // errors_out_migration
        await this.#setStatus(a.migrationUuid, MigrationStatus.ERROR).catch(() => undefined);
        throw e;
      }
      this.#waiting.set(a.instanceUuid, { migrationUuid: a.migrationUuid });
      void this.#doLiveMigration(a).catch((err: unknown) => this.#log(a.ctx, a.instanceUuid).error({ err: (err as Error)?.message }, 'Live migration failed.'));
    }).catch((err: unknown) => this.#log(a.ctx, a.instanceUuid).error({ err: (err as Error)?.message }, 'live_migration failed'));
  }

  async #doLiveMigration(a: LiveMigrationArgs): Promise<void> {
    const d = this.d;
    const log = this.#log(a.ctx, a.instanceUuid);
    // A step so the queue hands out the work after the cast returned (abort may come first).
    await Promise.resolve();
    if (!this.#waiting.has(a.instanceUuid)) return;
    await this.#setStatus(a.migrationUuid, MigrationStatus.PREPARING);
    let data: LiveMigrateData = a.data ?? { blockMigration: a.blockMigration ?? true };
    data = await this.#preLiveMigrationFromSource(a, data);
    // Popped by an abort meanwhile: roll back as cancelled.
    if (!this.#waiting.delete(a.instanceUuid)) {
      log.debug(`Migration ${a.migrationUuid} aborted by another process, rollback.`);
      await this.#rollback(a, MigrationStatus.CANCELLED, false);
      return;
    }
    await this.#setStatus(a.migrationUuid, MigrationStatus.RUNNING);
    const instance = await d.instances.get(a.instanceUuid);
    try {
      await d.driver.liveMigration(
        instance,
        a.dest,
        () => this.#postLiveMigration(a),
        (status) => this.#rollback(a, status, false),
      );
    } catch (e) {
      log.error({ err: (e as Error)?.message }, 'Live migration failed.');
      // "as its almost certainly too late to rollback"
      await this.#setStatus(a.migrationUuid, MigrationStatus.ERROR).catch(() => undefined);
      await d.instances.save(a.instanceUuid, { vmState: VmState.ERROR, taskState: null }).catch(() => undefined);
      throw e;
    }
  }

  /**
   * _do_pre_live_migration_from_source: wait (vif_plugging_timeout) for the destination's
   * network-vif-plugged while pre_live_migration runs there; a failure, or a timeout when
   * vif_plugging_is_fatal, rolls back (_cleanup_pre_live_migration) and is raised.
   */
  async #preLiveMigrationFromSource(a: LiveMigrationArgs, data: LiveMigrateData): Promise<LiveMigrateData> {
    const d = this.d;
    const log = this.#log(a.ctx, a.instanceUuid);
    const instance = await d.instances.get(a.instanceUuid);
    const nwInfo = await d.instances.networkInfo(instance.uuid);
    const timeout = d.cfg.compute.vif_plugging_timeout;
    // get_live_migration_plug_time_events: the hybrid-plugged VIFs (neutron reports them at plug time).
    const events: [string, string][] = timeout > 0 ? nwInfo.filter((v) => v.details?.['ovs_hybrid_plug'] === true).map((v) => ['network-vif-plugged', v.id]) : [];
    let out = data;
    try {
      await d.events.waitFor(
        instance,
        events,
        timeout,
        async () => {
          const started = d.clock.now();
          out = await this.#compute.preLiveMigration(a.dest, a, data, LONG_RPC_TIMEOUT_MS);
          log.info(`Took ${((d.clock.now() - started) / 1000).toFixed(2)} seconds for pre_live_migration on destination host ${a.dest}.`);
          if (events.length > 0 && !out.waitForVifPlugged) throw new BreakWait();
        },
        (eventName) => {
          const msg = `Neutron reported failure during live migration with ${eventName} for instance ${instance.uuid}`;
          if (d.cfg.compute.vif_plugging_is_fatal) throw new VirtualInterfacePlugException(msg);
          log.error(msg);
        },
      );
    } catch (e) {
      if (e instanceof BreakWait) {
        log.debug(`Not waiting for events after pre_live_migration: ${JSON.stringify(events)}.`);
        return out;
      }
      if (e instanceof EventWaitTimeout) {
        const msg = `Timed out waiting for events: ${JSON.stringify(events)}. If these timeouts are a persistent issue it could mean the networking backend on host ${a.dest} does not support sending these events unless there are port binding host changes which does not happen at this point in the live migration process. You may need to disable the live_migration_wait_for_vif_plug option on host ${a.dest}.`;
        log.warn(msg);
        if (!d.cfg.compute.vif_plugging_is_fatal) return out;
        await this.#cleanupPreLiveMigration(a);
        throw new MigrationError(msg);
      }
      log.error({ err: (e as Error)?.message }, `Pre live migration failed at ${a.dest}`);
      await this.#cleanupPreLiveMigration(a);
      throw e;
    }
    return out;
  }

  /** _cleanup_pre_live_migration: the migration in error, then rolled back (which ends it 'failed'). */
  async #cleanupPreLiveMigration(a: LiveMigrationArgs): Promise<void> {
    this.#waiting.delete(a.instanceUuid);
    await this.#setStatus(a.migrationUuid, MigrationStatus.ERROR);
    await this.#rollback(a, MigrationStatus.FAILED, true);
  }

  // --- source: post and rollback ------------------------------------------------------

  /**
   * _post_live_migration (+ _post_live_migration_update_host): the destination's bindings
   * activated, the source VIFs unplugged, the destination told, the migration completed
   * and its source allocation dropped. A failure leaves the instance on the destination.
   */
  async #postLiveMigration(a: LiveMigrationArgs): Promise<void> {
    const d = this.d;
    const log = this.#log(a.ctx, a.instanceUuid);
    let instance = await d.instances.get(a.instanceUuid);
    try {
      log.info('_post_live_migration() is started..');
      const nwInfo = await d.instances.networkInfo(instance.uuid);
      await d.network.migrateInstanceStart(a.ctx, instance, a.dest);
      await d.driver.postLiveMigrationAtSource(a.ctx, instance, nwInfo);
      let atDest = true;
      try {
        await this.#compute.postLiveMigrationAtDestination(a.dest, a, LONG_RPC_TIMEOUT_MS);
      } catch (e) {
        atDest = false;
        log.error({ err: (e as Error)?.message }, `Post live migration at destination ${a.dest} failed`);
      }
      d.events.clear(instance.uuid);
      await this.#usage(a.dest);
      if (atDest) log.info(`Migrating instance to ${a.dest} finished successfully.`);
      await this.#setStatus(a.migrationUuid, MigrationStatus.COMPLETED);
      // _delete_allocation_after_move: the source allocation the migration held.
      await d.allocations.delete(a.migrationUuid);
      await this.#usage(a.dest);
    } catch (e) {
      instance = (await d.instances.find(a.instanceUuid)) ?? instance;
      if (instance.host !== a.dest) {
        const [node] = await d.services.computeNodesByHostOrNode(a.dest, null).catch(() => []);
        await d.instances.save(instance.uuid, { host: a.dest, node: node?.hypervisor_hostname ?? null, taskState: null, progress: 0 }).catch(() => undefined);
      }
      await d.instances.addFault(instance.uuid, faultFromError(e, d.host)).catch(() => undefined);
      throw e;
    }
  }

  /**
   * _rollback_live_migration: the allocation back to the instance, the destination asked
   * to drop its bindings and VIFs, the task state cleared, the migration `status`.
   */
  async #rollback(a: LiveMigrationArgs, status: string, preLiveMigration: boolean): Promise<void> {
    const d = this.d;
    const log = this.#log(a.ctx, a.instanceUuid);
    const instance = await d.instances.get(a.instanceUuid);
    // _revert_allocation
    if (!(await d.allocations.move(a.migrationUuid, instance.uuid))) log.error(`Did not find resource allocations for migration ${a.migrationUuid} on source node. Unable to revert source node allocations back to the instance.`);
    await d.network.setupNetworksOnHost(a.ctx, instance, d.host, false);
    if (!preLiveMigration) log.debug('rollback_live_migration_at_source: nothing to undo on the source guest');
    await this.#compute.rollbackLiveMigrationAtDestination(a.dest, a);
    await d.instances.save(instance.uuid, { taskState: null, progress: 0 }, { expectedTaskState: [TaskState.MIGRATING] });
    await this.#setStatus(a.migrationUuid, status);
    await this.#usage(a.dest);
  }

  // --- destination ------------------------------------------------------------------

  /**
   * pre_live_migration, on the destination: the ports marked migrating_to this host
   * (setup_networks_on_host), then the VIFs plugged here. nova plugs first and marks
   * after; Nimbus marks first so the agent's one look at the new device already finds
   * the port migrating here.
   */
  preLiveMigration(a: LiveMigrationArgs & { data: LiveMigrateData }): Promise<LiveMigrateData> {
    return this.#event(a.ctx, a.instanceUuid, 'compute_pre_live_migration', async (instance) => {
      const d = this.d;
      const nwInfo = await d.network.getInstanceNwInfo(a.ctx, instance, await d.instances.networkInfo(instance.uuid));
      await d.network.setupNetworksOnHost(a.ctx, instance, d.host, false);
      await d.driver.preLiveMigration(a.ctx, instance, nwInfo);
      const multipleBindings = await d.network.hasPortBindingExtension(a.ctx);
      return { ...a.data, waitForVifPlugged: d.cfg.compute.live_migration_wait_for_vif_plug && multipleBindings && nwInfo.length > 0 };
    });
  }

  /** post_live_migration_at_destination: the ports bound here, the guest this host's, instance.host updated, the source binding deleted. */
  postLiveMigrationAtDestination(a: LiveMigrationArgs): Promise<void> {
    return this.#event(a.ctx, a.instanceUuid, 'compute_post_live_migration_at_destination', async (instance) => {
      const d = this.d;
      const log = this.#log(a.ctx, a.instanceUuid);
      log.info('Post operation of migration started');
      await d.network.setupNetworksOnHost(a.ctx, instance, d.host, false);
      await d.network.migrateInstanceFinish(a.ctx, instance, d.host);
      const nwInfo = await d.cacheLocks.run(instance.uuid, async () => {
        const fresh = await d.network.getInstanceNwInfo(a.ctx, instance, await d.instances.networkInfo(instance.uuid));
        await d.instances.saveNetworkInfo(instance.uuid, fresh);
        return fresh;
      });
      const prevHost = instance.host;
      let failed: unknown = null;
      try {
        await d.driver.postLiveMigrationAtDestination(a.ctx, instance, nwInfo);
      } catch (e) {
        failed = e;
        log.error('Unexpected error during post live migration at destination host.');
      }
      instance = await d.instances.save(
        instance.uuid,
        { host: d.host, node: d.driver.nodename(), powerState: d.driver.powerState(instance), taskState: null, progress: 0, ...(failed ? { vmState: VmState.ERROR } : {}), launchedAt: instance.launchedAt ?? isoMicros(d.clock.now()) },
        { expectedTaskState: [TaskState.MIGRATING] },
      );
      if (failed) throw failed;
      try {
        await d.network.setupNetworksOnHost(a.ctx, instance, prevHost, true);
      } catch (e) {
        if (!(e instanceof PortBindingDeletionFailed)) throw e;
        log.error(`Network cleanup failed for source host ${prevHost} during post live migration. You may need to manually clean up resources in the network service. Error: ${e.message}`);
      }
      await d.network.setupNetworksOnHost(a.ctx, instance, d.host, false);
      await this.#usage();
    });
  }

  /** rollback_live_migration_at_destination: this host's bindings deleted, the incoming guest's VIFs unplugged. */
  rollbackLiveMigrationAtDestination(a: LiveMigrationArgs): Promise<void> {
    return this.#event(a.ctx, a.instanceUuid, 'compute_rollback_live_migration_at_destination', async (instance) => {
      const d = this.d;
      const log = this.#log(a.ctx, a.instanceUuid);
      const nwInfo = await d.network.getInstanceNwInfo(a.ctx, instance, await d.instances.networkInfo(instance.uuid));
      try {
        await d.network.setupNetworksOnHost(a.ctx, instance, d.host, true);
      } catch (e) {
        if (!(e instanceof PortBindingDeletionFailed)) throw e;
        log.error(`Network cleanup failed for destination host ${d.host} during live migration rollback. You may need to manually clean up resources in the network service. Error: ${e.message}`);
      } finally {
        await d.driver.rollbackLiveMigrationAtDestination(a.ctx, instance, nwInfo);
      }
      await this.#usage();
    }).catch((err: unknown) => this.#log(a.ctx, a.instanceUuid).error({ err: (err as Error)?.message }, 'rollback_live_migration_at_destination failed'));
  }

  // --- source: abort and force complete ----------------------------------------------

  /** live_migration_force_complete: the running migration converges now. */
  async liveMigrationForceComplete(a: { ctx: NovaContext; instanceUuid: string }): Promise<void> {
    await this.#event(a.ctx, a.instanceUuid, 'compute_live_migration_force_complete', (instance) => this.d.driver.liveMigrationForceComplete(instance)).catch((err: unknown) =>
      this.#log(a.ctx, a.instanceUuid).error({ err: (err as Error)?.message }, 'live_migration_force_complete failed'),
    );
  }

  /**
   * live_migration_abort: a migration not yet running is popped from the queue (it
   * rolls itself back as cancelled); a running one is the driver's to cancel.
   */
  async liveMigrationAbort(a: { ctx: NovaContext; instanceUuid: string; migrationId: number }): Promise<void> {
    await this.#event(a.ctx, a.instanceUuid, 'compute_live_migration_abort', async (instance) => {
      if (this.#waiting.delete(instance.uuid)) return;
      const migration = await this.#migrations.findByIdAndInstance(a.migrationId, instance.uuid);
      if (!migration || migration.status !== MigrationStatus.RUNNING) {
        throw new InvalidMigrationState(a.migrationId, instance.uuid, migration?.status ?? 'None', 'abort live migration');
      }
      await this.d.driver.liveMigrationAbort(instance);
    }).catch((err: unknown) => this.#log(a.ctx, a.instanceUuid).error({ err: (err as Error)?.message }, 'live_migration_abort failed'));
  }
}

