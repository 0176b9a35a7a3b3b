/**
 * A libvirt-like fake hypervisor: no guests run, but everything nova does around them
 * does. spawn registers for network-vif-plugged of every VIF neutron has not yet
 * marked active, plugs each VIF on the host's network devices exactly as the libvirt
 * driver's VIF driver would (hybrid plug: tap/qbr/qvb/qvo), "starts" the guest and
 * waits for the events; destroy unplugs. Guests are kept in memory per host.
 */
import { deserialize, serialize } from 'node:v8';
import type { Clock } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import { CommandFailed, type HostDevices, type HostNetwork, type SequencedCommand } from '../../hostnet/host-network.js';
import type { NovaContext } from '../context.js';
import { InstanceFaultRollback, InstanceNotFound, ResizeError, VirtualInterfaceCreateException } from '../errors.js';
import { EventWaitTimeout, type InstanceEvents } from '../manager/events.js';
import { type NetworkInfo, type VIF } from '../network/model.js';
import type { Instance, InstanceFlavor } from '../objects/instance.js';
import { PowerState } from '../objects/states.js';
import type { HostCommandResult, HostResources, InstanceDiagnostics, LiveMigrationData, VirtDriver } from './driver.js';
import type { TraceRecorder } from '../../common/trace.js';
import { type HostCommand, attachGuestTap, checkGuestVifConfig, deleteGuestNamespace, detachGuestTap, plugFailure, plugVif, unplugVif } from './vif.js';
import type { FaultBook } from '../../common/faults.js';
import type { HostDump } from '../../hostnet/simulated/state.js';

/** A live migration the source is running: its timer, and how it ends early. */
interface MigrationJob {
  finish(how: 'completed' | 'cancelled'): void;
}

export interface Guest {
  name: string;
  powerState: number;
  vifs: Set<string>;
  /** The guest's serial console log (what get_console_output reads); filled lazily. */
  console?: string[];
}

export interface FakeDriverDeps {
  host: string;
  cfg: Config;
  log: Logger;
  hostnet: HostNetwork;
  events: InstanceEvents;
  /** The simulated host boots when its driver is made; `uptime` counts from then. */
  clock: Clock;
  /** Fault injection: plug-failure faults for this host make the next plugs fail. */
  faults?: FaultBook;
  /** Records each plug and unplug with the commands it ran, for `nimbus trace`. */
  trace?: TraceRecorder;
}

export class FakeLibvirtDriver implements VirtDriver {
  readonly host: string;
  readonly #guests = new Map<string, Guest>();
  /** Guests arriving by live migration (pre_live_migration until post or rollback at destination), with the VIFs plugged for them. */
  readonly #incoming = new Map<string, { guest: Guest; vifs: NetworkInfo }>();
  /** Live migrations this host is the source of, by instance. */
  readonly #jobs = new Map<string, MigrationJob>();
  /** When the simulated host booted (ms since the epoch). */
  readonly #bootedAt: number;
  /** An injected claim refusal: the reason every move claim here fails with, until cleared. */
  #claimRefusal: string | null = null;

  constructor(private readonly d: FakeDriverDeps) {
    this.host = d.host;
    this.#bootedAt = d.clock.now();
  }

  nodename(): string {
    return this.host;
  }

  resources(): HostResources {
    const c = this.d.cfg.compute;
    return { vcpus: c.host_vcpus, memory_mb: c.host_memory_mb, local_gb: c.host_disk_gb, hypervisor_type: 'QEMU', hypervisor_version: 7002000, cpu_info: '{"arch": "x86_64", "model": "Nimbus", "vendor": "Nimbus", "topology": {"cells": 1, "sockets": 1, "cores": 16, "threads": 1}, "features": []}', host_ip: '127.0.0.1' };
  }

  /** The fake has no NUMA cells or PCI devices: a claim fails only when a fault was injected. */
  moveClaimRefusal(_flavor: InstanceFlavor): string | null {
    return this.#claimRefusal;
  }

  /**
   * Fault injection (data, not a patch): every move claim on this host fails with
   * `reason` (by default the NUMA text nova's MoveClaim gives) until called with null.
   */
  refuseClaims(reason: string | null = 'Requested instance NUMA topology cannot fit the given host NUMA topology'): void {
    this.#claimRefusal = reason;
  }

