/**
 * glance's metadata definitions catalog (glance/api/v2/metadef_*.py with the DB
 * driver): namespaces and the objects, properties, tags and resource type associations
 * inside them. Zed's default policies: anyone reads what they can see (admins all; others
 * public namespaces and their project's), only admins create, change or delete
 * (rule:metadef_admin). A namespace the caller cannot see is 404, as glance hides it.
 */
import type { RequestContext } from '../common/auth.js';
import { isoSeconds, type Clock } from '../common/clock.js';
import type { Kysely } from 'kysely';
import { ITEM_KINDS, type ItemKind, MetadefRepo } from './db/metadef-repo.js';
import type { ImageDB, MetadefItemRow, MetadefNamespaceRow } from './db/tables.js';
import {
  MetadefDuplicateItem,
  MetadefDuplicateNamespace,
  MetadefItemNotFound,
  MetadefNamespaceNotFound,
  PolicyForbidden,
  ProtectedMetadefNamespaceDelete,
} from './errors.js';

/**
 * The resource types devstack's `glance-manage db_load_metadefs` leaves in the catalog
 * (those named by glance's etc/metadefs files), so a fresh cloud lists some as glance does.
 */
export const SEEDED_RESOURCE_TYPES = [
  'OS::Cinder::Volume',
  'OS::Glance::Image',
  'OS::Glance::Snapshot',
  'OS::Nova::Aggregate',
  'OS::Nova::Flavor',
  'OS::Nova::Instance',
  'OS::Nova::Server',
  'OS::Trove::Instance',
] as const;

/** A namespace's own fields as the caller gave them. */
export interface NamespaceInput {
  namespace: string;
  display_name?: string | null;
  description?: string | null;
  visibility?: string | null;
  protected?: boolean | null;
  owner?: string | null;
}

/** The not-found messages by kind, glance's exception texts. */
const NOT_FOUND: Record<ItemKind, (name: string, ns: string) => string> = {
  object: (n, ns) => `The metadata definition object with name=${n} was not found in namespace=${ns}.`,
  property: (n, ns) => `The metadata definition property with name=${n} was not found in namespace=${ns}.`,
  tag: (n, ns) => `The metadata definition tag with name=${n} was not found in namespace=${ns}.`,
  resource_type: (n, ns) => `The metadata definition resource-type association of resource-type=${n} to namespace=${ns}, was not found.`,
};
const DUPLICATE: Record<ItemKind, (name: string, ns: string) => string> = {
  object: (n, ns) => `A metadata definition object with name=${n} already exists in namespace=${ns}.`,
  property: (n, ns) => `A metadata definition property with name=${n} already exists in namespace=${ns}.`,
  tag: (n, ns) => `A metadata tag with name=${n} already exists in namespace=${ns}. (Please note that metadata tag names are case insensitive).`,
  resource_type: (n, ns) => `The metadata definition resource-type association of resource-type=${n} to namespace=${ns} already exists.`,
};

/** An item as stored: its name, its fields, its times. */
export interface MetadefItem {
  name: string;
  body: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

const toItem = (r: MetadefItemRow): MetadefItem => ({ name: r.name, body: JSON.parse(r.body) as Record<string, unknown>, created_at: r.created_at, updated_at: r.updated_at });

/** The metadefs operations, HTTP-free; every method may throw glance's 403/404/409 errors. */
export class MetadefAPI {
  readonly #repo: MetadefRepo;
  readonly #clock: Clock;

  constructor(deps: { db: Kysely<ImageDB>; clock: Clock }) {
    this.#repo = new MetadefRepo(deps.db);
    this.#clock = deps.clock;
  }

  #now(): string {
    return isoSeconds(this.#clock.now());
  }

  /** Adds the seeded resource types; idempotent. */
  async seed(): Promise<void> {
    const now = this.#now();
    for (const name of SEEDED_RESOURCE_TYPES) await this.#repo.ensureResourceType(name, true, now);
  }

  /** _is_namespace_visible: admins, ownerless and public namespaces, and the owner's project. */
  static visible(ctx: RequestContext, ns: MetadefNamespaceRow): boolean {
    return ctx.isAdmin || ns.owner === null || ns.visibility === 'public' || ns.owner === ctx.projectId;
  }

