/**
 * `nimbus snapshot save|load|list|delete|reset` (issue 12 point 4), as moto's reset and
 * LocalStack's pods give CI a known state per test, for the embedded cloud and a
 * distributed one alike, on SQLite, PostgreSQL or MariaDB. A snapshot is made of parts,
 * each saved and loaded by whoever owns it:
 *
 * - nova's database, by the nova-api serving the request (src/db/table-snapshot.ts:
 *   the rows as JSON in nova's own `nimbus_snapshots` table, so every nova-api sees it);
 * - neutron's database, by a neutron-server over `q-nimbus-snapshots`
 *   (src/common/db-snapshots.ts), the same way in neutron's database;
 * - each compute host's simulated devices and fake guests, by its nova-compute over
 *   compute.<host> (host_snapshot_dump / host_snapshot_restore), stored beside nova's
 *   rows; the host's OVS agent then watches its br-int afresh, as after a restart;
 * - in the embedded cloud only, keystone's and glance's databases and glance's image
 *   files (hard links under <data_dir>/snapshots/NAME/images), which this process opens.
 *
 * A distributed cloud's keystone and glance are not on the bus and nova-api cannot open
 * their databases: its snapshots leave them out, and every answer says so (`excluded`):
 * projects, users and images made after a save survive its load there.
 *
 * Rows that describe the running processes rather than the cloud's contents stay as
 * they are: nova's services (heartbeats) and neutron's agents (state reports), so a
 * load never makes a live agent or compute service look dead.
 *
 * Reset loads `.fresh`: the embedded cloud saves it whole once every service runs; in
 * a distributed cloud each database saves its own at its first start and each host
 * keeps its start-up state in memory, so a reset puts every part back as it first started.
 *
 * A load is not one transaction across parts: each database's load is atomic, and a
 * part that fails is named in the error (SnapshotPartFailed) with the parts done before.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Random } from '../common/clock.js';
import { FRESH_SNAPSHOT, type NeutronSnapshotRpc } from '../common/db-snapshots.js';
import type { Db } from '../db/database.js';
import { type KeepMissingRows, deleteTableSnapshot, listTableSnapshots, loadTables, putSnapshotBlobs, saveTables, snapshotBlobs } from '../db/table-snapshot.js';
import { SnapshotCloudBusy, SnapshotNotFound, SnapshotPartFailed } from '../compute/errors.js';
import { serviceContext } from '../compute/context.js';
import type { ComputeRpc } from '../compute/rpc.js';
import type { HostNetworks } from '../hostnet/index.js';
import { TRACE_EVENTS_TABLE } from '../db/trace-events.js';

/** Names a user may give: what a directory name can safely be (a dot first is kept for `.fresh`). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * nova's tables a load leaves as they are: the services' heartbeats describe the running
 * processes; the trace steps are history (`nimbus trace` of a server a load removed
 * still shows what happened to it).
 */
export const NOVA_KEEP: readonly string[] = ['services', TRACE_EVENTS_TABLE];

/**
 * nova's rows of a host the snapshot did not know (it registered later, as a distributed
 * cloud's hosts after nova-api's first start): its compute node stays, with no usage,
 * as the host itself goes back to its start-up state (no guests).
 */
export const NOVA_HOST_ROWS: readonly KeepMissingRows[] = [{ table: 'compute_nodes', key: 'host', reset: { vcpus_used: 0, memory_mb_used: 0, local_gb_used: 0, running_vms: 0 } }];

/** Where a snapshot lists its parts, beside nova's rows. */
const MANIFEST = '.cloud';
/** Each host's dump, beside nova's rows: `.host.<name>`. */
const HOST = '.host.';

export interface SnapshotInfo {
  name: string;
  created_at: string;
  /** What the snapshot holds: "nova", "neutron", "keystone", "glance", "images", "host compute1"... */
  parts: string[];
  /** What this cloud's snapshots leave out (a distributed cloud's keystone and glance). */
  excluded: string[];
}

export interface CloudSnapshotsDeps {
  /** nova's database (this nova-api's). */
  nova: Db<unknown>;
  /** Other databases this process opens itself (the embedded keystone and glance). */
  localDbs: { name: string; db: Db<unknown>; skip: readonly string[] }[];
  /** neutron's database, saved by a neutron-server. */
  neutron: NeutronSnapshotRpc;
  /** The compute hosts' devices and guests. */
  compute: ComputeRpc;
  /** Every compute host known now (nova's nova-compute services). */
  hosts: () => Promise<string[]>;
  /** glance's file store, when this process owns it (embedded): <data_dir>/snapshots and <data_dir>/images. */
  files?: { dir: string; imagesDir: string };
  /** What these snapshots leave out, named in every answer. */
  excluded: string[];
  clock: Clock;
  random: Random;
  /** Instances with a task in progress, described; a snapshot waits for none. */
  busy: () => Promise<string[]>;
  /** Clears what a reset also forgets (the faults injected). */
  onReset?: () => Promise<void>;
}

/** Why this cloud cannot take snapshots (real hosts), or null when it can. */
export function snapshotsUnsupportedReason(hostnets: HostNetworks): string | null {
  if (hostnets.hosts().some((h) => !('dumpDevices' in hostnets.get(h)))) return "Snapshots need simulated hosts: real hosts' devices cannot be saved.";
  return null;
}

export class CloudSnapshots {
  constructor(private readonly d: CloudSnapshotsDeps) {}

