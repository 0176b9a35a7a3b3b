/**
 * Evacuation on the compute hosts (nova/compute/manager.py):
 *
 * - the destination's rebuild_instance with recreate=True (_do_rebuild_instance),
 *   inside compute_rebuild_instance: the rebuild claim (the migration's dest_compute,
 *   dest_node, dest_host and pre-migrating), the ports' binding:profile migrating_to the
 *   destination (setup_networks_on_host) and then their binding:host_id moved here
 *   (setup_instance_network_on_host), the network info refreshed from neutron, the
 *   guest spawned from the image — its VIFs plugged, waiting for network-vif-plugged of
 *   each one neutron does not show ACTIVE — and the instance ACTIVE on this host, or
 *   stopped again when it was STOPPED; then the migration `done` (finish_evacuation).
 *   A failure sets the migration `failed`, gives the destination's allocation up (the
 *   source's, held by the migration record, goes back to the instance) and leaves the
 *   instance in ERROR with the fault, still on its source host, as nova does.
 *
 * - the source's _destroy_evacuated_instances, at init_host when its nova-compute
 *   starts again: for each evacuation from this host that was accepted, pre-migrating
 *   or done, a guest the hypervisor still has is destroyed (its VIFs unplugged), the
 *   source's allocation dropped, and the migration `completed`.
 */
import { isoMicros } from '../../common/clock.js';
import type { NovaContext } from '../context.js';
import { faultFromError } from '../objects/faults.js';
import { type Migration, MigrationStatus, MigrationType } from '../objects/migration.js';
import { TaskState, VmState } from '../objects/states.js';
import type { EvacuateArgs } from '../rpc.js';
import type { ComputeDeps, InstanceLocks } from './deps.js';

/** The evacuations a returning source still has to clean up after (nova's filter). */
const UNCLEANED = [MigrationStatus.ACCEPTED, MigrationStatus.PRE_MIGRATING, MigrationStatus.DONE] as readonly string[];

/** rebuild_instance(recreate=True) on the destination; a cast's handler: failures are logged. */
export async function evacuateInstance(d: ComputeDeps, locks: InstanceLocks, a: EvacuateArgs): Promise<void> {
  const log = d.log.child({ instance: a.instanceUuid, req: a.ctx.requestId });
  const migrations = d.migrations;
  const usage = async (...hosts: (string | null)[]) => {
    for (const h of new Set([d.host, ...hosts])) if (h) await d.services.updateHostUsage(h);
  };
  await locks
    .run(a.instanceUuid, async () => {
      let instance = await d.instances.find(a.instanceUuid);
      if (!instance) return;
      const migration: Migration | null = a.migrationUuid ? await migrations.findByUuid(a.migrationUuid) : null;
      const source = instance.host;
      const origVmState = instance.vmState;
      await d.actions.wrap(instance.uuid, a.ctx.requestId, 'compute_rebuild_instance', d.host, async () => {
        log.info('Evacuating instance');
        try {
          // rebuild_claim (_move_claim with the existing migration).
          if (migration) await migrations.save(migration.uuid, { destCompute: d.host, destNode: a.node, destHost: d.driver.resources().host_ip, status: MigrationStatus.PRE_MIGRATING });
          await usage();
          instance = await d.instances.save(instance!.uuid, { taskState: TaskState.REBUILDING, powerState: d.driver.powerState(instance!) }, { expectedTaskState: [TaskState.REBUILDING] });
          await d.network.setupNetworksOnHost(a.ctx, instance, d.host, false);
          await d.network.setupInstanceNetworkOnHost(a.ctx, instance, d.host);
          const nwInfo = await d.cacheLocks.run(instance.uuid, async () => {
            const fresh = await d.network.getInstanceNwInfo(a.ctx, instance!, await d.instances.networkInfo(instance!.uuid));
            await d.instances.saveNetworkInfo(instance!.uuid, fresh);
            return fresh;
          });
          // "disk not on shared storage, evacuating from image" (_rebuild_default_impl with evacuate).
          instance = await d.instances.save(instance.uuid, { taskState: TaskState.REBUILD_BLOCK_DEVICE_MAPPING }, { expectedTaskState: [TaskState.REBUILDING] });
          instance = await d.instances.save(instance.uuid, { taskState: TaskState.REBUILD_SPAWNING }, { expectedTaskState: [TaskState.REBUILD_BLOCK_DEVICE_MAPPING] });
          await d.driver.spawn(a.ctx, instance, Promise.resolve(nwInfo));
          const stopAfter = origVmState === VmState.STOPPED;
          // _update_instance_after_spawn and finish_evacuation's host and node in one save,
          // so nobody sees the server ACTIVE on its old host; a stopped one goes on to
          // powering-off at once ("bringing vm to original state").
          instance = await d.instances.save(
            instance.uuid,
            { host: d.host, node: a.node, powerState: d.driver.powerState(instance), vmState: VmState.ACTIVE, taskState: stopAfter ? TaskState.POWERING_OFF : null, launchedAt: isoMicros(d.clock.now()), ...(stopAfter ? { progress: 0 } : {}) },
            { expectedTaskState: [TaskState.REBUILD_SPAWNING] },
          );
          if (stopAfter) {
            log.info(`bringing vm to original state: '${origVmState}'`);
            await d.driver.powerOff(instance);
            await d.instances.save(instance.uuid, { powerState: d.driver.powerState(instance), vmState: VmState.STOPPED, taskState: null }, { expectedTaskState: [TaskState.POWERING_OFF] });
          }
          if (migration) await migrations.save(migration.uuid, { status: MigrationStatus.DONE });
          await usage(source);
        } catch (e) {
          // _set_migration_status(failed), delete_allocation_for_evacuated_instance(destination),
          // _error_out_instance_on_exception and wrap_instance_fault.
          const now = await d.instances.find(a.instanceUuid).catch(() => null);
          const deleted = !now || now.taskState === TaskState.DELETING;
          if (migration) {
            await migrations.save(migration.uuid, { status: MigrationStatus.FAILED }).catch(() => undefined);
            const back = !deleted && (await d.allocations.move(migration.uuid, a.instanceUuid).catch(() => false));
            if (!back) await d.allocations.delete(deleted ? migration.uuid : a.instanceUuid).catch(() => undefined);
          }
          if (deleted) {
            // "Instance was deleted while rebuilding": the delete goes on; no ERROR, no fault.
            log.debug('Instance was deleted while rebuilding');
            if (!now) await d.allocations.delete(a.instanceUuid).catch(() => undefined);
            // A guest already spawned here is not left running for nobody (nova's periodic
            // _cleanup_running_deleted_instances would reap it later).
            if (d.driver.listInstances().includes(a.instanceUuid)) {
              const gone = now ?? (await d.instances.find(a.instanceUuid, { readDeleted: true }));
              if (gone) await d.driver.destroy(a.ctx, gone, await d.instances.networkInfo(a.instanceUuid)).catch(() => undefined);
            }
            await usage(source).catch(() => undefined);
            return;
          }
          await d.instances.addFault(a.instanceUuid, faultFromError(e, d.host)).catch(() => undefined);
          await d.instances.save(a.instanceUuid, { vmState: VmState.ERROR, taskState: null }).catch(() => undefined);
          await usage(source).catch(() => undefined);
          throw e;
        }
      });
    })
    .catch((err) => log.error({ err: (err as Error).message }, 'Setting instance vm_state to ERROR'));
}

