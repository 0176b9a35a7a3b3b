/**
 * neutron's tag service plugin (standard-attr-tag, neutron/services/tag/tag_plugin.py):
 * tags on networks, subnets, ports, security groups, floating IPs, routers and subnet pools.
 *
 * As in Zed, the parent must exist and be visible to the caller (else
 * TagResourceNotFound) and no policy rule guards the tag calls themselves: Zed's tag
 * controller is a legacy shim controller that the pecan policy hook skips, so anyone
 * who sees a resource (a shared network, say) may tag it. Every change that adds or
 * removes a tag bumps the parent's revision_number and updated_at once, as neutron's
 * revision plugin does through Tag.revises_on_change.
 */
import type { Kysely } from 'kysely';
import type { RequestContext } from '../../common/auth.js';
import { NotFound } from '../../common/errors.js';
import { isUniqueViolation } from '../../db/database.js';
import { isListOfUniqueStrings, isString } from '../api/validators.js';
import type { NeutronDB } from '../db/schema.js';
import { type TaggableCollection, bumpTaggedRevision, deleteAllTags, deleteTag, deleteTags, hasTag, insertTag, insertTags, loadTags } from '../db/tags.js';
import { InvalidInput, TagNotFound, TagResourceNotFound } from '../errors.js';
import { type PluginDeps, nowIso } from './deps.js';

/** neutron's tagging.MAX_TAG_LEN. */
export const MAX_TAG_LEN = 255;

/**
 * Finds a parent the caller may see, in `db` (the request's transaction); throws the
 * family's NotFound when it is absent or hidden.
 */
export type ParentLookup = (ctx: RequestContext, id: string, db: Kysely<NeutronDB>) => Promise<unknown>;

/** The list-filter keys of the tag extension and their meaning (neutron objects/tag.py). */
export const TAG_FILTERS = ['tags', 'tags-any', 'not-tags', 'not-tags-any'] as const;
export type TagFilter = (typeof TAG_FILTERS)[number];

/**
 * Whether a resource's tags pass one tag filter. Each value may hold several
 * comma-separated tags; `tags` = has all, `tags-any` = has at least one, `not-tags` =
 * lacks at least one (NOT (T1 AND T2)), `not-tags-any` = has none.
 */
export function matchesTagFilter(have: readonly string[], filter: TagFilter, values: readonly unknown[]): boolean {
  const want = [...new Set(values.flatMap((v) => String(v).split(',')))];
  const tags = new Set(have);
  switch (filter) {
    case 'tags':
      return want.every((t) => tags.has(t));
    case 'tags-any':
      return want.some((t) => tags.has(t));
    case 'not-tags':
      return !want.every((t) => tags.has(t));
    case 'not-tags-any':
      return !want.some((t) => tags.has(t));
  }
}

/** neutron's tagging.validate_tag: a string of at most 255 characters; InvalidInput otherwise. */
export function validateTag(tag: unknown): string {
  const msg = isString(MAX_TAG_LEN)(tag);
  if (msg) throw new InvalidInput(msg);
  return tag as string;
}

/**
 * neutron's tagging.validate_tags for a PUT .../tags body: {"tags": [...]} with a list
 * of unique strings (duplicates are refused, not collapsed). Returns the list as given.
 */
export function validateTagsBody(body: unknown): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('tags' in body)) throw new InvalidInput('Invalid tags body');
  const tags = (body as { tags: unknown }).tags;
  const msg = isListOfUniqueStrings(MAX_TAG_LEN)(tags);
  if (msg) throw new InvalidInput(msg);
  return tags as string[];
}

/** The tag plugin's operations behind /v2.0/{collection}/{id}/tags[/{tag}]. */
export class Tags {
  constructor(
    private readonly d: PluginDeps,
    private readonly parents: Record<TaggableCollection, ParentLookup>,
  ) {}

