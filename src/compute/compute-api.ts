/**
 * nova-api's compute API (nova/compute/api.py, the operations Nimbus serves): the checks
 * a boot makes before anything exists (flavor, image, quota, networks through neutron),
 * the instance records with their `create` action, and the casts that start the work;
 * delete (on its host, or locally when it has none or its host is down); interface
 * attach/detach; and routing neutron's external events to the hosts.
 */
import type { TraceRecorder } from '../common/trace.js';
import { inheritAutoDiskConfig } from './disk-config.js';
import type { Kysely } from 'kysely';
import { type Clock, type Random, isoMicros } from '../common/clock.js';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import type { NovaContext } from './context.js';
import type { NovaDB } from './db/schema.js';
import {
  GroupMemberLimitExceeded,
  AmbiguousHostnameForMultipleInstances,
  ComputeHostNotFound,
  FlavorDiskTooSmall,
  FlavorMemoryTooSmall,
  ImageNotActive,
  InstanceInvalidState,
  InvalidFixedIpAndMaxCountRequest,
  InvalidRequest,
  MultiplePortsNotApplicable,
  PortLimitExceeded,
  TooManyInstances,
} from './errors.js';
import type { GlanceAPI } from './image-api.js';
import type { NeutronAPI } from './network/neutron.js';
import type { VIF } from './network/model.js';
import { Actions, type InstanceActions } from './objects/actions.js';
import { QuotaEngine } from './objects/quotas.js';
import type { Instance, InstanceFlavor, InstanceStore, NetworkRequest } from './objects/instance.js';
import { TaskState, VmState } from './objects/states.js';
import { type ComputeRpc, type ConductorRpc, type ExternalEvent } from './rpc.js';
import { deleteAllocation } from './db/allocations.js';
import { ServiceStore, serviceIsUp } from './objects/services.js';
import { findServiceByHostAndBinary } from './db/services.js';
import { KeyPairStore } from './db/keypairs.js';
import { checkMetadataQuota } from './metadata-quota.js';
import { ResizeAPI } from './resize-api.js';
import { type ServerGroup, ServerGroupStore } from './objects/server-groups.js';

export interface CreateRequest {
  name: string;
  description: string | null;
  hostname: string | null;
  flavor: InstanceFlavor;
  imageRef: string;
  requestedNetworks: NetworkRequest[];
  securityGroups: string[];
  availabilityZone: string | null;
  /** An admin's `zone:host[:node]` / `zone::node` (already authorised by the API); '' when the form had an empty part. */
  forcedHost: string | null;
  forcedNode: string | null;
  /** 2.74's host / hypervisor_hostname (already authorised by the API). */
  requestedHost: string | null;
  requestedNode: string | null;
  metadata: Record<string, string>;
  keyName: string | null;
  userData: string | null;
  configDrive: boolean;
  /** OS-DCF:diskConfig: true AUTO, false MANUAL, null not asked (the image decides). */
  autoDiskConfig: boolean | null;
  accessIpV4: string | null;
  accessIpV6: string | null;
  minCount: number;
  maxCount: number;
  tags: string[];
  /** os:scheduler_hints as given (keys starting with _nova dropped); `group` names a server group. */
  schedulerHints?: Record<string, unknown>;
}

export interface ComputeApiDeps {
  db: Kysely<NovaDB>;
  cfg: Config;
  clock: Clock;
  random: Random;
  log: Logger;
  instances: InstanceStore;
  actions: InstanceActions;
  network: NeutronAPI;
  image: GlanceAPI;
  conductor: ConductorRpc;
  compute: ComputeRpc;
  /** The API's REST requests that act on an instance become its traces' root steps (api/app.ts). */
  trace?: TraceRecorder;
}

/** RFC 952 hostname from a display name, as nova's utils.sanitize_hostname. */
export function sanitizeHostname(name: string): string {
  let h = name.toLowerCase().replace(/[ _.]/g, '-').replace(/[^\w.-]+/g, '').replace(/^[.-]+|[.-]+$/g, '');
  h = h.slice(0, 63).replace(/[.-]+$/, '');
  return h || 'server';
}

export class ComputeAPI {
  constructor(readonly d: ComputeApiDeps) {}