  networkBindingHostId(_instance: Instance): string {
    return this.host;
  }

  macsForInstance(_instance: Instance): string[] | null {
    return null;
  }

  powerState(instance: Instance): number {
    return this.#guests.get(instance.uuid)?.powerState ?? PowerState.NOSTATE;
  }

  /** The guests (domains) as structured-clonable data, for `nimbus snapshot save`. */
  dumpGuests(): Map<string, Guest> {
    return structuredClone(this.#guests);
  }

  /** Replaces the guests with a dump's (`nimbus snapshot load`). */
  restoreGuests(guests: Map<string, Guest>): void {
    this.#guests.clear();
    for (const [k, v] of structuredClone(guests)) this.#guests.set(k, v);
  }

  /** Records the host as it is now as its start-up state, which restoreHost(null) returns to. */
  markStartup(): void {
    if (this.#dumpable()) this.#startup = this.dumpHost();
  }
  #startup: string | null = null;

  #dumpable(): (HostNetwork & { dumpDevices(): HostDump; restoreDevices(d: HostDump): void }) | null {
    const net = this.d.hostnet as HostNetwork & Partial<{ dumpDevices(): HostDump; restoreDevices(d: HostDump): void }>;
    return net.dumpDevices && net.restoreDevices ? (net as HostNetwork & { dumpDevices(): HostDump; restoreDevices(d: HostDump): void }) : null;
  }

  dumpHost(): string {
    const net = this.#dumpable();
    if (!net) throw new Error(`host ${this.d.host}'s devices are real: a snapshot cannot save them`);
    return serialize({ devices: net.dumpDevices(), guests: this.dumpGuests() }).toString('base64');
  }

  restoreHost(dump: string | null): void {
    const net = this.#dumpable();
    const saved = dump ?? this.#startup;
    if (!net || saved === null) throw new Error(`host ${this.d.host} has no ${dump === null ? 'start-up state' : 'simulated devices'} to put back`);
    const { devices, guests } = deserialize(Buffer.from(saved, 'base64')) as { devices: HostDump; guests: Map<string, Guest> };
    this.restoreGuests(guests);
    net.restoreDevices(devices);
  }

  listInstances(): string[] {
    return [...this.#guests.keys()];
  }

  hostDevices(): HostDevices {
    return this.d.hostnet.snapshot();
  }

  async runHostCommands(commands: HostCommand[]): Promise<HostCommandResult[]> {
    const results: HostCommandResult[] = [];
    for (const cmd of commands) {
      try {
        const stdout = await this.d.hostnet.execute(cmd.argv, cmd.input === undefined ? undefined : { input: cmd.input });
        results.push({ argv: cmd.argv, ok: true, stdout, error: null });
      } catch (e) {
        if (e instanceof CommandFailed && cmd.okExitCodes?.includes(e.exitCode)) {
          results.push({ argv: cmd.argv, ok: true, stdout: e.stdout, error: null });
          continue;
        }
        results.push({ argv: cmd.argv, ok: false, stdout: '', error: (e as Error).message });
        break;
      }
    }
    return results;
  }

  /** What `env LANG=C uptime` prints on a host up since the driver was made: no one logged in, idle. */
  getHostUptime(): string {
    const now = this.d.clock.now();
    return uptimeLine(new Date(now), Math.max(0, Math.floor((now - this.#bootedAt) / 1000)), 0, [0, 0, 0]);
  }

  /** The libvirt domain name nova gives an instance. */
  static domainName(instance: Instance): string {
    return `instance-${instance.id.toString(16).padStart(8, '0')}`;
  }

  async spawn(ctx: NovaContext, instance: Instance, nwInfoPromise: Promise<NetworkInfo>): Promise<void> {
    const nwInfo = await nwInfoPromise;
    const timeout = this.d.cfg.compute.vif_plugging_timeout;
    // _get_neutron_events: only VIFs neutron has not already reported ACTIVE.
    const events: [string, string][] = timeout > 0 ? nwInfo.filter((v) => v.active === false).map((v) => ['network-vif-plugged', v.id]) : [];
    const guest: Guest = { name: FakeLibvirtDriver.domainName(instance), powerState: PowerState.NOSTATE, vifs: new Set() };
    try {
      await this.d.events.waitFor(
        instance,
        events,
        timeout,
        async () => {
          for (const vif of nwInfo) {
            await this.#vifStep(ctx, 'plug_vif', instance.uuid, vif);
            guest.vifs.add(vif.id);
          }
          await this.#startGuestNics(instance.uuid, nwInfo);
          // Created paused while events are awaited, as libvirt does.
          guest.powerState = events.length ? PowerState.PAUSED : PowerState.RUNNING;
          this.#guests.set(instance.uuid, guest);
        },
        (eventName) => {
          this.d.log.error({ instance: instance.uuid }, `Neutron Reported failure on event ${eventName} for instance ${instance.uuid}`);
          if (this.d.cfg.compute.vif_plugging_is_fatal) throw new VirtualInterfaceCreateException();
        },
      );
    } catch (e) {
      if (e instanceof EventWaitTimeout) {
        if (this.d.cfg.compute.vif_plugging_is_fatal) {
          await this.#cleanup(ctx, instance, nwInfo);
          throw new VirtualInterfaceCreateException();
        }
      } else {
        this.d.log.error({ instance: instance.uuid }, 'Failed to start libvirt guest');
        await this.#cleanup(ctx, instance, nwInfo);
        throw e;
      }
    }
    guest.powerState = PowerState.RUNNING;
    this.#guests.set(instance.uuid, guest);
  }

  /**
   * libvirt's cleanup: _unplug_vifs(ignore_errors=True), so a VIF that cannot be
   * unplugged (a binding_failed one) never stops a delete; it is logged.
   */
  async #cleanup(ctx: NovaContext | null, instance: Instance, nwInfo: NetworkInfo): Promise<void> {
    this.#guests.delete(instance.uuid);
    await this.#stopGuestNics(instance.uuid, nwInfo).catch((err: Error) => this.d.log.warn({ instance: instance.uuid, err: err.message }, 'Failed to remove the guest namespace; ignored'));
    for (const vif of nwInfo) {
      await this.#vifStep(ctx, 'unplug_vif', instance.uuid, vif).catch((err: Error) => this.d.log.warn({ instance: instance.uuid, err: err.message }, 'Failed to unplug VIF; ignored'));
    }
  }

  /**
   * On a host whose guests are network namespaces (host_driver = linux) the guest is its
   * namespace holding one NIC per VIF, the tap end in qbrX; the simulated host has no
   * guest (libvirt's tap is not modelled there), so nothing runs.
   */
  async #startGuestNics(instanceUuid: string, nwInfo: NetworkInfo): Promise<void> {
    if (!this.d.hostnet.guestNamespaces) return;
    for (const [index, vif] of nwInfo.entries()) await attachGuestTap(this.d.hostnet, vif, { instanceUuid, index });
  }

  async #stopGuestNics(instanceUuid: string, nwInfo: NetworkInfo): Promise<void> {
    if (!this.d.hostnet.guestNamespaces) return;
    for (const vif of nwInfo) await detachGuestTap(this.d.hostnet, vif);
    await deleteGuestNamespace(this.d.hostnet, instanceUuid);
  }

  async destroy(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo): Promise<void> {
    await this.#cleanup(ctx, instance, nwInfo);
  }

  /** plugVif, unless a plug-failure fault for this host is due: then the failure os-vif gives for a failing command. */
  /** os-vif's plug, unless a plug-failure fault for this host is due (then os-vif's error). */
  async #plugVif(hostnet: HostNetwork, instanceUuid: string, vif: VIF): Promise<void> {
    const fault = this.d.faults?.take('plug-failure', { host: this.host });
    if (fault) throw plugFailure(vif, new CommandFailed(['ovs-vsctl', '--', '--may-exist', 'add-port', 'br-int', `qvo${vif.id.slice(0, 11)}`], 1, `injected fault ${fault.id}: plug-failure on ${this.host}\n`));
    await plugVif(hostnet, instanceUuid, vif);
  }

  /**
   * plug_vifs at init_host. The simulated host's devices live in memory, so after a
   * restart nothing of the guest's wiring is left: every VIF is plugged again (the OVS
   * agent then finds the br-int ports with their external-ids and wires them). The
   * guest itself outlives nova-compute, as a libvirt domain does, so one this driver
   * no longer knows is taken back in the power state nova recorded.
   */
  async plugVifs(instance: Instance, nwInfo: NetworkInfo): Promise<void> {
    const guest = this.#guests.get(instance.uuid) ?? { name: FakeLibvirtDriver.domainName(instance), powerState: instance.powerState, vifs: new Set<string>() };
    for (const vif of nwInfo) {
      await this.#vifStep(null, 'plug_vif', instance.uuid, vif);
      guest.vifs.add(vif.id);
    }
    this.#guests.set(instance.uuid, guest);
  }

  // --- power operations: the guest's state changes, its VIFs stay plugged (libvirt keeps
  // the host's devices across stop/start, pause and suspend; nova unplugs only on delete).

  #guest(instance: Instance): Guest {
    const g = this.#guests.get(instance.uuid);
    if (!g) throw new InstanceNotFound(instance.uuid);
    return g;
  }

  #log(instance: Instance, g: Guest): string[] {
    g.console ??= bootLog(instance);
    return g.console;
  }

