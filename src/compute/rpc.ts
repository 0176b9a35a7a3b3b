/**
 * The RPC contracts between nova's services (nova/conductor/rpcapi.py,
 * scheduler/rpcapi.py, compute/rpcapi.py): each topic declared once as a contract
 * (ConductorTopic, SchedulerTopic, ComputeTopic) that the clients below and the
 * managers' listeners are both checked against (bus/contract.ts). Casts are one-way;
 * `call`s wait. Payloads are plain JSON.
 */
import type { TraceEvent } from '../common/trace.js';
import type { Bus } from '../bus/bus.js';
import { type RpcClient, defineTopic, rpcClient } from '../bus/contract.js';
import { Topics } from '../bus/topics.js';
import type { NovaContext } from './context.js';
import type { NetworkInfo } from './network/model.js';
import type { PowerOp } from './manager/power.js';
import type { InstanceFlavor } from './objects/instance.js';
import { OBJECT_METHODS, type ObjectWire } from './objects/indirection.js';
import type { HostDevices } from '../hostnet/host-network.js';
import type { HostCommandResult } from './virt/driver.js';
import type { HostCommand } from './virt/vif.js';

/** What the scheduler is asked to place (nova's RequestSpec, the parts used here). */
export interface RequestSpec {
  instanceUuid: string;
  projectId: string;
  flavor: { vcpus: number; memory_mb: number; root_gb: number; ephemeral_gb: number; swap: number };
  availabilityZone: string | null;
  /** Hosts already tried (retry.hosts), never picked again. */
  ignoreHosts: string[];
  numInstances: number;
  /** An admin's `zone:host[:node]`: the only host (nova's force_hosts); filters are skipped and there are no reschedules. */
  forceHosts?: string[];
  /** An admin's `zone::node` or `zone:host:node` (nova's force_nodes). */
  forceNodes?: string[];
  /** 2.74's host / hypervisor_hostname (nova's requested_destination): the only candidates, still filtered. */
  requestedDestination?: { host: string | null; node: string | null } | null;
  /** os:scheduler_hints (nova keeps unknown ones too): same_host, different_host, group... */
  schedulerHints?: Record<string, unknown>;
  /** The `group` hint's server group; the scheduler fills members and hosts when it selects (setup_instance_group). */
  instanceGroup?: { uuid: string; policy: string; rules: { max_server_per_host?: number }; members: string[]; hosts: string[] } | null;
}

/** One chosen host and its node, as the scheduler's Selection. */
export interface Selection {
  host: string;
  node: string;
}

export interface BuildRequest {
  ctx: NovaContext;
  instanceUuid: string;
  requestSpec: RequestSpec;
  /** The hosts the scheduler chose after the first, for reschedules (alternates). */
  alternates: Selection[];
  /** The build's attempt number (1 on the first host). */
  attempt: number;
  /** Hosts tried so far, with the reason each failed. */
  tried: { host: string; reason: string }[];
}

/** A resize or cold migration for the conductor (nova's migrate_server with live=False). */
export interface MigrateRequest {
  ctx: NovaContext;
  instanceUuid: string;
  /** The flavor to move to: the instance's own for a cold migration. */
  flavor: InstanceFlavor;
  /** The new flavor's resources, ignore_hosts (the source unless allowed) and a 2.56 host. */
  requestSpec: RequestSpec;
  /** A reschedule (from prep_resize): the alternates left (nova's host_list) and the retry so far. */
  hostList?: Selection[];
  retry?: MoveRetry | null;
}

/** filter_properties['retry'] of a move: absent when it may not be rescheduled (max_attempts 1, a targeted host). */
export interface MoveRetry {
  numAttempts: number;
  /** The previous attempt's error (retry['exc']), logged by the next one. */
  exc?: string;
}

