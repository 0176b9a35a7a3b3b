/**
 * nova-conductor's rebuild_instance for an evacuation (nova/conductor/manager.py
 * rebuild_instance with recreate=True), inside the rebuild_server event: the `accepted`
 * evacuation migration found, then a destination — a forced host claimed without the
 * filters (_allocate_for_evacuate_dest_host), or the scheduler asked with the source
 * ignored (and a 2.29+ requested host as the only candidate) — the instance's zone set
 * to its new host's, and rebuild_instance(recreate) cast there.
 *
 * Placement holds the source and destination allocations under the instance as one
 * consumer until the source's init_host drops the source's. Nimbus keeps one allocation
 * row per consumer, so the source's passes to the migration record (as a resize's does)
 * before the destination is claimed for the instance; the source's cleanup deletes it.
 *
 * No host: the migration goes to error, the source allocation back to the instance,
 * and the instance to ERROR with the fault (set_vm_state_and_notify), as nova's.
 */
import { RemoteError } from '../../bus/bus.js';
import { NoValidHost } from '../errors.js';
import { faultFromError } from '../objects/faults.js';
import { type Migration, MigrationStatus, MigrationStore } from '../objects/migration.js';
import { VmState } from '../objects/states.js';
import type { ComputeRpc, EvacuateRequest, SchedulerRpc } from '../rpc.js';
import { moveAllocation } from '../db/allocations.js';
import type { ConductorDeps } from './manager.js';

export async function evacuateInstance(d: ConductorDeps, rpc: { scheduler: SchedulerRpc; compute: ComputeRpc }, req: EvacuateRequest): Promise<void> {
  const log = d.log.child({ instance: req.instanceUuid, req: req.ctx.requestId });
  await d.actions
    .wrap(req.instanceUuid, req.ctx.requestId, 'rebuild_server', null, () => rebuild(d, rpc, req))
    .catch((err) => log.warn({ err: (err as Error).message }, `Rebuild failed: ${(err as Error).message}`));
}

async function rebuild(d: ConductorDeps, rpc: { scheduler: SchedulerRpc; compute: ComputeRpc }, req: EvacuateRequest): Promise<void> {
  const instance = await d.instances.get(req.instanceUuid);
  const store = new MigrationStore(d.db, () => d.clock.now());
  const migration: Migration | null = await store.getByInstanceAndStatus(instance.uuid, MigrationStatus.ACCEPTED).catch(() => null);
  if (!migration) d.log.debug({ instance: instance.uuid }, 'No migration record for the rebuild/evacuate request.');
  const held = migration ? await moveAllocation(d.db, instance.uuid, migration.uuid) : false;
  let selection;
  try {
    const spec = req.host
      ? // A forced host: only the capacity checks placement would make on the claim.
        { ...req.requestSpec, forceHosts: [req.host], ignoreHosts: [], requestedDestination: null }
      : { ...req.requestSpec, ignoreHosts: [instance.host!] };
    selection = (await rpc.scheduler.selectDestinations(req.ctx, spec))[0]![0]!;
  } catch (e) {
    const cause = asNoValidHost(e);
    if (migration) {
      await store.save(migration.uuid, { status: MigrationStatus.ERROR });
      if (held) await moveAllocation(d.db, migration.uuid, instance.uuid);
    }
    await d.instances.save(instance.uuid, { vmState: VmState.ERROR, taskState: null });
    await d.instances.addFault(instance.uuid, faultFromError(cause, null));
    throw cause;
  }
  // get_host_availability_zone: no aggregates here, so the default zone.
  await d.instances.save(instance.uuid, { availabilityZone: d.cfg.compute.default_availability_zone });
  d.log.info({ instance: instance.uuid }, `Evacuating to host ${selection.host}; node ${selection.node}`);
  await rpc.compute.evacuateInstance(selection.host, { ctx: req.ctx, instanceUuid: instance.uuid, migrationUuid: migration?.uuid ?? '', node: selection.node, recreate: true });
}

function asNoValidHost(e: unknown): Error {
  if (e instanceof RemoteError && e.excType === NoValidHost.wireType) {
    const err = new NoValidHost(e.value.replace(/^No valid host was found\. /, ''));
    (err as NoValidHost & { detail?: string }).detail = e.detail ?? '';
    return err;
  }
  return e as Error;
}
