/**
 * SQL for glance's metadefs: namespaces, resource types, and the objects, properties,
 * tags and resource type associations a namespace holds (metadef_items by kind).
 * Callers (../metadefs.ts) decide visibility and policy; this only reads and writes.
 */
import type { Kysely } from 'kysely';
import type { ImageDB, MetadefItemRow, MetadefNamespaceRow, MetadefResourceTypeRow } from './tables.js';

/** What a namespace row holds besides itself. */
export const ITEM_KINDS = { object: 'object', property: 'property', tag: 'tag', resourceType: 'resource_type' } as const;
export type ItemKind = (typeof ITEM_KINDS)[keyof typeof ITEM_KINDS];

/** Reads and writes the metadef tables. */
export class MetadefRepo {
  constructor(private readonly db: Kysely<ImageDB>) {}

  /** One namespace by name, or undefined. */
  getNamespace(name: string): Promise<MetadefNamespaceRow | undefined> {
    return this.db.selectFrom('metadef_namespaces').selectAll().where('namespace', '=', name).executeTakeFirst();
  }

  /** Every namespace, newest first (glance's default sort: created_at desc). */
  listNamespaces(): Promise<MetadefNamespaceRow[]> {
    return this.db.selectFrom('metadef_namespaces').selectAll().orderBy('created_at', 'desc').orderBy('namespace', 'desc').execute();
  }

  async insertNamespace(row: MetadefNamespaceRow): Promise<void> {
    await this.db.insertInto('metadef_namespaces').values(row).execute();
  }

  /** Rewrites a namespace; a rename carries its items along. */
  async updateNamespace(oldName: string, row: MetadefNamespaceRow): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('metadef_namespaces').set(row).where('namespace', '=', oldName).execute();
      if (row.namespace !== oldName) await tx.updateTable('metadef_items').set({ namespace: row.namespace }).where('namespace', '=', oldName).execute();
    });
  }

  /** Deletes a namespace and everything in it. */
  async deleteNamespace(name: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('metadef_items').where('namespace', '=', name).execute();
      await tx.deleteFrom('metadef_namespaces').where('namespace', '=', name).execute();
    });
  }

  listResourceTypes(): Promise<MetadefResourceTypeRow[]> {
    return this.db.selectFrom('metadef_resource_types').selectAll().orderBy('name').execute();
  }

  /** Adds a resource type unless one of that name exists. */
  async ensureResourceType(name: string, isProtected: boolean, now: string): Promise<void> {
    const found = await this.db.selectFrom('metadef_resource_types').select('name').where('name', '=', name).executeTakeFirst();
    if (!found) await this.db.insertInto('metadef_resource_types').values({ name, protected: isProtected ? 1 : 0, created_at: now, updated_at: now }).execute();
  }

  /** A namespace's items of one kind, in creation order. */
  listItems(namespace: string, kind: ItemKind): Promise<MetadefItemRow[]> {
    return this.db.selectFrom('metadef_items').selectAll().where('namespace', '=', namespace).where('kind', '=', kind).orderBy('created_at').orderBy('name').execute();
  }

  getItem(namespace: string, kind: ItemKind, name: string): Promise<MetadefItemRow | undefined> {
    return this.db.selectFrom('metadef_items').selectAll().where('namespace', '=', namespace).where('kind', '=', kind).where('name', '=', name).executeTakeFirst();
  }

  async insertItem(row: MetadefItemRow): Promise<void> {
    await this.db.insertInto('metadef_items').values(row).execute();
  }

  /** Rewrites an item, possibly renaming it. */
  async updateItem(namespace: string, kind: ItemKind, oldName: string, row: Pick<MetadefItemRow, 'name' | 'body' | 'updated_at'>): Promise<void> {
    await this.db.updateTable('metadef_items').set(row).where('namespace', '=', namespace).where('kind', '=', kind).where('name', '=', oldName).execute();
  }

  /** Deletes one item, or with no name every item of the kind. */
  async deleteItems(namespace: string, kind: ItemKind, name?: string): Promise<void> {
    let q = this.db.deleteFrom('metadef_items').where('namespace', '=', namespace).where('kind', '=', kind);
    if (name !== undefined) q = q.where('name', '=', name);
    await q.execute();
  }

  /** Replaces a namespace's tags with `names` (glance's create_tags without X-Openstack-Append). */
  async replaceTags(namespace: string, names: string[], now: string, append: boolean): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      if (!append) await tx.deleteFrom('metadef_items').where('namespace', '=', namespace).where('kind', '=', ITEM_KINDS.tag).execute();
      for (const name of names) await tx.insertInto('metadef_items').values({ namespace, kind: ITEM_KINDS.tag, name, body: '{}', created_at: now, updated_at: now }).execute();
    });
  }
}