  /** How many of [min, max] fit the quota; TooManyInstances when not even min does. */
  async #checkQuota(ctx: NovaContext, flavor: InstanceFlavor, min: number, max: number): Promise<number> {
    const per = { instances: 1, cores: flavor.vcpus, ram: flavor.memory_mb };
    // check_num_instances_quota: the deltas are for max_count (checked against the project's
    // and, when the user has own limits, the user's); what is over is named in sorted order,
    // with the request as nova prints it ("2-5" instances, max_count's cores and ram).
    const deltas = { instances: max, cores: per.cores * max, ram: per.ram * max };
    const { overs, limits, used } = await new QuotaEngine(this.d.db, this.d.cfg).checkInstanceDeltas(ctx.projectId, ctx.userId, deltas);
    const resources = ['cores', 'instances', 'ram'] as const;
    if (overs.length === 0) return max;
    let allowed = max;
    for (const r of resources) {
      if (limits[r] >= 0 && per[r] > 0) allowed = Math.min(allowed, Math.floor((limits[r] - used[r]) / per[r]));
    }
    if (allowed > 0 && allowed >= min) return allowed;
    const requested = { instances: min === max ? String(min) : `${min}-${max}`, cores: String(per.cores * max), ram: String(per.ram * max) };
    const list = (f: (r: (typeof overs)[number]) => string | number) => overs.map(f).join(', ');
    throw new TooManyInstances(`Quota exceeded for ${list((r) => r)}: Requested ${list((r) => requested[r])}, but already used ${list((r) => used[r])} of ${list((r) => limits[r])} ${list((r) => r)}`);
  }

  /** _provision_instances' server_group_members check: the user's members of the group plus these. */
  async #checkGroupMembersQuota(ctx: NovaContext, group: ServerGroup, count: number): Promise<void> {
    const limit = (await new QuotaEngine(this.d.db, this.d.cfg).projectQuotas(ctx.projectId)).server_group_members.limit;
    if (limit >= 0 && (await new ServerGroupStore(this.d.db).countMembersOfUser(group.id, ctx.userId)) + count > limit) throw new GroupMemberLimitExceeded();
  }

  #services(): ServiceStore {
    return new ServiceStore(this.d.db, { clock: this.d.clock, random: this.d.random, serviceDownTimeS: this.d.cfg.compute.service_down_time });
  }

  /** _validate_host_or_node: the requested host and/or node must be a compute node; else ComputeHostNotFound (400 on boot). */
  async #validateHostOrNode(host: string | null, node: string | null): Promise<void> {
    const nodes = await this.#services().computeNodesByHostOrNode(host, node);
    // nova names the host when one was given (host mapping, then host+node), else the node.
    if (nodes.length === 0) throw new ComputeHostNotFound(host ?? node!);
  }

  // --- create ---------------------------------------------------------------------------

  async create(ctx: NovaContext, r: CreateRequest): Promise<{ instances: Instance[]; reservationId: string }> {
    const d = this.d;
    // compute/api.py create: requests refused before the image is even read.
    if (r.requestedNetworks.length > 0 && r.maxCount > 1) {
      if (r.requestedNetworks.some((n) => n.networkId && n.address)) {
        throw new InvalidFixedIpAndMaxCountRequest('max_count cannot be greater than 1 if an fixed_ip is specified.');
      }
      if (r.requestedNetworks.some((n) => n.portId)) {
        throw new MultiplePortsNotApplicable('Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.');
      }
    }
    if (r.hostname && r.maxCount > 1) throw new AmbiguousHostnameForMultipleInstances();
    // A forced host skips the zone check: the host decides the zone. nova tests `is None`,
    // so "zone:" (an empty host) skips it too.
    if (r.availabilityZone && r.forcedHost === null) {
      const zones = await this.#services().availableZones(d.cfg.compute.default_availability_zone);
      if (!zones.includes(r.availabilityZone)) throw new InvalidRequest('The requested availability zone is not available');
    }
    const image = await d.image.show(ctx, r.imageRef);
    if (image.status !== 'active') throw new ImageNotActive(r.imageRef);
    if (r.flavor.memory_mb < (image.min_ram ?? 0)) throw new FlavorMemoryTooSmall();
    if (r.flavor.root_gb > 0 && (image.min_disk ?? 0) > r.flavor.root_gb) throw new FlavorDiskTooSmall();
    if (r.flavor.root_gb > 0 && (image.size ?? 0) > r.flavor.root_gb * 1024 ** 3) throw new FlavorDiskTooSmall();
    const autoDiskConfig = inheritAutoDiskConfig(image, r.imageRef, r.autoDiskConfig);
    // _validate_and_build_base_options, then _provision_instances, in nova's order: the
    // networks (and neutron's port quota) for max_count, the keypair, the requested
    // host, and only then the instance quota for what the ports allow.
    // _check_requested_secgroups: every name but "default" must be a group neutron finds.
    for (const sg of r.securityGroups) if (sg !== 'default') await d.network.validateSecurityGroupName(ctx, sg);
    const netCount = await d.network.validateNetworks(ctx, r.requestedNetworks, r.maxCount);
    const keyData = r.keyName !== null ? (await new KeyPairStore(d.db).getByName(ctx.userId, r.keyName)).public_key : null;
    if (netCount < r.minCount) throw new PortLimitExceeded();
    if (r.requestedHost !== null || r.requestedNode !== null) await this.#validateHostOrNode(r.requestedHost, r.requestedNode);
    await checkMetadataQuota(d.db, d.cfg, ctx.projectId, r.metadata);
    const hints = Object.fromEntries(Object.entries(r.schedulerHints ?? {}).filter(([k]) => !k.startsWith('_nova')));
    // _get_requested_instance_group: a missing group is InstanceGroupNotFound (400 on boot).
    const group = typeof hints.group === 'string' && hints.group ? await new ServerGroupStore(d.db).getByUuid(hints.group) : null;
    const count = await this.#checkQuota(ctx, r.flavor, r.minCount, Math.min(r.maxCount, netCount));
    if (group) await this.#checkGroupMembersQuota(ctx, group, count);
    const reservationId = `r-${d.random.uuid().replace(/-/g, '').slice(0, 8)}`;
    const created: Instance[] = [];
    // get_system_metadata_from_image(image, flavor): min_disk is at least the flavor's root
    // disk, so a later resize cannot shrink the root disk below what the server booted with.
    for (let idx = 0; idx < count; idx++) {
      const uuid = d.random.uuid();
      const name = count > 1 && r.minCount !== r.maxCount ? r.name : r.name;
      const hostname = r.hostname ?? sanitizeHostname(count > 1 ? `${name}-${idx + 1}` : name);
      const instance = await d.instances.create({
        uuid,
        projectId: ctx.projectId,
        userId: ctx.userId,
        displayName: count > 1 ? `${name}-${idx + 1}` : name,
        displayDescription: r.description,
        hostname,
        availabilityZone: r.availabilityZone,
        imageRef: r.imageRef,
        flavor: r.flavor,
        keyName: r.keyName,
        keyData,
        userData: r.userData,
        metadata: r.metadata,
        systemMetadata: { image_min_ram: String(image.min_ram ?? 0), image_min_disk: String(Math.max(image.min_disk ?? 0, r.flavor.root_gb)), image_disk_format: image.disk_format ?? '', image_container_format: image.container_format ?? '', image_base_image_ref: r.imageRef },
        requestedNetworks: r.requestedNetworks,
        securityGroups: r.securityGroups,
        tags: r.tags,
        configDrive: r.configDrive ? 'True' : '',
        autoDiskConfig,
        accessIpV4: r.accessIpV4,
        accessIpV6: r.accessIpV6,
        reservationId,
        launchIndex: idx,
      });
      await d.actions.start({ instanceUuid: uuid, action: Actions.CREATE, requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId });
      // Ties the request id to the uuid: grepping either then finds the whole boot.
      d.log.info({ instance: uuid, req: ctx.requestId }, `Creating instance ${instance.displayName}`);
      if (group) await new ServerGroupStore(d.db).addMember(group.id, uuid, isoMicros(d.clock.now()));
      created.push(instance);
    }
    for (const instance of created) {
      await d.conductor.buildInstances({
        ctx,
        instanceUuid: instance.uuid,
        requestSpec: {
          instanceUuid: instance.uuid,
          projectId: ctx.projectId,
          flavor: { vcpus: r.flavor.vcpus, memory_mb: r.flavor.memory_mb, root_gb: r.flavor.root_gb, ephemeral_gb: r.flavor.ephemeral_gb, swap: r.flavor.swap },
          availabilityZone: r.availabilityZone,
          ignoreHosts: [],
          numInstances: 1,
          // build_filter_properties: an empty forced host or node forces nothing.
          forceHosts: r.forcedHost ? [r.forcedHost] : [],
          forceNodes: r.forcedNode ? [r.forcedNode] : [],
          requestedDestination: r.requestedHost !== null || r.requestedNode !== null ? { host: r.requestedHost, node: r.requestedNode } : null,
          schedulerHints: hints,
          instanceGroup: group ? { uuid: group.uuid, policy: group.policy, rules: group.rules, members: [], hosts: [] } : null,
        },
        alternates: [],
        attempt: 1,
        tried: [],
      });
    }
    return { instances: created, reservationId };
  }

  // --- delete ---------------------------------------------------------------------------

  /** True when the host's nova-compute is up. */
  async hostIsUp(host: string): Promise<boolean> {
    const svc = await findServiceByHostAndBinary(this.d.db, host, 'nova-compute');
    return !!svc && serviceIsUp(svc, this.d.clock.now(), this.d.cfg.compute.service_down_time);
  }

  async delete(ctx: NovaContext, instance: Instance): Promise<void> {
    const d = this.d;
    if (instance.taskState === TaskState.DELETING && instance.host) return;
    await d.actions.start({ instanceUuid: instance.uuid, action: Actions.DELETE, requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId });
    // A shelved server's snapshot goes with it (nova's _delete).
    const shelvedImage = instance.systemMetadata.shelved_image_id;
    if ((instance.vmState === VmState.SHELVED || instance.vmState === VmState.SHELVED_OFFLOADED) && shelvedImage) {
      d.log.info({ instance: instance.uuid }, `Working on deleting snapshot ${shelvedImage} from shelved instance...`);
      await d.image.delete(ctx, shelvedImage).catch((err) => d.log.warn({ instance: instance.uuid }, `Failed to delete snapshot from shelved instance (${(err as Error).message}).`));
    }
    const updated = await d.instances.save(instance.uuid, { taskState: TaskState.DELETING });
    if (updated.host && (await this.hostIsUp(updated.host))) {
      // A server in VERIFY_RESIZE is confirmed before it is deleted (nova's _delete).
      if (updated.vmState === VmState.RESIZED) await new ResizeAPI(this).confirmOnDeleting(ctx, updated).catch((err) => d.log.warn({ err, instance: instance.uuid }, 'Failed to confirm the resize before the delete'));
      await d.compute.terminateInstance(updated.host, ctx, instance.uuid);
      return;
    }
    await this.#localDelete(ctx, updated);
  }

  /** _local_delete: no host to ask, so the API gives the ports back and destroys the record. */
  async #localDelete(ctx: NovaContext, instance: Instance): Promise<void> {
    const d = this.d;
    d.log.info({ instance: instance.uuid }, instance.host ? `instance's host ${instance.host} is down, deleting from database` : 'Deleting instance without a host from the database');
    const nwInfo = await d.instances.networkInfo(instance.uuid);
    await d.network.deallocateForInstance(ctx, instance, nwInfo).catch((err) => d.log.warn({ err }, 'Failed to deallocate network for instance.'));
    await d.instances.destroy(instance.uuid);
    await deleteAllocation(d.db, instance.uuid);
  }

  // --- interfaces -----------------------------------------------------------------------

  #checkInterfaceState(instance: Instance, method: string): void {
    const ok = [VmState.ACTIVE, VmState.STOPPED, 'paused', 'suspended'] as string[];
    if (!ok.includes(instance.vmState)) throw new InstanceInvalidState(instance.uuid, 'vm_state', instance.vmState, method);
    if (instance.taskState !== null) throw new InstanceInvalidState(instance.uuid, 'task_state', instance.taskState, method);
  }

  async attachInterface(ctx: NovaContext, instance: Instance, req: { networkId: string | null; portId: string | null; requestedIp: string | null; tag: string | null }): Promise<VIF> {
    this.#checkInterfaceState(instance, 'attach_interface');
    await this.d.actions.start({ instanceUuid: instance.uuid, action: Actions.ATTACH_INTERFACE, requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId });
    // compute/api.py attach_interface reads the port first, as the caller (an elevated
    // context keeps the user's token): a port the user cannot see is PortNotFound (404,
    // transcript 45) before any RPC.
    if (req.portId) await this.d.network.showPort(ctx, req.portId);
    return this.d.compute.attachInterface(instance.host!, { ctx, instanceUuid: instance.uuid, ...req });
  }

  async detachInterface(ctx: NovaContext, instance: Instance, portId: string): Promise<void> {
    this.#checkInterfaceState(instance, 'detach_interface');
    await this.d.actions.start({ instanceUuid: instance.uuid, action: Actions.DETACH_INTERFACE, requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId });
    await this.d.compute.detachInterface(instance.host!, ctx, instance.uuid, portId);
  }

  // --- hosts ----------------------------------------------------------------------------

  /** HostAPI.get_host_uptime's RPC (a call); the caller has checked the host exists and is up (_assert_host_exists). */
  getHostUptime(ctx: NovaContext, host: string): Promise<string> {
    return this.d.compute.getHostUptime(host, ctx);
  }

  // --- external events ------------------------------------------------------------------

  /** Casts each host its instances' events (external_instance_event). */
  async externalInstanceEvent(ctx: NovaContext, byHost: Map<string, ExternalEvent[]>): Promise<void> {
    for (const [host, events] of byHost) await this.d.compute.externalInstanceEvent(host, ctx, events);
  }
}