  /** GET .../tags: the parent's tags. */
  async list(ctx: RequestContext, type: TaggableCollection, id: string): Promise<string[]> {
    return this.d.db.transaction().execute(async (trx) => {
      await this.#parent(ctx, type, id, trx);
      return (await loadTags(trx, type, [id])).get(id) ?? [];
    });
  }

  /** GET .../tags/{tag}: resolves when the parent has the tag; TagNotFound otherwise. */
  async check(ctx: RequestContext, type: TaggableCollection, id: string, tag: string): Promise<void> {
    validateTag(tag);
    const found = await this.d.db.transaction().execute(async (trx) => {
      await this.#parent(ctx, type, id, trx);
      return hasTag(trx, type, id, tag);
    });
    if (!found) throw new TagNotFound(tag);
  }

  /**
   * PUT .../tags: replaces all tags with `body.tags` (validated here) and returns the
   * list as the caller sent it, as neutron echoes the body. A concurrent writer's
   * duplicate key is retried, like neutron's retry_if_session_inactive.
   */
  async replace(ctx: RequestContext, type: TaggableCollection, id: string, body: unknown): Promise<string[]> {
    const wanted = validateTagsBody(body);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.d.db.transaction().execute(async (trx) => {
          await this.#parent(ctx, type, id, trx);
          const old = new Set((await loadTags(trx, type, [id])).get(id) ?? []);
          const next = new Set(wanted);
          const removed = [...old].filter((t) => !next.has(t));
          const added = [...next].filter((t) => !old.has(t));
          if (removed.length) await deleteTags(trx, type, id, removed);
          if (added.length) await insertTags(trx, type, id, added);
          if (removed.length || added.length) await this.#bump(trx, type, id);
        });
        return wanted;
      } catch (e) {
        if (!isUniqueViolation(e) || attempt >= 2) throw e;
      }
    }
  }

  /** PUT .../tags/{tag}: adds one tag; already present is no change (and no revision bump). */
  async add(ctx: RequestContext, type: TaggableCollection, id: string, tag: string): Promise<void> {
    validateTag(tag);
    try {
      await this.d.db.transaction().execute(async (trx) => {
        await this.#parent(ctx, type, id, trx);
        if (await hasTag(trx, type, id, tag)) return;
        await insertTag(trx, type, id, tag);
        await this.#bump(trx, type, id);
      });
    } catch (e) {
      // A concurrent request added the same tag first: neutron ignores the duplicate too.
      if (!isUniqueViolation(e)) throw e;
    }
  }

  /** DELETE .../tags/{tag}: removes one tag; TagNotFound when the parent lacks it. */
  async remove(ctx: RequestContext, type: TaggableCollection, id: string, tag: string): Promise<void> {
    validateTag(tag);
    await this.d.db.transaction().execute(async (trx) => {
      await this.#parent(ctx, type, id, trx);
      if ((await deleteTag(trx, type, id, tag)) === 0) throw new TagNotFound(tag);
      await this.#bump(trx, type, id);
    });
  }

  /** DELETE .../tags: removes every tag of the parent. */
  async removeAll(ctx: RequestContext, type: TaggableCollection, id: string): Promise<void> {
    await this.d.db.transaction().execute(async (trx) => {
      await this.#parent(ctx, type, id, trx);
      if ((await deleteAllTags(trx, type, id)) > 0) await this.#bump(trx, type, id);
    });
  }

  /** The parent, or neutron's TagResourceNotFound naming the collection ("Resource networks <id> ..."). */
  async #parent(ctx: RequestContext, type: TaggableCollection, id: string, trx: Kysely<NeutronDB>): Promise<void> {
    try {
      await this.parents[type](ctx, id, trx);
    } catch (e) {
      if (e instanceof NotFound) throw new TagResourceNotFound(type, id);
      throw e;
    }
  }

  /** One revision bump (and updated_at) of the parent, in the caller's transaction. */
  async #bump(trx: Kysely<NeutronDB>, type: TaggableCollection, id: string): Promise<void> {
    await bumpTaggedRevision(trx, type, id, nowIso(this.d.clock.now()));
  }
}
