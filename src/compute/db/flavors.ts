/**
 * The flavor statements (nova/db/api's flavor_* over flavors and flavor_projects; extra
 * specs are a JSON column of the flavor row). Every function takes the caller's handle,
 * so FlavorStore runs several inside one transaction.
 */
import type { Insertable, Kysely, Selectable } from 'kysely';
import { insertedId } from '../../db/database.js';
import { MarkerNotFound } from '../errors.js';
import type { FlavorsTable, NovaDB } from './schema.js';

type Db = Kysely<NovaDB>;

/** A flavors row. */
export type FlavorRow = Selectable<FlavorsTable>;

/** Who is asking: visibility of private flavors depends on it. */
export interface FlavorCaller {
  projectId: string;
  isAdmin: boolean;
}

/** The sort keys nova's flavor list accepts (schemas/flavors.py VALID_SORT_KEYS). */
export const FLAVOR_SORT_KEYS = [
  'created_at',
  'description',
  'disabled',
  'ephemeral_gb',
  'flavorid',
  'id',
  'is_public',
  'memory_mb',
  'name',
  'root_gb',
  'rxtx_factor',
  'swap',
  'updated_at',
  'vcpu_weight',
  'vcpus',
] as const;
/** One of FLAVOR_SORT_KEYS. */
export type FlavorSortKey = (typeof FLAVOR_SORT_KEYS)[number];

/** nova's FlavorList.get_all filters and paging. */
export interface FlavorListOptions {
  /** true: public (plus, for a project, the private ones it may use); false: private only; null: all. */
  isPublic?: boolean | null;
  disabled?: boolean;
  minMemoryMb?: number;
  minRootGb?: number;
  sortKey?: FlavorSortKey;
  sortDir?: 'asc' | 'desc';
  limit?: number;
  /** flavorid of the last flavor of the previous page; MarkerNotFound when invisible or absent. */
  marker?: string;
}

/** nova's _flavor_get_query_from_db: an admin (or no caller) sees all, anyone else the public flavors and those their project was given. */
function visibleFlavors(db: Db, caller: FlavorCaller | null) {
  let q = db.selectFrom('flavors').selectAll('flavors');
  if (caller && !caller.isAdmin) {
    q = q.where((eb) =>
      eb.or([
        eb('flavors.is_public', '=', 1),
        eb.exists(eb.selectFrom('flavor_projects').select('flavor_projects.flavor_id').whereRef('flavor_projects.flavor_id', '=', 'flavors.id').where('flavor_projects.project_id', '=', caller.projectId)),
      ]),
    );
  }
  return q;
}

/** The flavor with this flavorid as `caller` may see it, or undefined. */
export function selectVisibleFlavor(db: Db, flavorid: string, caller: FlavorCaller | null): Promise<FlavorRow | undefined> {
  return visibleFlavors(db, caller).where('flavors.flavorid', '=', flavorid).orderBy('flavors.id', 'asc').executeTakeFirst();
}

/** nova's flavor_get_all: filters, then sort_key + id in one direction, then marker and limit. Throws MarkerNotFound. */
export async function selectFlavors(db: Db, caller: FlavorCaller | null, o: FlavorListOptions = {}): Promise<FlavorRow[]> {
  let q = visibleFlavors(db, caller);
  if (o.minMemoryMb !== undefined) q = q.where('flavors.memory_mb', '>=', o.minMemoryMb);
  if (o.minRootGb !== undefined) q = q.where('flavors.root_gb', '>=', o.minRootGb);
  if (o.disabled !== undefined) q = q.where('flavors.disabled', '=', o.disabled ? 1 : 0);
  if (o.isPublic !== undefined && o.isPublic !== null) {
    const pub = o.isPublic;
    if (pub && caller && caller.projectId) {
      q = q.where((eb) =>
        eb.or([
          eb('flavors.is_public', '=', 1),
          eb.exists(eb.selectFrom('flavor_projects').select('flavor_projects.flavor_id').whereRef('flavor_projects.flavor_id', '=', 'flavors.id').where('flavor_projects.project_id', '=', caller.projectId)),
        ]),
      );
    } else {
      q = q.where('flavors.is_public', '=', pub ? 1 : 0);
    }
  }
  const key = o.sortKey ?? 'flavorid';
  const dir = o.sortDir ?? 'asc';
  if (o.marker !== undefined) {
    const m = await visibleFlavors(db, caller).where('flavors.flavorid', '=', o.marker).executeTakeFirst();
    if (!m) throw new MarkerNotFound(o.marker);
    const mv = m[key];
    const op = dir === 'asc' ? '>' : '<';
    // oslo.db's paginate_query: (key > m.key) or (key = m.key and id > m.id), per direction.
    q = q.where((eb) =>
      mv === null
        ? eb.or([eb(`flavors.${key}`, 'is not', null), eb('flavors.id', op, m.id)])
        : eb.or([eb(`flavors.${key}`, op, mv), eb.and([eb(`flavors.${key}`, '=', mv), eb('flavors.id', op, m.id)])]),
    );
  }
  q = q.orderBy(`flavors.${key}`, dir).orderBy('flavors.id', dir);
  if (o.limit !== undefined) q = q.limit(o.limit);
  return q.execute();
}

