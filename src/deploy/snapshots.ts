/**
 * `nimbus snapshot save|load|reset` for the embedded cloud (issue 12 point 4), as moto's
 * reset and LocalStack's pods give CI a known state per test: a snapshot is a copy of
 * every service's SQLite database (VACUUM INTO, src/db/snapshot.ts), glance's image
 * files (hard links: an image's data never changes), the simulated hosts' devices and
 * the fake hypervisors' guests, under <data_dir>/snapshots/NAME/.
 * Loading copies the tables back through the services' own connections and puts the
 * devices back, then the OVS agents watch their br-int afresh (as after an agent
 * restart). Reset loads the snapshot taken right after start-up.
 *
 * Rows that describe the running processes rather than the cloud's contents stay as
 * they are: nova's services (heartbeats) and neutron's agents (state reports), so a
 * load never makes a live agent or compute service look dead.
 *
 * Only with every service in this process on SQLite: a distributed deployment's
 * databases and hosts belong to other processes, and server databases have their own
 * dump tools; the operator API answers those with 501 naming why.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { Clock, Random } from '../common/clock.js';
import type { Db } from '../db/database.js';
import { restoreSqliteCopy, saveSqliteCopy } from '../db/snapshot.js';
import { SnapshotCloudBusy, SnapshotNotFound, SnapshotsUnsupported } from '../compute/errors.js';
import type { Guest } from '../compute/virt/fake.js';
import type { FakeLibvirtDriver } from '../compute/virt/fake.js';
import type { HostNetworks } from '../hostnet/index.js';
import type { HostNetwork } from '../hostnet/host-network.js';
import type { HostDump } from '../hostnet/simulated/state.js';
import type { OvsL2AgentLoop } from '../network/agents/index.js';

/** The snapshot start-up takes, which reset loads (a dot: never listed, never a user's name). */
const FRESH = '.fresh';

/** Names a user may give: what a directory name can safely be. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface SnapshotInfo {
  name: string;
  created_at: string;
}

/** A host network that can dump and restore its devices (the simulated one). */
interface DumpableHost extends HostNetwork {
  dumpDevices(): HostDump;
  restoreDevices(d: HostDump): void;
}

export interface CloudSnapshotsDeps {
  /** Where snapshots live (<data_dir>/snapshots). */
  dir: string;
  /** glance's file store (<data_dir>/images). */
  imagesDir: string;
  clock: Clock;
  random: Random;
  /** Each service's database and the tables a load leaves alone. */
  dbs: { name: string; db: Db<unknown>; keep: readonly string[] }[];
  hostnets: HostNetworks;
  drivers: Map<string, FakeLibvirtDriver>;
  l2agents: OvsL2AgentLoop;
  /** Instances with a task in progress, described; a snapshot waits for none. */
  busy: () => Promise<string[]>;
  /** Clears what a reset also forgets (the faults injected). */
  onReset?: () => Promise<void>;
}

/** Why this cloud cannot take snapshots, or null when it can. */
export function snapshotsUnsupportedReason(dialects: readonly string[], hostnets: HostNetworks): string | null {
  const server = dialects.find((d) => d !== 'sqlite');
  if (server) return `Snapshots copy the embedded SQLite databases; this cloud's databases are on ${server} ([database] connection): use its dump tools.`;
  if (hostnets.hosts().some((h) => !('dumpDevices' in hostnets.get(h)))) return 'Snapshots need simulated hosts: real hosts\' devices cannot be saved.';
  return null;
}

export class CloudSnapshots {
  constructor(private readonly d: CloudSnapshotsDeps) {}

  /** The user's snapshots, by name. */
  list(): SnapshotInfo[] {
    if (!existsSync(this.d.dir)) return [];
    return readdirSync(this.d.dir)
      .filter((n) => NAME.test(n) && existsSync(join(this.d.dir, n, 'meta.json')))
      .sort()
      .map((n) => JSON.parse(readFileSync(join(this.d.dir, n, 'meta.json'), 'utf8')) as SnapshotInfo);
  }

  /** Checks a user's snapshot name; the message says what a name may be. */
  static checkName(name: unknown): string | null {
    return typeof name === 'string' && NAME.test(name) ? null : `Invalid snapshot name ${JSON.stringify(name)}: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.`;
  }