  async powerOff(instance: Instance): Promise<void> {
    const g = this.#guest(instance);
    this.#log(instance, g).push('[  OK  ] Reached target Power-Off.', 'reboot: Power down');
    g.powerState = PowerState.SHUTDOWN;
  }

  async powerOn(instance: Instance): Promise<void> {
    const g = this.#guest(instance);
    g.console = bootLog(instance);
    g.powerState = PowerState.RUNNING;
  }

  /** A soft reboot asks the guest; a hard one destroys and re-creates the domain. Either way it runs after. */
  async reboot(instance: Instance, type: 'SOFT' | 'HARD'): Promise<void> {
    const g = this.#guest(instance);
    if (type === 'SOFT') this.#log(instance, g).push('reboot: Restarting system');
    g.console = [...(type === 'SOFT' ? g.console! : []), ...bootLog(instance)];
    g.powerState = PowerState.RUNNING;
  }

  async pause(instance: Instance): Promise<void> {
    this.#guest(instance).powerState = PowerState.PAUSED;
  }

  async unpause(instance: Instance): Promise<void> {
    this.#guest(instance).powerState = PowerState.RUNNING;
  }

  /** libvirt's managed save: the domain is shut off with its memory on disk. */
  async suspend(instance: Instance): Promise<void> {
    this.#guest(instance).powerState = PowerState.SHUTDOWN;
  }