/** What each compute step of a move gets: the instance, its migration record, and the step's extras. */
export interface ResizeArgs {
  ctx: NovaContext;
  instanceUuid: string;
  migrationUuid: string;
  /** prep_resize, resize_instance: the flavor moved to. */
  flavor?: InstanceFlavor;
  /** prep_resize: the destination node the scheduler chose. */
  node?: string;
  /** prep_resize: what a reschedule sends back to the conductor (request spec, alternates, retry). */
  requestSpec?: RequestSpec;
  hostList?: Selection[];
  retry?: MoveRetry | null;
}

/** A live migration for the conductor (nova's migrate_server with live=True). */
export interface LiveMigrateRequest {
  ctx: NovaContext;
  instanceUuid: string;
  /** A forced destination (2.30 force, or before 2.30 any host): the scheduler is skipped. */
  host: string | null;
  /** null: 'auto' (2.25), the driver decides (no shared storage here: block migration). */
  blockMigration: boolean | null;
  /** The instance's resources, the source in ignore_hosts, a non-forced host as requestedDestination. */
  requestSpec: RequestSpec;
}

/** What each compute step of a live migration gets. */
export interface LiveMigrationArgs {
  ctx: NovaContext;
  instanceUuid: string;
  migrationUuid: string;
  /** The destination host. */
  dest: string;
  /** null ('auto') until the destination's check decides. */
  blockMigration: boolean | null;
  /** What the checks agreed on (live_migration and the steps after it). */
  data?: LiveMigrateData;
}

/** LibvirtLiveMigrateData, the parts Nimbus uses: what the destination and source checks agree on. */
export interface LiveMigrateData {
  blockMigration: boolean;
  /** pre_live_migration's answer: the source waits for network-vif-plugged from the destination. */
  waitForVifPlugged?: boolean;
}

/** An unshelve for the conductor (nova's unshelve_instance with its request spec). */
export interface UnshelveRequest {
  ctx: NovaContext;
  instanceUuid: string;
  /** The flavor's resources, the zone, and a 2.91 host as requestedDestination. */
  requestSpec: RequestSpec;
}

/** shelve_instance / shelve_offload_instance / unshelve_instance arguments. */
export interface ShelveArgs {
  ctx: NovaContext;
  instanceUuid: string;
  /** shelve: the snapshot image nova-api created; unshelve: the shelved image (null when none). */
  imageId?: string | null;
  /** unshelve: the node the scheduler chose. */
  node?: string;
}

/**
 * An evacuation for the conductor (nova's rebuild_instance with recreate=True): `host`
 * is a forced destination (before 2.29 with a host, or force=true), claimed without the
 * filters; otherwise the spec's requestedDestination (a 2.29+ host) or any host but the source.
 */
export interface EvacuateRequest {
  ctx: NovaContext;
  instanceUuid: string;
  host: string | null;
  requestSpec: RequestSpec;
}

/** rebuild_instance with recreate=True on the destination: the evacuation migration and the chosen node. */
export interface EvacuateArgs {
  ctx: NovaContext;
  instanceUuid: string;
  migrationUuid: string;
  node: string;
  recreate: true;
}

export class ConductorRpc {
  readonly #rpc: RpcClient<ConductorTopic>;
  constructor(bus: Bus) {
    this.#rpc = rpcClient(bus, ConductorTopicDef);
  }
  /** rebuild_instance (cast) for an evacuation: schedule (or claim the forced host), then rebuild there. */
  rebuildInstance(req: EvacuateRequest): Promise<void> {
    return this.#rpc.cast('rebuild_instance', req, { ctx: { requestId: req.ctx.requestId } });
  }
  /** unshelve_instance (cast): start a SHELVED server, or schedule and unshelve an offloaded one. */
  unshelveInstance(req: UnshelveRequest): Promise<void> {
    return this.#rpc.cast('unshelve_instance', req, { ctx: { requestId: req.ctx.requestId } });
  }
  /** migrate_server (cast, as the API's resize_instance with do_cast=True). */
  migrateServer(req: MigrateRequest): Promise<void> {
    return this.#rpc.cast('migrate_server', req, { ctx: { requestId: req.ctx.requestId } });
  }
  /**
   * live_migrate_instance: a call before API 2.34 (the API answers the pre-checks' errors),
   * a cast from 2.34 (async_; they only show in the instance action).
   */
  liveMigrateInstance(req: LiveMigrateRequest, opts: { wait: boolean; timeoutMs?: number }): Promise<void> {
    const o = { ctx: { requestId: req.ctx.requestId } };
    // nova's call goes to migrate_server(live=True); `sync` names that event here.
    return opts.wait ? this.#rpc.call('live_migrate_instance', { ...req, sync: true }, { ...o, timeoutMs: opts.timeoutMs }) : this.#rpc.cast('live_migrate_instance', req, o);
  }
  /** record_trace_events (cast): a batch of a nova-compute's trace steps; lost if no conductor runs, as logs would be. */
  recordTraceEvents(events: TraceEvent[]): Promise<void> {
    return this.#rpc.cast('record_trace_events', { events });
  }
  /** Schedules and starts builds (nova's build_instances), also on reschedule. */
  buildInstances(req: BuildRequest): Promise<void> {
    return this.#rpc.cast('build_instances', req, { ctx: { requestId: req.ctx.requestId } });
  }
}

