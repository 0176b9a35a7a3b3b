/**
 * Flavors (nova/objects/flavor.py over the API database's flavors, flavor_projects and
 * flavor_extra_specs — extra specs here are a JSON column of the flavor row). What a
 * caller sees follows nova's _flavor_get_query_from_db: an admin sees every flavor, anyone
 * else the public ones and the private ones their project was given access to. Flavors
 * are deleted for good (the API database keeps no soft-deleted rows); instances keep
 * their own copy (InstanceFlavor), so deleting a flavor never touches them.
 */
import type { Kysely } from 'kysely';
import { type Clock, isoMicros, type Random, systemClock, systemRandom } from '../../common/clock.js';
import { isUniqueViolation } from '../../db/database.js';
import {
  anyFlavorExists,
  deleteFlavor,
  deleteFlavorProject,
  type FlavorCaller,
  type FlavorListOptions,
  type FlavorRow,
  insertFlavor,
  insertFlavorProject,
  selectFlavorById,
  selectFlavorExtraSpecs,
  selectFlavorIdByFlavorid,
  selectFlavorIdByName,
  selectFlavorProjects,
  selectFlavors,
  selectVisibleFlavor,
  updateFlavorDescription,
  updateFlavorExtraSpecs,
} from '../db/flavors.js';
import type { NovaDB } from '../db/schema.js';
import { FlavorAccessExists, FlavorAccessNotFound, FlavorExists, FlavorExtraSpecsNotFound, FlavorIdExists, FlavorNotFound } from '../errors.js';
import type { InstanceFlavor } from './instance.js';

// The caller and the list's filters and sort keys shape the query, so db/flavors.ts defines them.
export { FLAVOR_SORT_KEYS, type FlavorCaller, type FlavorListOptions, type FlavorSortKey } from '../db/flavors.js';

/** A flavor as the API knows it: the instance's copy plus what only the flavor record has. */
export interface Flavor extends InstanceFlavor {
  disabled: boolean;
  createdAt: string;
  updatedAt: string | null;
}

/** What creating a flavor takes (values already validated by the API). */
export interface NewFlavor {
  name: string;
  /** Generated (a UUID) when absent or empty, as nova's flavors.create does. */
  flavorid?: string | null;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb?: number;
  swap?: number;
  rxtx_factor?: number;
  is_public?: boolean;
  description?: string | null;
  extra_specs?: Record<string, string>;
  /** Projects given access at creation (bootstrap only; the API adds access separately). */
  projects?: string[];
}

