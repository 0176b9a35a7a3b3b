/**
 * The tags table (neutron's standard-attr tag rows): one row per (resource type,
 * resource id, tag). Every function takes the connection or transaction to run in; the
 * caller owns atomicity.
 */
import { sql, type Kysely } from 'kysely';
import { each, statements } from '../../db/statement.js';
import type { NeutronDB } from './schema.js';

type Db = Kysely<NeutronDB>;

/** Taggable collections (the URL/API name, stored as resource_type) and the table holding each. */
export const TAGGABLE = {
  networks: 'networks',
  subnets: 'subnets',
  ports: 'ports',
  security_groups: 'securitygroups',
  floatingips: 'floatingips',
  routers: 'routers',
  subnetpools: 'subnetpools',
} as const;
export type TaggableCollection = keyof typeof TAGGABLE;

/**
 * The tags of many resources of one type in one query (chunked for long id lists):
 * id → tags sorted by code point (neutron returns them in the tag table's key order).
 * `ids` 'all' loads every tag of the type (for unfiltered admin lists).
 */
export async function loadTags(db: Db, type: TaggableCollection, ids: readonly string[] | 'all'): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const rows: { resource_id: string; tag: string }[] = [];
  if (ids === 'all') rows.push(...(await tagsOf.rows(db, { type, ids })));
  else for (let i = 0; i < ids.length; i += 500) rows.push(...(await tagsOf.rows(db, { type, ids: ids.slice(i, i + 500) })));
  for (const r of rows) (out.get(r.resource_id) ?? out.set(r.resource_id, []).get(r.resource_id)!).push(r.tag);
  for (const tags of out.values()) tags.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return out;
}

/** loadTags' statement, compiled once per number of resources (or all of a type). */
const tagsOf = statements(
  (a: { type: string; ids: readonly string[] | 'all' }) => (a.ids === 'all' ? 'all' : String(a.ids.length)),
  (db: Db, p, a) => {
    const q = db.selectFrom('tags').select(['resource_id', 'tag']).where('resource_type', '=', p.type);
    return a.ids === 'all' ? q : q.where('resource_id', 'in', each(p.ids, a.ids.length));
  },
);

/** Removes every tag of the given resources; call it in the transaction deleting them. */
export async function deleteTagsOf(db: Db, type: TaggableCollection, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await db.deleteFrom('tags').where('resource_type', '=', type).where('resource_id', 'in', ids.slice(i, i + 500)).execute();
  }
}

/** Whether a resource has the tag. */
export async function hasTag(db: Db, type: TaggableCollection, id: string, tag: string): Promise<boolean> {
  return !!(await db.selectFrom('tags').select('tag').where('resource_type', '=', type).where('resource_id', '=', id).where('tag', '=', tag).executeTakeFirst());
}

/** Adds tags to a resource; a tag it already has is a unique violation. */
export async function insertTags(db: Db, type: TaggableCollection, id: string, tags: readonly string[]): Promise<void> {
  await db.insertInto('tags').values(tags.map((tag) => ({ resource_type: type, resource_id: id, tag }))).execute();
}

/** Adds one tag to a resource; a tag it already has is a unique violation. */
export async function insertTag(db: Db, type: TaggableCollection, id: string, tag: string): Promise<void> {
  await db.insertInto('tags').values({ resource_type: type, resource_id: id, tag }).execute();
}

/** Removes the named tags of a resource. */
export async function deleteTags(db: Db, type: TaggableCollection, id: string, tags: readonly string[]): Promise<void> {
  await db.deleteFrom('tags').where('resource_type', '=', type).where('resource_id', '=', id).where('tag', 'in', tags).execute();
}

/** Removes one tag of a resource; how many rows went (0 or 1). */
export async function deleteTag(db: Db, type: TaggableCollection, id: string, tag: string): Promise<number> {
  const res = await db.deleteFrom('tags').where('resource_type', '=', type).where('resource_id', '=', id).where('tag', '=', tag).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Removes every tag of one resource; how many rows went. */
export async function deleteAllTags(db: Db, type: TaggableCollection, id: string): Promise<number> {
  const res = await db.deleteFrom('tags').where('resource_type', '=', type).where('resource_id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Bumps a tagged resource's revision_number by one and sets its updated_at (Tag.revises_on_change). */
export async function bumpTaggedRevision(db: Db, type: TaggableCollection, id: string, updatedAt: string): Promise<void> {
  await db
    .updateTable(TAGGABLE[type] as 'networks')
    .set({ revision_number: sql<number>`revision_number + 1`, updated_at: updatedAt })
    .where('id', '=', id)
    .execute();
}