  async resume(instance: Instance): Promise<void> {
    this.#guest(instance).powerState = PowerState.RUNNING;
  }

  /** nova's FakeDriver.rescue: the guest (InstanceNotFound if gone) keeps running. */
  async rescue(instance: Instance): Promise<void> {
    this.#guest(instance).powerState = PowerState.RUNNING;
  }

  /** nova's FakeDriver.unrescue: running again on its own disk. */
  async unrescue(instance: Instance): Promise<void> {
    this.#guest(instance).powerState = PowerState.RUNNING;
  }

  /** libvirt's injectNMI: the guest kernel sees the NMI (and would dump its memory). */
  async triggerCrashDump(instance: Instance): Promise<void> {
    const g = this.#guest(instance);
    this.#log(instance, g).push('[  123.456789] Uhhuh. NMI received for unknown reason 30 on CPU 0.', '[  123.456790] Kernel panic - not syncing: NMI: Not continuing');
  }

  /** A few bytes standing for the qcow2 of the guest's disk. */
  async snapshot(instance: Instance): Promise<string> {
    const g = this.#guest(instance);
    return `QFI\u00fb nimbus snapshot of ${g.name} (${instance.uuid})\n`;
  }

  async getConsoleOutput(instance: Instance): Promise<string> {
    const g = this.#guest(instance);
    // A console log ends at the login prompt, without a newline.
    return this.#log(instance, g).join('\n');
  }

  /** nova's FakeDriver.get_diagnostics: fixed counters, whatever the guest. */
  async getDiagnostics(_instance: Instance): Promise<Record<string, number>> {
    return {
      cpu0_time: 17300000000,
      memory: 524288,
      vda_errors: -1,
      vda_read: 262144,
      vda_read_req: 112,
      vda_write: 5778432,
      vda_write_req: 488,
      vnet1_rx: 2070139,
      vnet1_rx_drop: 0,
      vnet1_rx_errors: 0,
      vnet1_rx_packets: 26701,
      vnet1_tx: 140208,
      vnet1_tx_drop: 0,
      vnet1_tx_errors: 0,
      vnet1_tx_packets: 662,
    };
  }