/**
 * _destroy_evacuated_instances, at the start of this host's nova-compute (before its
 * instances are initialised): returns the uuids of the instances evacuated from here,
 * which init_host then leaves alone. Each step's failure is logged and skipped.
 */
export async function destroyEvacuatedInstances(d: ComputeDeps, ctx: NovaContext): Promise<Set<string>> {
  const store = d.migrations;
  // Newest first: the latest evacuation of an instance is the one that counts.
  const evacuations = new Map<string, Migration>();
  for (const m of await store.list({ sourceCompute: d.host, migrationType: MigrationType.EVACUATION })) {
    if (UNCLEANED.includes(m.status) && !evacuations.has(m.instanceUuid)) evacuations.set(m.instanceUuid, m);
  }
  if (evacuations.size === 0) return new Set();
  for (const uuid of d.driver.listInstances().filter((u) => evacuations.has(u))) {
    const log = d.log.child({ instance: uuid });
    try {
      // A deleted instance's guest goes too ("removing it from the hypervisor").
      const instance = await d.instances.find(uuid, { readDeleted: true });
      if (!instance) continue;
      log.info('Destroying instance as it has been evacuated from this host but still exists in the hypervisor');
      const cached = await d.instances.networkInfo(uuid);
      const nwInfo = instance.vmState === VmState.DELETED ? cached : await d.network.getInstanceNwInfo(ctx, instance, cached).catch(() => cached);
      await d.driver.destroy(ctx, instance, nwInfo);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'Failed to destroy the evacuated instance');
    }
  }
  for (const [uuid, migration] of evacuations) {
    const log = d.log.child({ instance: uuid });
    try {
      const instance = await d.instances.find(uuid);
      if (!instance) continue;
      log.info('Cleaning up allocations of the instance as it has been evacuated from this host');
      // remove_provider_tree_from_instance_allocation: the source's part, which the
      // migration record holds (or still the instance, when the conductor never moved it).
      await d.allocations.delete(migration.uuid);
      if (instance.host !== d.host && (await d.allocations.host(uuid)) === d.host) await d.allocations.delete(uuid);
      await store.save(migration.uuid, { status: MigrationStatus.COMPLETED });
    } catch (err) {
      log.error({ err: (err as Error).message }, `Failed to clean allocation of evacuated instance on the source node ${migration.sourceNode}`);
    }
  }
  return new Set(evacuations.keys());
}