export class SchedulerRpc {
  readonly #rpc: RpcClient<SchedulerTopic>;
  constructor(bus: Bus) {
    this.#rpc = rpcClient(bus, SchedulerTopicDef);
  }
  /** One list per instance: the chosen host first, then its alternates. Raises NoValidHost. */
  selectDestinations(ctx: NovaContext, spec: RequestSpec): Promise<Selection[][]> {
    return this.#rpc.call('select_destinations', { ctx, spec }, { ctx: { requestId: ctx.requestId } });
  }
  /** claim_resources on an alternate (a call): false when it no longer fits or is down. */
  claim(ctx: NovaContext, host: string, spec: RequestSpec): Promise<boolean> {
    return this.#rpc.call('claim', { instanceUuid: spec.instanceUuid, host, spec }, { ctx: { requestId: ctx.requestId } });
  }
}

export interface AttachInterfaceArgs {
  ctx: NovaContext;
  instanceUuid: string;
  networkId: string | null;
  portId: string | null;
  requestedIp: string | null;
  tag: string | null;
}

export interface ExternalEvent {
  name: string;
  /** The port id for network-vif-* events. */
  tag: string | null;
  status: 'completed' | 'failed' | 'in-progress';
  serverUuid: string;
}

/**
 * The conductor topic: the compute tasks (nova's ComputeTaskAPI) plus the object
 * indirection's methods (ObjectWire), all served by nova-conductor.
 */
export interface ConductorTopic extends ObjectWire {
  build_instances: { args: BuildRequest; result: void };
  migrate_server: { args: MigrateRequest; result: void };
  /** `sync`: sent as a call (before API 2.34), whose errors go back to the API. */
  live_migrate_instance: { args: LiveMigrateRequest & { sync?: boolean }; result: void };
  unshelve_instance: { args: UnshelveRequest; result: void };
  /** Evacuations only (recreate=True). */
  rebuild_instance: { args: EvacuateRequest; result: void };
  /** A nova-compute's batch of trace steps (it holds no database), written to nova's nimbus_trace_events. */
  record_trace_events: { args: { events: TraceEvent[] }; result: void };
}

export const ConductorTopicDef = defineTopic<ConductorTopic>(Topics.conductor, {
  ...OBJECT_METHODS,
  build_instances: true,
  migrate_server: true,
  live_migrate_instance: true,
  unshelve_instance: true,
  rebuild_instance: true,
  record_trace_events: true,
});

export interface SchedulerTopic {
  select_destinations: { args: { ctx: NovaContext; spec: RequestSpec }; result: Selection[][] };
  claim: { args: { instanceUuid: string; host: string; spec: RequestSpec }; result: boolean };
}

export const SchedulerTopicDef = defineTopic<SchedulerTopic>(Topics.scheduler, { select_destinations: true, claim: true });

/** An instance and its request context: the arguments of most compute methods. */
interface InstanceArgs {
  ctx: NovaContext;
  instanceUuid: string;
}

