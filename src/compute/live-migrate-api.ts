/**
 * nova-api's side of live migration (nova/compute/api.py live_migrate,
 * live_migrate_force_complete, live_migrate_abort): the state checks in nova's order
 * (lock, then state), a named host looked up before anything changes, task state
 * `migrating`, the 'live-migration' action, and the conductor asked — a call before
 * 2.34 (its pre-check errors come back to the API), a cast from 2.34. Force complete
 * and abort check the migration (its id must be the instance's; running, or queued /
 * preparing for abort from 2.65) and cast to the source.
 */
import { MessagingTimeout } from '../bus/bus.js';
import type { ComputeAPI, ComputeApiDeps } from './compute-api.js';
import type { NovaContext } from './context.js';
import { ComputeHostNotFound, InvalidMigrationState, MigrationNotFoundForInstance } from './errors.js';
import { Actions } from './objects/actions.js';
import { faultFromError } from './objects/faults.js';
import type { Instance } from './objects/instance.js';
import { type Migration, MigrationStore } from './objects/migration.js';
import { ServiceStore } from './objects/services.js';
import { TaskState, VmState } from './objects/states.js';
import { checkAction, type ActionRule } from './server-actions.js';

/** @check_instance_lock + @check_instance_state(vm_state=[ACTIVE, PAUSED]) on live_migrate. */
const LIVE_MIGRATE_RULE: ActionRule = { method: 'live_migrate', vmStates: [VmState.ACTIVE, VmState.PAUSED], taskStates: [null], mustHaveLaunched: true, needsHost: false, lockChecked: true };
/** live_migrate_force_complete: ACTIVE and migrating. */
const FORCE_COMPLETE_RULE: ActionRule = { method: 'live_migrate_force_complete', vmStates: [VmState.ACTIVE], taskStates: [TaskState.MIGRATING], mustHaveLaunched: true, needsHost: false, lockChecked: true };
/** live_migrate_abort: any vm_state, migrating. */
const ABORT_RULE: ActionRule = { method: 'live_migrate_abort', vmStates: undefined, taskStates: [TaskState.MIGRATING], mustHaveLaunched: true, needsHost: false, lockChecked: true };

/** os-migrateLive's parsed body and microversion facts. */
export interface LiveMigrateOptions {
  /** null: 'auto' (2.25+). */
  blockMigration: boolean | null;
  host: string | null;
  /** 2.30-2.67's force; null before 2.30 (a named host is then always forced). */
  force: boolean | null;
  /** 2.34+: the conductor is cast to. */
  async: boolean;
}

/** nova-api's live-migration methods over one ComputeAPI's dependencies. */
export class LiveMigrateAPI {
  private readonly d: ComputeApiDeps;
  readonly #migrations: MigrationStore;

  constructor(api: ComputeAPI) {
    this.d = api.d;
    this.#migrations = new MigrationStore(this.d.db, () => this.d.clock.now());
  }

  #record(ctx: NovaContext, instance: Instance, action: string): Promise<void> {
    return this.d.actions.start({ instanceUuid: instance.uuid, action, requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId });
  }

  /**
   * live_migrate. Throws nova's exceptions (a called conductor's come back as RemoteError
   * with their type) for the API to map.
   */
  async liveMigrate(ctx: NovaContext, instance: Instance, o: LiveMigrateOptions): Promise<void> {
    const d = this.d;
    checkAction(instance, LIVE_MIGRATE_RULE, ctx.isAdmin);
    let host = o.host;
    let requestedDestination: { host: string; node: string } | null = null;
    if (host) {
      // Validated before the task state changes: ComputeHostNotFound.
      const services = new ServiceStore(d.db, { clock: d.clock, random: d.random, serviceDownTimeS: d.cfg.compute.service_down_time });
      const [node] = await services.computeNodesByHostOrNode(host, null);
      if (!node) throw new ComputeHostNotFound(host);
      // force=False: the scheduler still runs, on that host only.
      if (o.force === false) {
        requestedDestination = { host: node.host, node: node.hypervisor_hostname };
        host = null;
      }
    }
    await d.instances.save(instance.uuid, { taskState: TaskState.MIGRATING }, { expectedTaskState: [null] });
    await this.#record(ctx, instance, Actions.LIVE_MIGRATION);
    const f = instance.flavor;
    try {
      await d.conductor.liveMigrateInstance(
        {
          ctx,
          instanceUuid: instance.uuid,
          host,
          blockMigration: o.blockMigration,
          requestSpec: {
            instanceUuid: instance.uuid,
            projectId: instance.projectId,
            flavor: { vcpus: f.vcpus, memory_mb: f.memory_mb, root_gb: f.root_gb, ephemeral_gb: f.ephemeral_gb, swap: f.swap },
            availabilityZone: instance.availabilityZone,
            ignoreHosts: [],
            numInstances: 1,
            requestedDestination,
          },
        },
        { wait: !o.async, timeoutMs: d.cfg.DEFAULT.rpc_response_timeout * 1000 },
      );
    } catch (e) {
      // The migration may still be under way: the timeout is recorded as a fault.
      if (e instanceof MessagingTimeout) await d.instances.addFault(instance.uuid, faultFromError(e, null)).catch(() => undefined);
      throw e;
    }
  }

  /** Migration.get_by_id_and_instance: MigrationNotFoundForInstance otherwise. */
  async #migration(id: string, instance: Instance): Promise<Migration> {
    const m = /^\d+$/.test(id) ? await this.#migrations.findByIdAndInstance(Number(id), instance.uuid) : null;
    if (!m) throw new MigrationNotFoundForInstance(id, instance.uuid);
    return m;
  }

  /** live_migrate_force_complete: only a running migration. */
  async forceComplete(ctx: NovaContext, instance: Instance, migrationId: string): Promise<void> {
    checkAction(instance, FORCE_COMPLETE_RULE, ctx.isAdmin);
    const m = await this.#migration(migrationId, instance);
    if (m.status !== 'running') throw new InvalidMigrationState(migrationId, instance.uuid, m.status, 'force complete');
    await this.#record(ctx, instance, Actions.LIVE_MIGRATION_FORCE_COMPLETE);
    await this.d.compute.liveMigrationForceComplete(instance.host!, ctx, instance.uuid, m.id);
  }

  /** live_migrate_abort: running, or also queued / preparing from 2.65. */
  async abort(ctx: NovaContext, instance: Instance, migrationId: string, abortInQueue: boolean): Promise<void> {
    checkAction(instance, ABORT_RULE, ctx.isAdmin);
    const m = await this.#migration(migrationId, instance);
    const allowed = ['running', ...(abortInQueue ? ['queued', 'preparing'] : [])];
    if (!allowed.includes(m.status)) throw new InvalidMigrationState(migrationId, instance.uuid, m.status, 'abort live migration');
    await this.#record(ctx, instance, Actions.LIVE_MIGRATION_CANCEL);
    await this.d.compute.liveMigrationAbort(instance.host!, ctx, instance.uuid, m.id);
  }
}