  /** rule:metadef_admin; a refusal names the rule as glance's policy layer does. */
  static requireAdmin(ctx: RequestContext, rule: string): void {
    if (!ctx.isAdmin) throw new PolicyForbidden(rule);
  }

  /** The namespace for a read: 404 "Metadata definition namespace=X was not found." when absent or hidden. */
  async getNamespace(ctx: RequestContext, name: string): Promise<MetadefNamespaceRow> {
    const ns = await this.#repo.getNamespace(name);
    if (!ns || !MetadefAPI.visible(ctx, ns)) throw new MetadefNamespaceNotFound(`Metadata definition namespace=${name} was not found.`);
    return ns;
  }

  /** The namespace for a change: 404 "Namespace X not found" when absent or hidden, then the admin rule. */
  async #namespaceToChange(ctx: RequestContext, name: string, rule: string): Promise<MetadefNamespaceRow> {
    const ns = await this.#repo.getNamespace(name);
    if (!ns || !MetadefAPI.visible(ctx, ns)) throw new MetadefNamespaceNotFound(`Namespace ${name} not found`);
    MetadefAPI.requireAdmin(ctx, rule);
    return ns;
  }

  /** The namespaces the caller can see, newest first. */
  async listNamespaces(ctx: RequestContext, filters: { visibility?: string; resourceTypes?: string[] } = {}): Promise<MetadefNamespaceRow[]> {
    const all = (await this.#repo.listNamespaces()).filter((n) => MetadefAPI.visible(ctx, n));
    let out = filters.visibility ? all.filter((n) => n.visibility === filters.visibility) : all;
    if (filters.resourceTypes?.length) {
      const keep: MetadefNamespaceRow[] = [];
      for (const n of out) {
        const rts = await this.#repo.listItems(n.namespace, ITEM_KINDS.resourceType);
        if (rts.some((r) => filters.resourceTypes!.includes(r.name))) keep.push(n);
      }
      out = keep;
    }
    return out;
  }

  /** Creates a namespace owned by the caller's project (unless an owner is given); admin only. */
  async createNamespace(ctx: RequestContext, input: NamespaceInput): Promise<MetadefNamespaceRow> {
    MetadefAPI.requireAdmin(ctx, 'add_metadef_namespace');
    if (await this.#repo.getNamespace(input.namespace)) throw new MetadefDuplicateNamespace(input.namespace);
    const now = this.#now();
    const row: MetadefNamespaceRow = {
      namespace: input.namespace,
      display_name: input.display_name ?? null,
      description: input.description ?? null,
      visibility: input.visibility ?? 'private',
      protected: input.protected ? 1 : 0,
      owner: input.owner ?? ctx.projectId,
      created_at: now,
      updated_at: now,
    };
    await this.#repo.insertNamespace(row);
    return row;
  }

  /** Replaces a namespace's fields (PUT); absent visibility/protected/owner take their defaults, as glance's update does. */
  async updateNamespace(ctx: RequestContext, name: string, input: NamespaceInput): Promise<MetadefNamespaceRow> {
    const ns = await this.#namespaceToChange(ctx, name, 'modify_metadef_namespace');
    if (input.namespace !== name && (await this.#repo.getNamespace(input.namespace))) throw new MetadefDuplicateNamespace(input.namespace);
    const row: MetadefNamespaceRow = {
      ...ns,
      namespace: input.namespace,
      display_name: input.display_name ?? null,
      description: input.description ?? null,
      visibility: input.visibility || 'private',
      protected: input.protected ? 1 : 0,
      owner: input.owner || ctx.projectId,
      updated_at: this.#now(),
    };
    await this.#repo.updateNamespace(name, row);
    return row;
  }

  /** Deletes a namespace with its contents; a protected one is 403. */
  async deleteNamespace(ctx: RequestContext, name: string): Promise<void> {
    const ns = await this.#namespaceToChange(ctx, name, 'delete_metadef_namespace');
    if (ns.protected) throw new ProtectedMetadefNamespaceDelete(name);
    await this.#repo.deleteNamespace(name);
  }

  /** The items of one kind in a namespace the caller can see. */
  async listItems(ctx: RequestContext, namespace: string, kind: ItemKind): Promise<MetadefItem[]> {
    await this.getNamespace(ctx, namespace);
    return (await this.#repo.listItems(namespace, kind)).map(toItem);
  }

  /** One item; 404 with glance's text when absent. */
  async getItem(ctx: RequestContext, namespace: string, kind: ItemKind, name: string): Promise<MetadefItem> {
    await this.getNamespace(ctx, namespace);
    const r = await this.#repo.getItem(namespace, kind, name);
    if (!r) throw new MetadefItemNotFound(NOT_FOUND[kind](name, namespace));
    return toItem(r);
  }

  /** Adds an item (admin only); 409 when the name is taken. An association creates an unknown resource type, as glance does. */
  async createItem(ctx: RequestContext, namespace: string, kind: ItemKind, name: string, body: Record<string, unknown>, rule: string): Promise<MetadefItem> {
    await this.#namespaceToChange(ctx, namespace, rule);
    if (await this.#repo.getItem(namespace, kind, name)) throw new MetadefDuplicateItem(DUPLICATE[kind](name, namespace));
    const now = this.#now();
    if (kind === ITEM_KINDS.resourceType) await this.#repo.ensureResourceType(name, false, now);
    const row = { namespace, kind, name, body: JSON.stringify(body), created_at: now, updated_at: now };
    await this.#repo.insertItem(row);
    return toItem(row);
  }

  /** Replaces an item's fields and maybe its name (admin only). */
  async updateItem(ctx: RequestContext, namespace: string, kind: ItemKind, name: string, newName: string, body: Record<string, unknown>, rule: string): Promise<MetadefItem> {
    await this.#namespaceToChange(ctx, namespace, rule);
    const old = await this.#repo.getItem(namespace, kind, name);
    if (!old) throw new MetadefItemNotFound(NOT_FOUND[kind](name, namespace));
    if (newName !== name && (await this.#repo.getItem(namespace, kind, newName))) throw new MetadefDuplicateItem(DUPLICATE[kind](newName, namespace));
    const updated = { name: newName, body: JSON.stringify(body), updated_at: this.#now() };
    await this.#repo.updateItem(namespace, kind, name, updated);
    return toItem({ ...old, ...updated });
  }

  /** Deletes one item (admin only); 404 when absent. */
  async deleteItem(ctx: RequestContext, namespace: string, kind: ItemKind, name: string, rule: string): Promise<void> {
    await this.#namespaceToChange(ctx, namespace, rule);
    if (!(await this.#repo.getItem(namespace, kind, name))) throw new MetadefItemNotFound(NOT_FOUND[kind](name, namespace));
    await this.#repo.deleteItems(namespace, kind, name);
  }

  /** Deletes every item of a kind (DELETE .../objects, .../properties, .../tags). */
  async deleteAllItems(ctx: RequestContext, namespace: string, kind: ItemKind): Promise<void> {
    const ns = await this.#namespaceToChange(ctx, namespace, 'delete_metadef_namespace');
    // glance calls namespace_obj.delete() first: a protected namespace refuses.
    if (ns.protected) throw new ProtectedMetadefNamespaceDelete(namespace);
    await this.#repo.deleteItems(namespace, kind);
  }

  /** POST .../tags: replaces (or with append adds to) the namespace's tags. */
  async createTags(ctx: RequestContext, namespace: string, names: string[], append: boolean): Promise<MetadefItem[]> {
    await this.#namespaceToChange(ctx, namespace, 'add_metadef_tags');
    const existing = append ? (await this.#repo.listItems(namespace, ITEM_KINDS.tag)).map((t) => t.name.toLowerCase()) : [];
    const seen = new Set(existing);
    for (const n of names) {
      if (seen.has(n.toLowerCase())) throw new MetadefDuplicateItem(DUPLICATE.tag(n, namespace));
      seen.add(n.toLowerCase());
    }
    const now = this.#now();
    await this.#repo.replaceTags(namespace, names, now, append);
    return names.map((name) => ({ name, body: {}, created_at: now, updated_at: now }));
  }

  /** Every resource type, by name. */
  async listResourceTypes(): Promise<{ name: string; created_at: string; updated_at: string }[]> {
    return (await this.#repo.listResourceTypes()).map((r) => ({ name: r.name, created_at: r.created_at, updated_at: r.updated_at }));
  }
}