/** rebuild_instance on compute: in place (origVmState), or an evacuation's destination (EvacuateArgs). */
export type ComputeRebuildArgs = (InstanceArgs & { origVmState: string }) | EvacuateArgs;

/** compute.<host>: what nova-compute serves (nova's ComputeAPI in compute/rpcapi.py). */
export interface ComputeTopic {
  build_and_run_instance: { args: BuildRequest & { node: string }; result: void };
  terminate_instance: { args: InstanceArgs; result: void };
  attach_interface: { args: AttachInterfaceArgs; result: NetworkInfo[number] };
  detach_interface: { args: InstanceArgs & { portId: string }; result: void };
  power_action: { args: InstanceArgs & { op: PowerOp }; result: void };
  trigger_crash_dump: { args: InstanceArgs; result: void };
  rebuild_instance: { args: ComputeRebuildArgs; result: void };
  snapshot_instance: { args: InstanceArgs & { imageId: string }; result: void };
  backup_instance: { args: InstanceArgs & { imageId: string; backupType: string; rotation: number }; result: void };
  get_console_output: { args: InstanceArgs & { tailLength: number | null }; result: string };
  get_diagnostics: { args: InstanceArgs; result: unknown };
  get_instance_diagnostics: { args: InstanceArgs; result: unknown };
  get_host_uptime: { args: { ctx: NovaContext }; result: string };
  external_instance_event: { args: { ctx: NovaContext; events: ExternalEvent[] }; result: void };
  prep_resize: { args: ResizeArgs; result: void };
  resize_instance: { args: ResizeArgs; result: void };
  finish_resize: { args: ResizeArgs; result: void };
  confirm_resize: { args: ResizeArgs; result: void };
  revert_resize: { args: ResizeArgs; result: void };
  finish_revert_resize: { args: ResizeArgs; result: void };
  shelve_instance: { args: ShelveArgs; result: void };
  shelve_offload_instance: { args: ShelveArgs; result: void };
  unshelve_instance: { args: ShelveArgs; result: void };
  check_can_live_migrate_destination: { args: LiveMigrationArgs; result: LiveMigrateData };
  check_can_live_migrate_source: { args: LiveMigrationArgs & { data: LiveMigrateData }; result: LiveMigrateData };
  live_migration: { args: LiveMigrationArgs; result: void };
  pre_live_migration: { args: LiveMigrationArgs & { data: LiveMigrateData }; result: LiveMigrateData };
  post_live_migration_at_destination: { args: LiveMigrationArgs; result: void };
  rollback_live_migration_at_destination: { args: LiveMigrationArgs; result: void };
  live_migration_force_complete: { args: InstanceArgs & { migrationId: number }; result: void };
  live_migration_abort: { args: InstanceArgs & { migrationId: number }; result: void };
  /** Nimbus's operator API (not nova's): the host's devices now, for diagnosis and repair-vifs. */
  host_devices: { args: { ctx: NovaContext }; result: HostDevices };
  /** Nimbus's operator API: root commands run in order on the host (repair-vifs --apply), stopping at the first failure. */
  host_run_commands: { args: { ctx: NovaContext; commands: HostCommand[] }; result: HostCommandResult[] };
  /** Nimbus's snapshots: the host's simulated devices and guests, serialised (base64). */
  host_snapshot_dump: { args: { ctx: NovaContext }; result: string };
  /** Nimbus's snapshots: puts back a host_snapshot_dump, or (null) the host's start-up state. */
  host_snapshot_restore: { args: { ctx: NovaContext; dump: string | null }; result: void };
}