  get #nova() {
    return this.d.nova.kysely as never;
  }

  /** The user's snapshots, by name. */
  async list(): Promise<SnapshotInfo[]> {
    const all = (await listTableSnapshots(this.#nova)).filter((s) => NAME.test(s.name));
    const out: SnapshotInfo[] = [];
    for (const s of all) out.push(await this.#info(s.name, s.created_at));
    return out;
  }

  /** Checks a user's snapshot name; the message says what a name may be. */
  static checkName(name: unknown): string | null {
    return typeof name === 'string' && NAME.test(name) ? null : `Invalid snapshot name ${JSON.stringify(name)}: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.`;
  }

  /** Saves (or replaces) snapshot `name`. Throws SnapshotCloudBusy, SnapshotPartFailed. */
  async save(name: string): Promise<SnapshotInfo> {
    await this.#quiescent();
    const at = new Date(this.d.clock.now()).toISOString();
    const parts: string[] = [];
    const part = async (what: string, run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (e) {
        throw new SnapshotPartFailed('save', name, what, parts, e);
      }
      parts.push(what);
    };
    // nova first: its save replaces every row of the name, host dumps and manifest included.
    await part('nova', () => saveTables(this.#nova, name, at, NOVA_KEEP));
    await part('neutron', () => this.d.neutron.save(name, at));
    for (const { name: svc, db, skip } of this.d.localDbs) await part(svc, () => saveTables(db.kysely as never, name, at, skip));
    const ctx = serviceContext(`req-snapshot-${this.d.random.uuid()}`);
    const dumps = new Map<string, string>();
    for (const h of await this.d.hosts()) await part(`host ${h}`, async () => dumps.set(HOST + h, await this.d.compute.hostSnapshotDump(h, ctx)));
    // Stored together: one transaction, however many hosts.
    await putSnapshotBlobs(this.#nova, name, dumps, at);
    if (this.d.files) {
      const files = this.d.files;
      await part('images', async () => {
        mkdirSync(files.dir, { recursive: true });
        const tmp = join(files.dir, `.tmp-${this.d.random.uuid()}`);
        try {
          linkFiles(files.imagesDir, join(tmp, 'images'));
          rmSync(join(files.dir, name), { recursive: true, force: true });
          renameSync(tmp, join(files.dir, name));
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
      });
    }
    await putSnapshotBlobs(this.#nova, name, new Map([[MANIFEST, JSON.stringify({ parts })]]), at);
    return { name, created_at: at, parts, excluded: this.d.excluded };
  }

  /** Puts the cloud back as snapshot `name` saw it. Throws SnapshotNotFound, SnapshotCloudBusy, SnapshotPartFailed. */
  async load(name: string): Promise<SnapshotInfo> {
    const info = (await listTableSnapshots(this.#nova)).find((s) => s.name === name);
    if (!info) throw new SnapshotNotFound(name === FRESH_SNAPSHOT ? 'of the fresh cloud' : name);
    await this.#quiescent();
    const saved = new Set((await this.#info(name, info.created_at)).parts);
    const parts: string[] = [];
    const part = async (what: string, run: () => Promise<boolean | void>) => {
      let done: boolean | void;
      try {
        done = await run();
      } catch (e) {
        throw new SnapshotPartFailed('load', name, what, parts, e);
      }
      if (done !== false) parts.push(what);
    };
    await part('nova', () => loadTables(this.#nova, name, NOVA_HOST_ROWS));
    await part('neutron', () => this.d.neutron.load(name));
    for (const { name: svc, db } of this.d.localDbs) await part(svc, () => loadTables(db.kysely as never, name));
    if (this.d.files && saved.has('images')) {
      const files = this.d.files;
      // Image files as the restored rows expect them: later uploads gone, deleted ones back.
      await part('images', async () => {
        rmSync(files.imagesDir, { recursive: true, force: true });
        linkFiles(join(files.dir, name, 'images'), files.imagesDir);
      });
    }
    // A host the snapshot does not hold was not there then: it goes back to its start-up state.
    const dumps = await snapshotBlobs(this.#nova, name, HOST);
    const ctx = serviceContext(`req-snapshot-${this.d.random.uuid()}`);
    for (const h of await this.d.hosts()) {
      await part(`host ${h}`, () => this.d.compute.hostSnapshotRestore(h, ctx, dumps.get(HOST + h) ?? null));
    }
    return { name, created_at: info.created_at, parts, excluded: this.d.excluded };
  }

  /** Removes snapshot `name` from every part. Throws SnapshotNotFound. */
  async remove(name: string): Promise<void> {
    if (!(await deleteTableSnapshot(this.#nova, name))) throw new SnapshotNotFound(name);
    await this.d.neutron.remove(name);
    for (const { db } of this.d.localDbs) await deleteTableSnapshot(db.kysely as never, name);
    if (this.d.files) rmSync(join(this.d.files.dir, name), { recursive: true, force: true });
  }

  /**
   * Takes the fresh state's snapshot once every service is ready — the first start's
   * only: a restart over the same databases keeps the state reset goes back to.
   */
  async saveFresh(): Promise<void> {
    if (!(await snapshotBlobs(this.#nova, FRESH_SNAPSHOT, MANIFEST)).size) await this.save(FRESH_SNAPSHOT);
  }

  /** Back to the state right after start-up: the fresh snapshot loaded, faults cleared. */
  async reset(): Promise<SnapshotInfo> {
    const info = await this.load(FRESH_SNAPSHOT);
    await this.d.onReset?.();
    return info;
  }

  /** A stored snapshot's parts: its manifest's, or (a `.fresh` each database saved alone) nova's. */
  async #info(name: string, created_at: string): Promise<SnapshotInfo> {
    const manifest = (await snapshotBlobs(this.#nova, name, MANIFEST)).get(MANIFEST);
    const parts = manifest ? (JSON.parse(manifest) as { parts: string[] }).parts : ['nova'];
    return { name, created_at, parts, excluded: this.d.excluded };
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