  /** nova's FakeDriver.get_instance_diagnostics: one fixed CPU, NIC and disk. */
  async getInstanceDiagnostics(_instance: Instance): Promise<InstanceDiagnostics> {
    return {
      state: 'running',
      driver: 'libvirt',
      hypervisor: 'kvm',
      hypervisor_os: 'ubuntu',
      uptime: 46664,
      config_drive: true,
      num_cpus: 1,
      num_nics: 1,
      num_disks: 1,
      disk_details: [{ read_bytes: 262144, read_requests: 112, write_bytes: 5778432, write_requests: 488, errors_count: 1 }],
      cpu_details: [{ id: 0, time: 17300000000, utilisation: 15 }],
      nic_details: [
        { mac_address: '01:23:45:67:89:ab', rx_octets: 2070139, rx_errors: 100, rx_drop: 200, rx_packets: 26701, rx_rate: 300, tx_octets: 140208, tx_errors: 400, tx_drop: 500, tx_packets: 662, tx_rate: 600 },
      ],
      memory_details: { maximum: 524288, used: 0 },
    };
  }

  // --- resize and cold migration ---------------------------------------------------

  /** libvirt's migrate_disk_and_power_off: refuses to shrink a disk, powers off, unplugs the VIFs. */
  async migrateDiskAndPowerOff(ctx: NovaContext, instance: Instance, newFlavor: InstanceFlavor, nwInfo: NetworkInfo): Promise<void> {
    const old = instance.flavor;
    if (newFlavor.root_gb < old.root_gb || newFlavor.ephemeral_gb < old.ephemeral_gb) {
      throw new InstanceFaultRollback(new ResizeError('Unable to resize disk down.'));
    }
    const g = this.#guest(instance);
    g.powerState = PowerState.SHUTDOWN;
    for (const vif of nwInfo) {
      await this.#vifStep(ctx, 'unplug_vif', instance.uuid, vif);
      g.vifs.delete(vif.id);
    }
  }

  /**
   * libvirt's finish_migration: plug and start with vifs_already_plugged=True, so no
   * network-vif-plugged is waited for (the VIFs were unplugged on the source and the
   * port may never have gone DOWN in neutron's eyes: an event might never come).
   */
  async finishMigration(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo, powerOn: boolean): Promise<void> {
    // _get_guest_xml comes before _create_guest_with_network: a binding_failed VIF fails it, nothing plugged.
    for (const vif of nwInfo) checkGuestVifConfig(vif);
    const guest: Guest = { name: FakeLibvirtDriver.domainName(instance), powerState: PowerState.SHUTDOWN, vifs: new Set() };
    try {
      for (const vif of nwInfo) {
        await this.#vifStep(ctx, 'plug_vif', instance.uuid, vif);
        guest.vifs.add(vif.id);
      }
    } catch (e) {
      this.d.log.error({ instance: instance.uuid }, 'Failed to start libvirt guest');
      await this.#cleanup(ctx, instance, nwInfo);
      throw e;
    }
    guest.powerState = powerOn ? PowerState.RUNNING : PowerState.SHUTDOWN;
    this.#guests.set(instance.uuid, guest);
  }

  /** libvirt's _cleanup_resize on another host than the instance's: undefine the domain, unplug (ignoring errors). */
  async confirmMigration(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo): Promise<void> {
    // A resize to the same host: the guest here is the resized one; nothing to remove.
    if (instance.host === this.host) return;
    await this.#cleanup(ctx, instance, nwInfo);
  }

  /**
   * libvirt's finish_revert_migration: _create_guest_with_network without
   * vifs_already_plugged, so it waits (vif_plugging_timeout) for network-vif-plugged of
   * each VIF the network info shows inactive, as spawn does.
   */
  async finishRevertMigration(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo, powerOn: boolean): Promise<void> {
    if (powerOn) {
      await this.spawn(ctx, instance, Promise.resolve(nwInfo));
      return;
    }
    // power_on=False: no events are waited for (libvirt only waits when powering on).
    const guest: Guest = { name: FakeLibvirtDriver.domainName(instance), powerState: PowerState.SHUTDOWN, vifs: new Set() };
    for (const vif of nwInfo) {
      await this.#vifStep(ctx, 'plug_vif', instance.uuid, vif);
      guest.vifs.add(vif.id);
    }
    this.#guests.set(instance.uuid, guest);
  }

