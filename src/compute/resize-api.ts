/**
 * nova-api's side of resize, cold migration, confirm and revert (nova/compute/api.py
 * resize, confirm_resize, revert_resize): the checks in nova's order — lock, state
 * (ACTIVE or STOPPED, no task, launched), a host whose service is up, the 2.56 target
 * host, the flavor (found, enabled, changed, not to a zero disk, fitting the image and
 * the quota) — then resize_prep, the resize/migrate action and the cast to the
 * conductor. Confirm casts to the source host, revert to the destination; both need a
 * `finished` migration (MigrationNotFoundByStatus otherwise).
 */
import type { ComputeAPI, ComputeApiDeps } from './compute-api.js';
import type { NovaContext } from './context.js';
import {
  AutoDiskConfigDisabledByImage,
  CannotMigrateToSameHost,
  CannotResizeDisk,
  CannotResizeToSameFlavor,
  ComputeHostNotFound,
  FlavorDiskSmallerThanMinDisk,
  FlavorMemoryTooSmall,
  FlavorNotFound,
  InstanceNotReady,
  ServiceUnavailable,
  TooManyInstances,
} from './errors.js';
import { Actions } from './objects/actions.js';
import { FlavorStore, toInstanceFlavor } from './objects/flavors.js';
import type { Instance, InstanceFlavor } from './objects/instance.js';
import { MigrationStatus, MigrationStore } from './objects/migration.js';
import { QuotaEngine } from './objects/quotas.js';
import { ServiceStore } from './objects/services.js';
import { TaskState, VmState } from './objects/states.js';
import { checkAction, type ActionRule } from './server-actions.js';

const GiB = 1024 ** 3;

/** @check_instance_state on resize (also cold migration): ACTIVE or STOPPED, no task, launched. */
const RESIZE_RULE: ActionRule = { method: 'resize', vmStates: [VmState.ACTIVE, VmState.STOPPED], taskStates: [null], mustHaveLaunched: true, needsHost: false, lockChecked: true };
/** confirm_resize / revert_resize: RESIZED only. */
const confirmRule = (method: string): ActionRule => ({ method, vmStates: [VmState.RESIZED], taskStates: [null], mustHaveLaunched: true, needsHost: false, lockChecked: true });

export class ResizeAPI {
  private readonly d: ComputeApiDeps;
  readonly #migrations: MigrationStore;

  constructor(private readonly api: ComputeAPI) {
    this.d = api.d;
    this.#migrations = new MigrationStore(this.d.db, () => this.d.clock.now());
  }