  /** Saves (or replaces) snapshot `name`. Throws SnapshotCloudBusy while a task is in progress. */
  async save(name: string): Promise<SnapshotInfo> {
    await this.#quiescent();
    mkdirSync(this.d.dir, { recursive: true });
    const tmp = join(this.d.dir, `.tmp-${this.d.random.uuid()}`);
    mkdirSync(tmp);
    try {
      for (const { name: svc, db } of this.d.dbs) await saveSqliteCopy(db.kysely as never, join(tmp, `${svc}.sqlite`));
      const hosts: Record<string, { devices: HostDump; guests: Map<string, Guest> | null }> = {};
      for (const h of this.d.hostnets.hosts()) {
        hosts[h] = { devices: (this.d.hostnets.get(h) as DumpableHost).dumpDevices(), guests: this.d.drivers.get(h)?.dumpGuests() ?? null };
      }
      writeFileSync(join(tmp, 'hosts.v8'), serialize(hosts));
      linkFiles(this.d.imagesDir, join(tmp, 'images'));
      const info: SnapshotInfo = { name, created_at: new Date(this.d.clock.now()).toISOString() };
      writeFileSync(join(tmp, 'meta.json'), JSON.stringify(info));
      rmSync(join(this.d.dir, name), { recursive: true, force: true });
      renameSync(tmp, join(this.d.dir, name));
      return info;
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  /** Puts the cloud back as snapshot `name` saw it. Throws SnapshotNotFound, SnapshotCloudBusy. */
  async load(name: string): Promise<SnapshotInfo> {
    const dir = join(this.d.dir, name);
    if (!existsSync(join(dir, 'meta.json'))) throw new SnapshotNotFound(name === FRESH ? 'of the fresh cloud' : name);
    await this.#quiescent();
    for (const { name: svc, db, keep } of this.d.dbs) await restoreSqliteCopy(db.kysely as never, join(dir, `${svc}.sqlite`), keep);
    // Image files as the restored rows expect them: later uploads gone, deleted ones back.
    rmSync(this.d.imagesDir, { recursive: true, force: true });
    linkFiles(join(dir, 'images'), this.d.imagesDir);
    const hosts = deserialize(readFileSync(join(dir, 'hosts.v8'))) as Record<string, { devices: HostDump; guests: Map<string, Guest> | null }>;
    for (const h of this.d.hostnets.hosts()) {
      const saved = hosts[h];
      if (!saved) continue;
      // The agent's view of br-int is rebuilt from the restored devices, as after its restart.
      this.d.l2agents.removeHost(h);
      (this.d.hostnets.get(h) as DumpableHost).restoreDevices(saved.devices);
      if (saved.guests) this.d.drivers.get(h)?.restoreGuests(saved.guests);
      this.d.l2agents.addHost(h);
    }
    return JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as SnapshotInfo;
  }

  /** Removes snapshot `name`. Throws SnapshotNotFound. */
  remove(name: string): void {
    const dir = join(this.d.dir, name);
    if (!existsSync(join(dir, 'meta.json'))) throw new SnapshotNotFound(name);
    rmSync(dir, { recursive: true, force: true });
  }

  /**
   * Takes the fresh state's snapshot at start-up, once every service is ready — the
   * first start's only: a restart over the same data directory keeps the bootstrapped
   * state reset goes back to.
   */
  async saveFresh(): Promise<void> {
    if (!existsSync(join(this.d.dir, FRESH, 'meta.json'))) await this.save(FRESH);
  }

  /** Back to the state right after start-up: the fresh snapshot loaded, faults cleared. */
  async reset(): Promise<SnapshotInfo> {
    const info = await this.load(FRESH);
    await this.d.onReset?.();
    return info;
  }

  async #quiescent(): Promise<void> {
    const busy = await this.d.busy();
    if (busy.length) throw new SnapshotCloudBusy(busy.slice(0, 5).join(', ') + (busy.length > 5 ? ` and ${busy.length - 5} more` : ''));
  }
}

/** Hard-links every file of `from` into `to` (made), copying where a link cannot cross devices. */
function linkFiles(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  if (!existsSync(from)) return;
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (!e.isFile() || e.name.endsWith('.part')) continue;
    try {
      linkSync(join(from, e.name), join(to, e.name));
    } catch {
      copyFileSync(join(from, e.name), join(to, e.name));
    }
  }
}

/** The error for a nova-api that has no snapshots to offer. */
export function snapshotsUnsupported(reason: string): SnapshotsUnsupported {
  return new SnapshotsUnsupported(reason);
}