export const ComputeTopicDef = defineTopic<ComputeTopic>(Topics.compute, {
  build_and_run_instance: true,
  terminate_instance: true,
  attach_interface: true,
  detach_interface: true,
  power_action: true,
  trigger_crash_dump: true,
  rebuild_instance: true,
  snapshot_instance: true,
  backup_instance: true,
  get_console_output: true,
  get_diagnostics: true,
  get_instance_diagnostics: true,
  get_host_uptime: true,
  external_instance_event: true,
  prep_resize: true,
  resize_instance: true,
  finish_resize: true,
  confirm_resize: true,
  revert_resize: true,
  finish_revert_resize: true,
  shelve_instance: true,
  shelve_offload_instance: true,
  unshelve_instance: true,
  check_can_live_migrate_destination: true,
  check_can_live_migrate_source: true,
  live_migration: true,
  pre_live_migration: true,
  post_live_migration_at_destination: true,
  rollback_live_migration_at_destination: true,
  live_migration_force_complete: true,
  live_migration_abort: true,
  host_devices: true,
  host_run_commands: true,
  host_snapshot_dump: true,
  host_snapshot_restore: true,
});

export class ComputeRpc {
  constructor(private readonly bus: Bus) {}
  /** compute.<host>: every compute message goes to one host. */
  #to(host: string): RpcClient<ComputeTopic> {
    return rpcClient(this.bus, ComputeTopicDef, { server: host });
  }
  buildAndRunInstance(host: string, node: string, req: BuildRequest): Promise<void> {
    return this.#to(host).cast('build_and_run_instance', { ...req, node }, { ctx: { requestId: req.ctx.requestId } });
  }
  terminateInstance(host: string, ctx: NovaContext, instanceUuid: string): Promise<void> {
    return this.#to(host).cast('terminate_instance', { ctx, instanceUuid }, { ctx: { requestId: ctx.requestId } });
  }
  /** A call: the API answers with the attachment once compute has plugged it. */
  attachInterface(host: string, args: AttachInterfaceArgs): Promise<NetworkInfo[number]> {
    return this.#to(host).call('attach_interface', args, { ctx: { requestId: args.ctx.requestId }, timeoutMs: 300_000 });
  }
  detachInterface(host: string, ctx: NovaContext, instanceUuid: string, portId: string): Promise<void> {
    return this.#to(host).cast('detach_interface', { ctx, instanceUuid, portId }, { ctx: { requestId: ctx.requestId } });
  }
  /** The power operations (stop_instance, start_instance, reboot_instance, pause_instance...): casts. */
  powerAction(host: string, ctx: NovaContext, instanceUuid: string, op: PowerOp): Promise<void> {
    return this.#to(host).cast('power_action', { ctx, instanceUuid, op }, { ctx: { requestId: ctx.requestId } });
  }
  triggerCrashDump(host: string, ctx: NovaContext, instanceUuid: string): Promise<void> {
    return this.#to(host).cast('trigger_crash_dump', { ctx, instanceUuid }, { ctx: { requestId: ctx.requestId } });
  }
  /** rebuild_instance (a cast; nova goes through the conductor, which only passes it on for a rebuild in place). */
  rebuildInstance(host: string, ctx: NovaContext, instanceUuid: string, origVmState: string): Promise<void> {
    return this.#to(host).cast('rebuild_instance', { ctx, instanceUuid, origVmState }, { ctx: { requestId: ctx.requestId } });
  }
  snapshotInstance(host: string, ctx: NovaContext, instanceUuid: string, imageId: string): Promise<void> {
    return this.#to(host).cast('snapshot_instance', { ctx, instanceUuid, imageId }, { ctx: { requestId: ctx.requestId } });
  }
  backupInstance(host: string, ctx: NovaContext, instanceUuid: string, imageId: string, backupType: string, rotation: number): Promise<void> {
    return this.#to(host).cast('backup_instance', { ctx, instanceUuid, imageId, backupType, rotation }, { ctx: { requestId: ctx.requestId } });
  }
  /** A call: the console log (its last tailLength lines when given). */
  getConsoleOutput(host: string, ctx: NovaContext, instanceUuid: string, tailLength: number | null): Promise<string> {
    return this.#to(host).call('get_console_output', { ctx, instanceUuid, tailLength }, { ctx: { requestId: ctx.requestId } });
  }
  /** A call: get_diagnostics (`v2` false) or get_instance_diagnostics (`v2` true). */
  getDiagnostics(host: string, ctx: NovaContext, instanceUuid: string, v2: boolean): Promise<unknown> {
    return this.#to(host).call(v2 ? 'get_instance_diagnostics' : 'get_diagnostics', { ctx, instanceUuid }, { ctx: { requestId: ctx.requestId } });
  }
  /** A call: every network device on the host now. */
  hostDevices(host: string, ctx: NovaContext): Promise<HostDevices> {
    return this.#to(host).call('host_devices', { ctx }, { ctx: { requestId: ctx.requestId } });
  }
  /** A call: runs root commands on the host in order, stopping at the first failure. */
  hostRunCommands(host: string, ctx: NovaContext, commands: HostCommand[]): Promise<HostCommandResult[]> {
    return this.#to(host).call('host_run_commands', { ctx, commands }, { ctx: { requestId: ctx.requestId } });
  }
  /** A call: the host's devices and guests for a snapshot. */
  hostSnapshotDump(host: string, ctx: NovaContext): Promise<string> {
    return this.#to(host).call('host_snapshot_dump', { ctx }, { ctx: { requestId: ctx.requestId } });
  }
  /** A call: the host's devices and guests put back (null: as the host started). */
  hostSnapshotRestore(host: string, ctx: NovaContext, dump: string | null): Promise<void> {
    return this.#to(host).call('host_snapshot_restore', { ctx, dump }, { ctx: { requestId: ctx.requestId } });
  }
  /** A call: what the host's `uptime` prints (get_host_uptime). */
  getHostUptime(host: string, ctx: NovaContext): Promise<string> {
    return this.#to(host).call('get_host_uptime', { ctx }, { ctx: { requestId: ctx.requestId } });
  }
  // The steps of a resize / cold migration, each a cast to the host that does it.
  /** prep_resize, to the destination: claim, then resize_instance on the source. */
  prepResize(host: string, args: ResizeArgs): Promise<void> {
    return this.#to(host).cast('prep_resize', args, { ctx: { requestId: args.ctx.requestId } });
  }
  /** resize_instance, to the source: power off, unplug, then finish_resize on the destination. */
  resizeInstance(host: string, args: ResizeArgs): Promise<void> {
    return this.#to(host).cast('resize_instance', args, { ctx: { requestId: args.ctx.requestId } });
  }
  /** finish_resize, to the destination: bind, plug, start; VERIFY_RESIZE. */
  finishResize(host: string, args: ResizeArgs): Promise<void> {
    return this.#to(host).cast('finish_resize', args, { ctx: { requestId: args.ctx.requestId } });
  }
  /**
   * confirm_resize, to the source: drop the source guest and its allocation. A cast,
   * or a call (cast=False) when a delete confirms first and must wait for it.
   */
  confirmResize(host: string, args: ResizeArgs, opts: { wait?: boolean } = {}): Promise<void> {
    const o = { ctx: { requestId: args.ctx.requestId } };
    return opts.wait ? this.#to(host).call('confirm_resize', args, { ...o, timeoutMs: 60_000 }) : this.#to(host).cast('confirm_resize', args, o);
  }
  /** revert_resize, to the destination: destroy there, then finish_revert_resize on the source. */
  revertResize(host: string, args: ResizeArgs): Promise<void> {
    return this.#to(host).cast('revert_resize', args, { ctx: { requestId: args.ctx.requestId } });
  }
  /** finish_revert_resize, to the source: old flavor, host and binding back; plug and start. */
  finishRevertResize(host: string, args: ResizeArgs): Promise<void> {
    return this.#to(host).cast('finish_revert_resize', args, { ctx: { requestId: args.ctx.requestId } });
  }
  /** shelve_instance: power off, snapshot, SHELVED (and offload when shelved_offload_time is 0). */
  shelveInstance(host: string, args: ShelveArgs): Promise<void> {
    return this.#to(host).cast('shelve_instance', args, { ctx: { requestId: args.ctx.requestId } });
  }
  /** shelve_offload_instance: destroy the guest here (VIFs unplugged), drop the allocation, no host. */
  shelveOffloadInstance(host: string, args: ShelveArgs): Promise<void> {
    return this.#to(host).cast('shelve_offload_instance', args, { ctx: { requestId: args.ctx.requestId } });
  }
  /** unshelve_instance, to the scheduled host: bind the ports here, spawn, ACTIVE. */
  unshelveInstance(host: string, args: ShelveArgs): Promise<void> {
    return this.#to(host).cast('unshelve_instance', args, { ctx: { requestId: args.ctx.requestId } });
  }
  // The steps of a live migration (nova's compute rpcapi; calls wait rpc_response_timeout,
  // or long_rpc_timeout for pre_live_migration and post_live_migration_at_destination).
  /** check_can_live_migrate_destination (call, to the destination): it checks, then asks the source. */
  checkCanLiveMigrateDestination(host: string, args: LiveMigrationArgs, timeoutMs: number): Promise<LiveMigrateData> {
    return this.#to(host).call('check_can_live_migrate_destination', args, { ctx: { requestId: args.ctx.requestId }, timeoutMs });
  }
  /** check_can_live_migrate_source (call, to the source). */
  checkCanLiveMigrateSource(host: string, args: LiveMigrationArgs, data: LiveMigrateData, timeoutMs: number): Promise<LiveMigrateData> {
    return this.#to(host).call('check_can_live_migrate_source', { ...args, data }, { ctx: { requestId: args.ctx.requestId }, timeoutMs });
  }
  /** live_migration (cast, to the source): queued, then the migration runs there. */
  liveMigration(host: string, args: LiveMigrationArgs): Promise<void> {
    return this.#to(host).cast('live_migration', args, { ctx: { requestId: args.ctx.requestId } });
  }
  /** pre_live_migration (call, to the destination): plug the VIFs there; answers whether to wait for their events. */
  preLiveMigration(host: string, args: LiveMigrationArgs, data: LiveMigrateData, timeoutMs: number): Promise<LiveMigrateData> {
    return this.#to(host).call('pre_live_migration', { ...args, data }, { ctx: { requestId: args.ctx.requestId }, timeoutMs });
  }
  /** post_live_migration_at_destination (call, to the destination): the instance becomes the destination's. */
  postLiveMigrationAtDestination(host: string, args: LiveMigrationArgs, timeoutMs: number): Promise<void> {
    return this.#to(host).call('post_live_migration_at_destination', args, { ctx: { requestId: args.ctx.requestId }, timeoutMs });
  }
  /** rollback_live_migration_at_destination (cast): the destination's bindings deleted, its VIFs unplugged. */
  rollbackLiveMigrationAtDestination(host: string, args: LiveMigrationArgs): Promise<void> {
    return this.#to(host).cast('rollback_live_migration_at_destination', args, { ctx: { requestId: args.ctx.requestId } });
  }
  /** live_migration_force_complete (cast, to the source). */
  liveMigrationForceComplete(host: string, ctx: NovaContext, instanceUuid: string, migrationId: number): Promise<void> {
    return this.#to(host).cast('live_migration_force_complete', { ctx, instanceUuid, migrationId }, { ctx: { requestId: ctx.requestId } });
  }
  /** live_migration_abort (cast, to the source). */
  liveMigrationAbort(host: string, ctx: NovaContext, instanceUuid: string, migrationId: number): Promise<void> {
    return this.#to(host).cast('live_migration_abort', { ctx, instanceUuid, migrationId }, { ctx: { requestId: ctx.requestId } });
  }
  /** rebuild_instance with recreate=True, to the evacuation's destination: bind the ports here, spawn, migration done. */
  evacuateInstance(host: string, args: EvacuateArgs): Promise<void> {
    return this.#to(host).cast('rebuild_instance', args, { ctx: { requestId: args.ctx.requestId } });
  }
  externalInstanceEvent(host: string, ctx: NovaContext, events: ExternalEvent[]): Promise<void> {
    return this.#to(host).cast('external_instance_event', { ctx, events }, { ctx: { requestId: ctx.requestId } });
  }
}
