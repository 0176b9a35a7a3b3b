/**
 * The virt driver contract nova-compute drives (nova/virt/driver.py, the parts a build,
 * a delete and interface attach/detach use). `VirtAPI` is what the driver may ask of
 * compute: waiting for external events (network-vif-plugged) during spawn.
 */
import type { NovaContext } from '../context.js';
import type { NetworkInfo, VIF } from '../network/model.js';
import type { Instance, InstanceFlavor } from '../objects/instance.js';
import type { HostDevices } from '../../hostnet/host-network.js';
import type { HostCommand } from './vif.js';

export interface HostResources {
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  hypervisor_type: string;
  hypervisor_version: number;
  cpu_info: string;
  host_ip: string;
}

/** LibvirtLiveMigrateData, the fields Nimbus's checks use. */
export interface LiveMigrationData {
  blockMigration: boolean;
}

export interface VirtAPI {
  /**
   * Registers for the events, runs `body` (which plugs the VIFs), then waits for them up
   * to `deadlineS` seconds. On timeout or a failed event the returned promise rejects
   * with InstanceEventTimeout / VirtualInterfaceCreateException as nova's do.
   */
  waitForInstanceEvent(instance: Instance, events: [name: string, tag: string][], deadlineS: number, body: () => Promise<void>): Promise<void>;
}