  // --- live migration ---------------------------------------------------------------

  /**
   * No shared instance path between simulated hosts: 'auto' is a block migration. An
   * explicit non-block migration is accepted too (as if the disks were shared), where
   * libvirt would refuse it with InvalidSharedStorage.
   */
  checkCanLiveMigrateDestination(_instance: Instance, blockMigration: boolean | null): LiveMigrationData {
    return { blockMigration: blockMigration ?? true };
  }

  checkCanLiveMigrateSource(_instance: Instance, data: LiveMigrationData): LiveMigrationData {
    return data;
  }

  /** libvirt's pre_live_migration: the VIFs plugged here (plug_vifs) for the incoming domain. */
  async preLiveMigration(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo): Promise<void> {
    const guest: Guest = { name: FakeLibvirtDriver.domainName(instance), powerState: PowerState.PAUSED, vifs: new Set() };
    this.#incoming.set(instance.uuid, { guest, vifs: [...nwInfo] });
    for (const vif of nwInfo) {
      await this.#vifStep(ctx, 'plug_vif', instance.uuid, vif);
      guest.vifs.add(vif.id);
    }
  }

  /**
   * The memory copy takes [compute] fake_live_migration_seconds (read when it starts),
   * during which force-complete finishes it and abort cancels it, as libvirt's job
   * monitor would; then `post` or `recover('cancelled')` runs.
   */
  async liveMigration(instance: Instance, _dest: string, post: () => Promise<void>, recover: (status: string) => Promise<void>): Promise<void> {
    this.#guest(instance);
    const ms = Math.max(0, this.d.cfg.compute.fake_live_migration_seconds * 1000);
    const how = await new Promise<'completed' | 'cancelled'>((resolve) => {
      const timer = this.d.clock.after(ms, () => job.finish('completed'));
      const job: MigrationJob = {
        finish: (h) => {
          timer.cancel();
          if (this.#jobs.get(instance.uuid) === job) this.#jobs.delete(instance.uuid);
          resolve(h);
        },
      };
      this.#jobs.set(instance.uuid, job);
    });
    if (how === 'completed') await post();
    else await recover('cancelled');
  }

  async liveMigrationForceComplete(instance: Instance): Promise<void> {
    this.#job(instance).finish('completed');
  }

  async liveMigrationAbort(instance: Instance): Promise<void> {
    this.#job(instance).finish('cancelled');
  }

  #job(instance: Instance): MigrationJob {
    const job = this.#jobs.get(instance.uuid);
    // libvirt's virDomainAbortJob / migrateStartPostCopy text when nothing migrates.
    if (!job) throw new Error('Requested operation is not valid: no job is active on the domain');
    return job;
  }

  async postLiveMigrationAtSource(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo): Promise<void> {
    await this.#cleanup(ctx, instance, nwInfo);
  }

  async postLiveMigrationAtDestination(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo): Promise<void> {
    const incoming = this.#incoming.get(instance.uuid);
    const guest = incoming?.guest ?? { name: FakeLibvirtDriver.domainName(instance), powerState: PowerState.PAUSED, vifs: new Set<string>() };
    this.#incoming.delete(instance.uuid);
    // A port deleted during the migration was detached on the source: the domain that
    // arrives has no such interface, so what pre_live_migration plugged for it goes.
    for (const vif of incoming?.vifs ?? []) {
      if (nwInfo.some((v) => v.id === vif.id)) continue;
      await this.#vifStep(ctx, 'unplug_vif', instance.uuid, vif).catch(() => undefined);
      guest.vifs.delete(vif.id);
    }
    for (const vif of nwInfo) {
      if (guest.vifs.has(vif.id)) continue;
      await this.#vifStep(ctx, 'plug_vif', instance.uuid, vif);
      guest.vifs.add(vif.id);
    }
    // The domain resumes here in the state it left: a paused server stays paused.
    guest.powerState = instance.powerState === PowerState.PAUSED ? PowerState.PAUSED : PowerState.RUNNING;
    this.#guests.set(instance.uuid, guest);
  }