  #record(ctx: NovaContext, instance: Instance, action: string): Promise<void> {
    return this.d.actions.start({ instanceUuid: instance.uuid, action, requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId });
  }

  /**
   * resize: `flavorId` null is a cold migration (keeping the flavor), optionally to
   * `hostName` (2.56). Throws nova's exceptions for the API to map.
   */
  async resize(ctx: NovaContext, instance: Instance, flavorId: string | null, hostName: string | null = null, autoDiskConfig: boolean | null = null): Promise<void> {
    const d = this.d;
    // @check_instance_lock and @check_instance_state, then @check_instance_host(check_is_up=True).
    checkAction(instance, RESIZE_RULE, ctx.isAdmin);
    if (!instance.host) throw new InstanceNotReady(instance.uuid);
    if (!(await this.api.hostIsUp(instance.host))) throw new ServiceUnavailable();
    let destination: { host: string; node: string } | null = null;
    if (hostName !== null) {
      // _validate_host_for_cold_migrate
      if (hostName === instance.host) throw new CannotMigrateToSameHost();
      const services = new ServiceStore(d.db, { clock: d.clock, random: d.random, serviceDownTimeS: d.cfg.compute.service_down_time });
      const [node] = await services.computeNodesByHostOrNode(hostName, null);
      if (!node) throw new ComputeHostNotFound(hostName);
      destination = { host: node.host, node: node.hypervisor_hostname };
    }
    // _check_auto_disk_config from the instance's image system metadata.
    const fromImage = instance.systemMetadata.image_auto_disk_config;
    if (autoDiskConfig && typeof fromImage === 'string' && fromImage.trim().toLowerCase() === 'disabled') {
      throw new AutoDiskConfigDisabledByImage(instance.systemMetadata.image_base_image_ref ?? instance.imageRef);
    }
    const current = instance.flavor;
    let target: InstanceFlavor = current;
    if (flavorId !== null) {
      // get_flavor_by_flavor_id(read_deleted="no") with an admin context: any flavor, public or not.
      const found = await new FlavorStore(d.db).get(flavorId);
      // Not volume-backed (Nimbus has no volumes): a zero root disk is refused.
      if (found.root_gb === 0 && current.root_gb !== 0) throw new CannotResizeDisk('Resize to zero disk flavor is not allowed.');
      const same = found.id === current.id;
      if (!same && found.disabled) throw new FlavorNotFound(flavorId);
      if (same) throw new CannotResizeToSameFlavor();
      target = toInstanceFlavor(found);
      await this.#checkQuotaForUpsize(ctx, instance, current, target);
      this.#validateFlavorImage(instance, target);
    }
    const sameFlavor = target.id === current.id;
    // _allow_resize_to_same_host: a cold migration only with the driver's
    // COMPUTE_SAME_HOST_COLD_MIGRATE trait (which libvirt does not report), a resize by config.
    const allowSameHost = sameFlavor ? false : d.cfg.DEFAULT.allow_resize_to_same_host;
    // "instance.auto_disk_config = auto_disk_config or False": a resize without OS-DCF:diskConfig is MANUAL.
    await d.instances.save(
      instance.uuid,
      { taskState: TaskState.RESIZE_PREP, progress: 0, autoDiskConfig: autoDiskConfig ?? false, systemMetadata: { ...instance.systemMetadata, image_base_image_ref: instance.imageRef } },
      { expectedTaskState: [null] },
    );
    await this.#record(ctx, instance, flavorId === null ? Actions.MIGRATE : Actions.RESIZE);
    await d.conductor.migrateServer({
      ctx,
      instanceUuid: instance.uuid,
      flavor: target,
      requestSpec: {
        instanceUuid: instance.uuid,
        projectId: instance.projectId,
        flavor: { vcpus: target.vcpus, memory_mb: target.memory_mb, root_gb: target.root_gb, ephemeral_gb: target.ephemeral_gb, swap: target.swap },
        availabilityZone: instance.availabilityZone,
        ignoreHosts: allowSameHost ? [] : [instance.host],
        numInstances: 1,
        requestedDestination: destination,
      },
    });
  }

  /** _check_quota_for_upsize: only growth counts (cores and ram), against the project's and user's limits. */
  async #checkQuotaForUpsize(ctx: NovaContext, instance: Instance, current: InstanceFlavor, target: InstanceFlavor): Promise<void> {
    const deltas = { instances: 0, cores: Math.max(0, target.vcpus - current.vcpus), ram: Math.max(0, target.memory_mb - current.memory_mb) };
    if (deltas.cores === 0 && deltas.ram === 0) return;
    const { overs, limits, used } = await new QuotaEngine(this.d.db, this.d.cfg).checkInstanceDeltas(instance.projectId, instance.userId, deltas);
    const resized = overs.filter((r) => r !== 'instances');
    if (resized.length === 0) return;
    this.d.log.info({ instance: instance.uuid }, `${resized.join(', ')} quota exceeded for ${ctx.projectId}, tried to resize instance.`);
    const list = (f: (r: (typeof resized)[number]) => string | number) => resized.map(f).join(', ');
    throw new TooManyInstances(`Quota exceeded for ${list((r) => r)}: Requested ${list((r) => deltas[r])}, but already used ${list((r) => used[r])} of ${list((r) => limits[r])} ${list((r) => r)}`);
  }

  /** _validate_flavor_image_nostatus with the image from the system metadata (min_ram, min_disk; no size there). */
  #validateFlavorImage(instance: Instance, f: InstanceFlavor): void {
    const sm = instance.systemMetadata;
    if (f.memory_mb < Number(sm.image_min_ram ?? 0)) throw new FlavorMemoryTooSmall();
    const minDisk = Number(sm.image_min_disk ?? 0) * GiB;
    const dest = f.root_gb * GiB;
    if (dest !== 0 && minDisk > dest) throw new FlavorDiskSmallerThanMinDisk(dest, minDisk);
  }

  /** confirm_resize: a finished migration, the source's service up; confirming; cast to the source. */
  async confirmResize(ctx: NovaContext, instance: Instance): Promise<void> {
    checkAction(instance, confirmRule('confirm_resize'), ctx.isAdmin);
    const migration = await this.#migrations.getByInstanceAndStatus(instance.uuid, MigrationStatus.FINISHED);
    if (!migration.sourceCompute || !(await this.api.hostIsUp(migration.sourceCompute))) throw new ServiceUnavailable();
    await this.#migrations.save(migration.uuid, { status: MigrationStatus.CONFIRMING });
    await this.#record(ctx, instance, Actions.CONFIRM_RESIZE);
    await this.d.compute.confirmResize(migration.sourceCompute, { ctx, instanceUuid: instance.uuid, migrationUuid: migration.uuid });
  }

  /**
   * _confirm_resize_on_deleting: a server deleted in VERIFY_RESIZE is confirmed first (a
   * call to the source, so its guest and allocation are gone before the terminate).
   */
  async confirmOnDeleting(ctx: NovaContext, instance: Instance): Promise<void> {
    let migration = null;
    for (const status of [MigrationStatus.FINISHED, MigrationStatus.CONFIRMING]) {
      migration = await this.#migrations.getByInstanceAndStatus(instance.uuid, status).catch(() => null);
      if (migration) break;
    }
    if (!migration || !migration.sourceCompute) {
      this.d.log.info({ instance: instance.uuid }, 'Instance may have been confirmed during delete');
      return;
    }
    this.d.log.info({ instance: instance.uuid }, `Found an unconfirmed migration during delete, id: ${migration.id}, status: ${migration.status}`);
    await this.#record(ctx, instance, Actions.CONFIRM_RESIZE);
    await this.d.compute.confirmResize(migration.sourceCompute, { ctx, instanceUuid: instance.uuid, migrationUuid: migration.uuid }, { wait: true });
  }

  /** revert_resize: a finished migration; the source's zone back, resize_reverting, reverting; cast to the destination. */
  async revertResize(ctx: NovaContext, instance: Instance): Promise<void> {
    checkAction(instance, confirmRule('revert_resize'), ctx.isAdmin);
    const migration = await this.#migrations.getByInstanceAndStatus(instance.uuid, MigrationStatus.FINISHED);
    await this.d.instances.save(instance.uuid, { availabilityZone: this.d.cfg.compute.default_availability_zone, taskState: TaskState.RESIZE_REVERTING }, { expectedTaskState: [null] });
    await this.#migrations.save(migration.uuid, { status: MigrationStatus.REVERTING });
    await this.#record(ctx, instance, Actions.REVERT_RESIZE);
    await this.d.compute.revertResize(migration.destCompute!, { ctx, instanceUuid: instance.uuid, migrationUuid: migration.uuid });
  }
}