/** Every column of the flavor with this internal id (which the caller knows exists). */
export function selectFlavorById(db: Db, id: number): Promise<FlavorRow> {
  return db.selectFrom('flavors').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The internal id of the flavor with this flavorid, or undefined. */
export function selectFlavorIdByFlavorid(db: Db, flavorid: string): Promise<{ id: number } | undefined> {
  return db.selectFrom('flavors').select('id').where('flavorid', '=', flavorid).executeTakeFirst();
}

/** The internal id of the flavor with this name, or undefined. */
export function selectFlavorIdByName(db: Db, name: string): Promise<{ id: number } | undefined> {
  return db.selectFrom('flavors').select('id').where('name', '=', name).executeTakeFirst();
}

/** Whether any flavor exists (a cloud's first start has none). */
export async function anyFlavorExists(db: Db): Promise<boolean> {
  return (await db.selectFrom('flavors').select('id').limit(1).executeTakeFirst()) !== undefined;
}

/** Inserts a flavor; returns its internal id. A unique violation propagates. */
export function insertFlavor(db: Db, row: Insertable<FlavorsTable>): Promise<number> {
  return insertedId(db as never, db.insertInto('flavors').values(row));
}

/** Gives a project access to a flavor. A unique violation (access already given) propagates. */
export async function insertFlavorProject(db: Db, flavorId: number, projectId: string): Promise<void> {
  await db.insertInto('flavor_projects').values({ flavor_id: flavorId, project_id: projectId }).execute();
}

/** The projects given access to a flavor, in the order they were added. */
export async function selectFlavorProjects(db: Db, flavorId: number): Promise<string[]> {
  const rows = await db.selectFrom('flavor_projects').select('project_id').where('flavor_id', '=', flavorId).execute();
  return rows.map((r) => r.project_id);
}

/** Takes a project's access away; whether it had any. */
export async function deleteFlavorProject(db: Db, flavorId: number, projectId: string): Promise<boolean> {
  const r = await db.deleteFrom('flavor_projects').where('flavor_id', '=', flavorId).where('project_id', '=', projectId).executeTakeFirst();
  return Number(r.numDeletedRows) !== 0;
}

/** Deletes a flavor and its access list (the API database keeps no soft-deleted rows). */
export async function deleteFlavor(db: Db, id: number): Promise<void> {
  await db.deleteFrom('flavor_projects').where('flavor_id', '=', id).execute();
  await db.deleteFrom('flavors').where('id', '=', id).execute();
}

/** Sets a flavor's description; whether a flavor with this flavorid exists. */
export async function updateFlavorDescription(db: Db, flavorid: string, description: string | null, updatedAt: string): Promise<boolean> {
  const r = await db.updateTable('flavors').set({ description, updated_at: updatedAt }).where('flavorid', '=', flavorid).executeTakeFirst();
  return Number(r.numUpdatedRows) !== 0;
}

/** The internal id and extra specs (JSON text) of the flavor with this flavorid, or undefined. */
export function selectFlavorExtraSpecs(db: Db, flavorid: string): Promise<{ id: number; extra_specs: string } | undefined> {
  return db.selectFrom('flavors').select(['id', 'extra_specs']).where('flavorid', '=', flavorid).executeTakeFirst();
}

/** Replaces a flavor's extra specs. */
export async function updateFlavorExtraSpecs(db: Db, id: number, specs: Record<string, string>, updatedAt: string): Promise<void> {
  await db.updateTable('flavors').set({ extra_specs: JSON.stringify(specs), updated_at: updatedAt }).where('id', '=', id).execute();
}