  async rollbackLiveMigrationAtDestination(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo): Promise<void> {
    const incoming = this.#incoming.get(instance.uuid);
    this.#incoming.delete(instance.uuid);
    if (this.#guests.has(instance.uuid)) return;
    const plugged = [...nwInfo, ...(incoming?.vifs ?? []).filter((v) => !nwInfo.some((n) => n.id === v.id))];
    for (const vif of plugged) {
      await this.#vifStep(ctx, 'unplug_vif', instance.uuid, vif).catch((err: Error) => this.d.log.warn({ instance: instance.uuid, err: err.message }, 'Failed to unplug VIF; ignored'));
    }
  }

  async attachInterface(ctx: NovaContext, instance: Instance, vif: VIF): Promise<void> {
    await this.#vifStep(ctx, 'plug_vif', instance.uuid, vif);
    this.#guests.get(instance.uuid)?.vifs.add(vif.id);
  }

  async detachInterface(ctx: NovaContext, instance: Instance, vif: VIF): Promise<void> {
    this.#guests.get(instance.uuid)?.vifs.delete(vif.id);
    await this.#vifStep(ctx, 'unplug_vif', instance.uuid, vif);
  }
  /** A plug or unplug; when the request is traced, a step with the host commands it ran. */
  async #vifStep(ctx: NovaContext | null, step: 'plug_vif' | 'unplug_vif', instanceUuid: string, vif: VIF): Promise<void> {
    const run = step === 'plug_vif' ? (h: HostNetwork, u: string, v: VIF) => this.#plugVif(h, u, v) : unplugVif;
    const trace = this.d.trace;
    if (!trace?.enabled || !ctx) return run(this.d.hostnet, instanceUuid, vif);
    const h = this.d.hostnet;
    const commands: string[] = [];
    const recording: HostNetwork = {
      host: h.host,
      execute: (argv, o) => {
        commands.push(argv.join(' '));
        return h.execute(argv, o);
      },
      // The host's batching kept (the linux host's executeAll): without it a traced plug ran one process per command.
      ...(h.executeAll
        ? {
            executeAll: (cmds: readonly SequencedCommand[]) => {
              for (const c of cmds) commands.push(c.argv.join(' '));
              return h.executeAll!(cmds);
            },
          }
        : {}),
      onInterfaceChange: (l) => h.onInterfaceChange(l),
      snapshot: () => h.snapshot(),
    };
    const span = trace.start({ requestId: ctx.requestId, instanceUuid, parentId: ctx.spanId ?? null }, 'nova-compute', step, { host: this.host, port: vif.id });
    try {
      await run(recording, instanceUuid, vif);
      span.end({ commands });
    } catch (e) {
      span.end({ commands }, e);
      throw e;
    }
  }
}

/** What a booting guest prints on its serial console (a cirros-like image). */
function bootLog(instance: Instance): string[] {
  return [
    '[    0.000000] Linux version 5.15.0-nimbus (nimbus@fake) #1 SMP',
    '[    0.000000] Command line: LABEL=cirros-rootfs ro console=tty1 console=ttyS0',
    `Starting network: udhcpc: started`,
    '=== datasource: ec2 net ===',
    `instance-id: ${instance.uuid}`,
    `local-hostname: ${instance.hostname}`,
    '',
    `login as 'cirros' user. default password: 'gocubsgo'. use 'sudo' for root.`,
    `${instance.hostname} login: `,
  ];
}

/**
 * procps-ng 4's uptime line (procps_uptime_sprint) with its newline, as libvirt's
 * get_host_uptime returns it: " 10:02:03 up 2 days,  3:04,  0 user,  load average: 0.00, 0.00, 0.00".
 * The wall-clock part is local time, as the command's.
 */
export function uptimeLine(now: Date, upSeconds: number, users: number, load: [number, number, number]): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const days = Math.floor(upSeconds / 86400);
  const hours = Math.floor(upSeconds / 3600) % 24;
  const minutes = Math.floor(upSeconds / 60) % 60;
  let out = ` ${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())} up `;
  if (days) out += `${days} ${days > 1 ? 'days' : 'day'}, `;
  out += hours ? `${String(hours).padStart(2, ' ')}:${two(minutes)}, ` : `${minutes} min, `;
  out += `${String(users).padStart(2, ' ')} ${users > 1 ? 'users' : 'user'}, `;
  out += ` load average: ${load.map((l) => l.toFixed(2)).join(', ')}`;
  return `${out}\n`;
}