function fromRow(r: FlavorRow): Flavor {
  return {
    id: r.id,
    flavorid: r.flavorid,
    name: r.name,
    memory_mb: r.memory_mb,
    vcpus: r.vcpus,
    root_gb: r.root_gb,
    ephemeral_gb: r.ephemeral_gb,
    swap: r.swap,
    rxtx_factor: r.rxtx_factor,
    vcpu_weight: r.vcpu_weight,
    is_public: r.is_public === 1,
    description: r.description,
    extra_specs: JSON.parse(r.extra_specs) as Record<string, string>,
    disabled: r.disabled === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The flavor an instance records at boot (instance_extra.flavor): no disabled flag, no timestamps. */
export function toInstanceFlavor(f: Flavor): InstanceFlavor {
  return {
    id: f.id,
    flavorid: f.flavorid,
    name: f.name,
    memory_mb: f.memory_mb,
    vcpus: f.vcpus,
    root_gb: f.root_gb,
    ephemeral_gb: f.ephemeral_gb,
    swap: f.swap,
    rxtx_factor: f.rxtx_factor,
    vcpu_weight: f.vcpu_weight,
    is_public: f.is_public,
    description: f.description,
    extra_specs: { ...f.extra_specs },
  };
}

/** nova's common.get_id_from_href: the last path segment of a URL, or the value itself. */
export function idFromHref(href: string): string {
  const path = href.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/, '').split(/[?#]/)[0]!;
  return path.split('/').pop()!;
}

/** The flavors of the cloud: reads honour the caller's visibility, writes are admin actions the API has authorised. */
export class FlavorStore {
  readonly #db: Kysely<NovaDB>;
  readonly #clock: Clock;
  readonly #random: Random;

  constructor(db: Kysely<NovaDB>, deps: { clock?: Clock; random?: Random } = {}) {
    this.#db = db;
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random ?? systemRandom;
  }

  /**
   * Creates a flavor (nova's flavors.create after validation): the name is stripped, a
   * missing flavorid becomes a UUID. Throws FlavorIdExists or FlavorExists.
   */
  async create(f: NewFlavor): Promise<Flavor> {
    const flavorid = f.flavorid ? String(f.flavorid) : this.#random.uuid();
    const name = f.name.trim();
    const now = isoMicros(this.#clock.now());
    return this.#db.transaction().execute(async (trx) => {
      if (await selectFlavorIdByFlavorid(trx, flavorid)) throw new FlavorIdExists(flavorid);
      if (await selectFlavorIdByName(trx, name)) throw new FlavorExists(name);
      let id: number;
      try {
        id = await insertFlavor(trx, {
          flavorid,
          name,
          memory_mb: f.memory_mb,
          vcpus: f.vcpus,
          root_gb: f.root_gb,
          ephemeral_gb: f.ephemeral_gb ?? 0,
          swap: f.swap ?? 0,
          rxtx_factor: f.rxtx_factor ?? 1.0,
          vcpu_weight: null,
          disabled: 0,
          is_public: f.is_public === false ? 0 : 1,
          description: f.description ?? null,
          extra_specs: JSON.stringify(f.extra_specs ?? {}),
          created_at: now,
          updated_at: null,
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw new FlavorExists(name);
        throw e;
      }
      for (const p of new Set(f.projects ?? [])) await insertFlavorProject(trx, id, p);
      return fromRow(await selectFlavorById(trx, id));
    });
  }

  /** The flavor with this flavorid as `caller` may see it (everything when caller is null); FlavorNotFound otherwise. */
  async get(flavorid: string, caller: FlavorCaller | null = null): Promise<Flavor> {
    const row = await selectVisibleFlavor(this.#db, flavorid, caller);
    if (!row) throw new FlavorNotFound(flavorid);
    return fromRow(row);
  }

  /** nova's FlavorList.get_all: filters, then sort_key + id in one direction, then marker (MarkerNotFound) and limit. */
  async list(caller: FlavorCaller | null, o: FlavorListOptions = {}): Promise<Flavor[]> {
    return (await selectFlavors(this.#db, caller, o)).map(fromRow);
  }

  /** Deletes the flavor, its access list and extra specs; FlavorNotFound when absent. */
  async destroy(flavorid: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const row = await selectFlavorIdByFlavorid(trx, flavorid);
      if (!row) throw new FlavorNotFound(flavorid);
      await deleteFlavor(trx, row.id);
    });
  }

  /** Sets the description (the only attribute nova lets one change, 2.55). */
  async updateDescription(flavorid: string, description: string | null): Promise<Flavor> {
    if (!(await updateFlavorDescription(this.#db, flavorid, description, isoMicros(this.#clock.now())))) throw new FlavorNotFound(flavorid);
    return this.get(flavorid);
  }

  /** Merges specs into the flavor's extra specs (create and update alike); returns the flavor. */
  async setExtraSpecs(flavorid: string, specs: Record<string, string>): Promise<Flavor> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await selectFlavorExtraSpecs(trx, flavorid);
      if (!row) throw new FlavorNotFound(flavorid);
      const merged = { ...(JSON.parse(row.extra_specs) as Record<string, string>), ...specs };
      await updateFlavorExtraSpecs(trx, row.id, merged, isoMicros(this.#clock.now()));
      return fromRow(await selectFlavorById(trx, row.id));
    });
  }

  /** Removes one extra spec; FlavorExtraSpecsNotFound when the key is not set. */
  async deleteExtraSpec(flavorid: string, key: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const row = await selectFlavorExtraSpecs(trx, flavorid);
      if (!row) throw new FlavorNotFound(flavorid);
      const specs = JSON.parse(row.extra_specs) as Record<string, string>;
      if (!Object.hasOwn(specs, key)) throw new FlavorExtraSpecsNotFound(flavorid, key);
      delete specs[key];
      await updateFlavorExtraSpecs(trx, row.id, specs, isoMicros(this.#clock.now()));
    });
  }

  /** The projects given access to a flavor, in the order they were added. */
  async projects(flavor: Pick<Flavor, 'id'>): Promise<string[]> {
    return selectFlavorProjects(this.#db, flavor.id);
  }

  /** Gives a project access; FlavorAccessExists (naming the internal id, as nova does) when it already has it. */
  async addAccess(flavor: Pick<Flavor, 'id'>, projectId: string): Promise<string[]> {
    try {
      await insertFlavorProject(this.#db, flavor.id, projectId);
    } catch (e) {
      if (isUniqueViolation(e)) throw new FlavorAccessExists(String(flavor.id), projectId);
      throw e;
    }
    return this.projects(flavor);
  }

  /** Takes a project's access away; FlavorAccessNotFound when it had none. */
  async removeAccess(flavor: Pick<Flavor, 'id'>, projectId: string): Promise<string[]> {
    if (!(await deleteFlavorProject(this.#db, flavor.id, projectId))) throw new FlavorAccessNotFound(String(flavor.id), projectId);
    return this.projects(flavor);
  }
}
/**
 * The flavors a fresh cloud has: devstack's m1.* (lib/nova create_flavors), the two
 * tempest adds (m1.nano, m1.micro), and the seed document's flavor "100".
 */
export const DEFAULT_FLAVORS: readonly NewFlavor[] = [
  { flavorid: '1', name: 'm1.tiny', memory_mb: 512, root_gb: 1, vcpus: 1, extra_specs: { 'hw_rng:allowed': 'True' } },
  { flavorid: '2', name: 'm1.small', memory_mb: 2048, root_gb: 20, vcpus: 1, extra_specs: { 'hw_rng:allowed': 'True' } },
  { flavorid: '3', name: 'm1.medium', memory_mb: 4096, root_gb: 40, vcpus: 2, extra_specs: { 'hw_rng:allowed': 'True' } },
  { flavorid: '4', name: 'm1.large', memory_mb: 8192, root_gb: 80, vcpus: 4, extra_specs: { 'hw_rng:allowed': 'True' } },
  { flavorid: '5', name: 'm1.xlarge', memory_mb: 16384, root_gb: 160, vcpus: 8, extra_specs: { 'hw_rng:allowed': 'True' } },
  { flavorid: '42', name: 'm1.nano', memory_mb: 128, root_gb: 1, vcpus: 1, extra_specs: { 'hw_rng:allowed': 'True' } },
  { flavorid: '84', name: 'm1.micro', memory_mb: 192, root_gb: 1, vcpus: 1, extra_specs: { 'hw_rng:allowed': 'True' } },
  { flavorid: '100', name: 'm1.seed100', memory_mb: 64, root_gb: 1, vcpus: 1 },
];

/**
 * Creates DEFAULT_FLAVORS when the flavors table is empty (the first start of a cloud);
 * a later start leaves whatever the operator made of them alone.
 */
export async function bootstrapFlavors(db: Kysely<NovaDB>, clock: Clock = systemClock): Promise<void> {
  if (await anyFlavorExists(db)) return;
  const store = new FlavorStore(db, { clock });
  for (const f of DEFAULT_FLAVORS) await store.create(f);
}

/**
 * The flavor a boot asks for, as the instance will record it (compute API's
 * get_flavor_by_flavor_id(read_deleted="no") then its disabled check). flavorRef may be
 * an id or a link to one. Throws FlavorNotFound — unknown, invisible to a non-admin
 * caller, or disabled (nova then names the flavor's internal id) — which the servers
 * API answers with 400 "Invalid flavorRef provided.".
 */
export async function getFlavorForBoot(db: Kysely<NovaDB>, flavorRef: string | number, ctx: FlavorCaller): Promise<InstanceFlavor> {
  const flavor = await new FlavorStore(db).get(idFromHref(String(flavorRef)), ctx);
  if (flavor.disabled) throw new FlavorNotFound(String(flavor.id));
  return toInstanceFlavor(flavor);
}