export interface VirtDriver {
  readonly host: string;
  nodename(): string;
  resources(): HostResources;
  /**
   * What a move claim tests beyond placement (claims.MoveClaim: the host's NUMA cells
   * and PCI devices, which only the hypervisor reports): why `flavor` cannot fit here,
   * or null when it can.
   */
  moveClaimRefusal(flavor: InstanceFlavor): string | null;
  /** binding:host_id for the instance's ports (network_binding_host_id). */
  networkBindingHostId(instance: Instance): string;
  /** The MACs the driver requires, or null for any (macs_for_instance). */
  macsForInstance(instance: Instance): string[] | null;
  /** Creates and starts the guest; `nwInfo` resolves when network allocation is done. */
  spawn(ctx: NovaContext, instance: Instance, nwInfo: Promise<NetworkInfo>): Promise<void>;
  /** Stops the guest and unplugs its VIFs; nothing missing is an error. */
  destroy(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo): Promise<void>;
  /**
   * plug_vifs: plugs the VIFs of a guest that already runs (init_host after a restart
   * re-creates what the host lost). Idempotent. Throws VirtualInterfacePlugException.
   */
  plugVifs(instance: Instance, nwInfo: NetworkInfo): Promise<void>;
  attachInterface(ctx: NovaContext, instance: Instance, vif: VIF): Promise<void>;
  detachInterface(ctx: NovaContext, instance: Instance, vif: VIF): Promise<void>;
  /** Power operations on an existing guest; InstanceNotFound when the host has none. VIFs are left as they are. */
  powerOff(instance: Instance): Promise<void>;
  powerOn(instance: Instance): Promise<void>;
  reboot(instance: Instance, type: 'SOFT' | 'HARD'): Promise<void>;
  pause(instance: Instance): Promise<void>;
  unpause(instance: Instance): Promise<void>;
  suspend(instance: Instance): Promise<void>;
  resume(instance: Instance): Promise<void>;
  triggerCrashDump(instance: Instance): Promise<void>;
  /** rescue / unrescue: boot the guest from a rescue image, and back (the fake driver only keeps it running). */
  rescue(instance: Instance): Promise<void>;
  unrescue(instance: Instance): Promise<void>;
  /** The guest's root disk as a snapshot image's data (qcow2). */
  snapshot(instance: Instance): Promise<string>;
  /** The guest's console log. */
  getConsoleOutput(instance: Instance): Promise<string>;
  /** get_diagnostics (API before 2.48): free-form counters of the guest. */
  getDiagnostics(instance: Instance): Promise<Record<string, number>>;
  /** get_instance_diagnostics (API 2.48+): nova's Diagnostics object, in its API view. */
  getInstanceDiagnostics(instance: Instance): Promise<InstanceDiagnostics>;
  // --- resize and cold migration (nova/virt/driver.py, libvirt's behaviour) ----------
  /**
   * migrate_disk_and_power_off, on the source: powers the guest off and unplugs its VIFs;
   * the guest stays defined until the move is confirmed. A smaller root or ephemeral
   * disk raises InstanceFaultRollback(ResizeError "Unable to resize disk down.").
   */
  migrateDiskAndPowerOff(ctx: NovaContext, instance: Instance, newFlavor: InstanceFlavor, nwInfo: NetworkInfo): Promise<void>;
  /** finish_migration, on the destination: defines the guest, plugs its VIFs, starts it unless powerOn is false. */
  finishMigration(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo, powerOn: boolean): Promise<void>;
  /** confirm_migration, on the source: undefines the powered-off source guest (its VIFs are already unplugged). */
  confirmMigration(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo): Promise<void>;
  /** finish_revert_migration, on the source: the guest back, VIFs plugged, started unless powerOn is false. */
  finishRevertMigration(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo, powerOn: boolean): Promise<void>;
  // --- live migration (nova/virt/driver.py, libvirt's behaviour) ----------------------
  /**
   * check_can_live_migrate_destination / _source: what both ends agree on. `blockMigration`
   * null is 'auto' (the driver chooses). Throws an Invalid (MigrationPreCheckError...) to refuse.
   */
  checkCanLiveMigrateDestination(instance: Instance, blockMigration: boolean | null): LiveMigrationData;
  checkCanLiveMigrateSource(instance: Instance, data: LiveMigrationData): LiveMigrationData;
  /** pre_live_migration, on the destination: the incoming guest's VIFs plugged here. */
  preLiveMigration(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo): Promise<void>;
  /**
   * live_migration, on the source: copies the guest, then calls `post` (completed) or
   * `recover` with the migration's final status ('cancelled' after an abort, 'failed'
   * otherwise) and resolves once that callback is done. Throws when it cannot even start.
   */
  liveMigration(instance: Instance, dest: string, post: () => Promise<void>, recover: (status: string) => Promise<void>): Promise<void>;
  /** live_migration_force_complete: the running migration converges now. Throws when none runs. */
  liveMigrationForceComplete(instance: Instance): Promise<void>;
  /** live_migration_abort: the running migration is cancelled (its recover runs). Throws when none runs. */
  liveMigrationAbort(instance: Instance): Promise<void>;
  /** post_live_migration_at_source: the source guest is gone; its VIFs unplugged (errors ignored). */
  postLiveMigrationAtSource(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo): Promise<void>;
  /** post_live_migration_at_destination: the incoming guest is this host's, running (or paused as it was). */
  postLiveMigrationAtDestination(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo): Promise<void>;
  /** rollback_live_migration_at_destination: the incoming guest dropped, its VIFs unplugged (errors ignored). */
  rollbackLiveMigrationAtDestination(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo): Promise<void>;
  /** Power state of the guest now (power_state.*). */
  powerState(instance: Instance): number;
  /** Guests this host runs (instance uuids). */
  listInstances(): string[];
  /** get_host_uptime: what the host's `uptime` command prints (libvirt's driver runs `env LANG=C uptime`). */
  getHostUptime(): string;
  /** Every network device on the host now (the operator API's diagnosis and repair-vifs). */
  hostDevices(): HostDevices;
  /** Runs root commands on the host in order (repair-vifs --apply), stopping at the first failure. */
  runHostCommands(commands: HostCommand[]): Promise<HostCommandResult[]>;
  /** `nimbus snapshot save`: the host's devices and guests, serialised (throws for real devices). */
  dumpHost(): string;
  /** `nimbus snapshot load`: puts back a dumpHost's state, or with null the start-up state (throws for real devices). */
  restoreHost(dump: string | null): void;
}

/** What one command run by runHostCommands did: its stdout, or the failure it stopped at. */
export interface HostCommandResult {
  argv: string[];
  ok: boolean;
  stdout: string;
  /** ProcessExecutionError's text when it failed. */
  error: string | null;
}

/** nova's objects.Diagnostics as the 2.48 view shows it (views/server_diagnostics.py field order). */
export interface InstanceDiagnostics {
  state: string;
  driver: string;
  hypervisor: string;
  hypervisor_os: string;
  uptime: number;
  config_drive: boolean;
  num_cpus: number;
  num_nics: number;
  num_disks: number;
  disk_details: { read_bytes: number; read_requests: number; write_bytes: number; write_requests: number; errors_count: number }[];
  cpu_details: { id: number; time: number; utilisation: number }[];
  nic_details: {
    mac_address: string;
    rx_octets: number;
    rx_errors: number;
    rx_drop: number;
    rx_packets: number;
    rx_rate: number;
    tx_octets: number;
    tx_errors: number;
    tx_drop: number;
    tx_packets: number;
    tx_rate: number;
  }[];
  memory_details: { maximum: number; used: number };
}
