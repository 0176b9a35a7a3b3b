/**
 * The image API: every operation glance's v2 controllers perform, on domain types and a
 * RequestContext, with no HTTP. Routes in http/ translate the wire to these calls.
 * Validation of shapes (the image schema) happens before; this layer applies policy,
 * the status machine and storage.
 */
import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { RequestContext } from '../common/auth.js';
import type { Clock, Random } from '../common/clock.js';
import { httpBadRequest, httpNotFound } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { isUniqueViolation } from '../db/database.js';
import * as repo from './db/image-repo.js';
import type { ImageDB } from './db/tables.js';
import {
  ActionNotAllowedInStatus,
  ForeignOwnerForbidden,
  FormatNotReplaceable,
  ImageGoneDuringUpload,
  ImageIdConflict,
  ImageLookupNotFound,
  ImageNotFound,
  ImageTagLimitExceeded,
  ImageTagLimitExceededForImage,
  ImageToDeleteNotFound,
  InvalidImageStatusTransition,
  OwnerChangeForbidden,
  PropertyAlreadyPresent,
  PropertyNotFound,
  PropertyNotRemovable,
  ProtectedImageDelete,
  UploadForbidden,
  DeactivatedDownloadForbidden,
  TagChangeForbidden,
} from './errors.js';
import {
  DEFAULT_IMAGE_QUOTAS,
  MUTABLE_ATTRIBUTES,
  isMutableAttribute,
  type Image,
  type ImageCore,
  type ImageQuotas,
  type MemberStatus,
  type Visibility,
} from './model.js';
import { canSee, checkMutable, enforceVisibility } from './policy.js';
import type { FileStore } from './store/file-store.js';
import { virtualSize } from './store/format-inspector.js';

/** A create request after schema validation: core attributes, extra properties and tags. */
export interface CreateImageInput {
  id?: string;
  core: Partial<Omit<ImageCore, 'tags'>>;
  properties: Record<string, string>;
  tags: string[];
}

/** One JSON-patch change on a top-level attribute; `draft` 4 makes `add` of an existing key a conflict. */
export interface ImageChange {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
  draft: 4 | 10;
}

/** A parsed GET /v2/images. */
export interface ListImagesQuery {
  filters: repo.ImageFilters;
  /** Which memberships list a shared image to a member (glance's default: accepted). */
  memberStatus: MemberStatus | 'all';
  sortKeys: SortKey[];
  sortDirs: ('asc' | 'desc')[];
  marker?: string;
  limit: number;
}

/** glance's _available_sort_keys. */
export const SORT_KEYS = ['name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at', 'updated_at'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

const SORT_FIELD: Record<SortKey, keyof Image> = {
  name: 'name',
  status: 'status',
  container_format: 'containerFormat',
  disk_format: 'diskFormat',
  size: 'size',
  id: 'id',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
};

/** What a download finds: the image, and its data unless it has none (glance answers 204). */
export interface ImageDownload {
  image: Image;
  data?: { stream: Readable; size: number };
}

export interface ImageAPIDeps {
  db: Kysely<ImageDB>;
  store: FileStore;
  clock: Clock;
  random: Random;
  log: Logger;
  /** Tag quota; glance's default (128) when absent. */
  quotas?: ImageQuotas;
}

/** Glance's image operations; every method may throw the errors in errors.ts. */
export class ImageAPI {
  readonly #db: Kysely<ImageDB>;
  readonly #store: FileStore;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #log: Logger;
  readonly #quotas: ImageQuotas;

  constructor(deps: ImageAPIDeps) {
    this.#db = deps.db;
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#random = deps.random;
    this.#log = deps.log;
    this.#quotas = deps.quotas ?? DEFAULT_IMAGE_QUOTAS;
  }

  /** glance's _enforce_image_tag_quota on a whole tag set; throws ImageTagLimitExceeded. */
  #checkTagQuota(tags: readonly string[]): void {
    const max = this.#quotas.imageTagQuota;
    if (max >= 0 && tags.length > max) throw new ImageTagLimitExceeded(tags.length, max);
  }

  /** Creates a queued image owned by the caller's project unless an admin names another owner. */
  async create(ctx: RequestContext, input: CreateImageInput): Promise<Image> {
    const owner = input.core.owner ?? ctx.projectId;
    if (owner !== ctx.projectId && !ctx.isAdmin) throw new ForeignOwnerForbidden(owner);
    // glance's domain default is "shared"; the policy target defaults to "private".
    const visibility: Visibility = input.core.visibility ?? 'shared';
    if (input.core.visibility) enforceVisibility(ctx, visibility);
    const now = this.#clock.now();
    const image: Image = {
      id: input.id ?? this.#random.uuid(),
      name: input.core.name ?? null,
      status: 'queued',
      visibility,
      protected: input.core.protected ?? false,
      osHidden: input.core.osHidden ?? false,
      owner,
      diskFormat: input.core.diskFormat ?? null,
      containerFormat: input.core.containerFormat ?? null,
      size: null,
      virtualSize: null,
      checksum: null,
      osHashAlgo: null,
      osHashValue: null,
      minDisk: input.core.minDisk ?? 0,
      minRam: input.core.minRam ?? 0,
      createdAt: now,
      updatedAt: now,
      properties: { ...input.properties },
      tags: [...new Set(input.tags)],
    };
    this.#checkTagQuota(image.tags);
    try {
      await this.#db.transaction().execute((tx) => repo.insertImage(tx, image));
    } catch (e) {
      if (isUniqueViolation(e)) throw new ImageIdConflict(image.id);
      throw e;
    }
    return image;
  }

  /** The image if the caller may see it; throws ImageNotFound otherwise. */
  async get(ctx: RequestContext, id: string): Promise<Image> {
    const image = await repo.getImage(this.#db, id);
    if (!image || !(await this.#visible(ctx, image))) throw new ImageNotFound(id);
    return image;
  }

  #visible(ctx: RequestContext, image: Image): Promise<boolean> {
    return canSee(ctx, image, async () => (await repo.getMember(this.#db, image.id, ctx.projectId)) !== undefined);
  }

  /** A page of visible images and, when the page is full, the marker of the next one. */
  async list(ctx: RequestContext, q: ListImagesQuery): Promise<{ images: Image[]; nextMarker?: string }> {
    const keys = [...q.sortKeys];
    const dirs = q.sortKeys.map((_, i) => q.sortDirs[i] ?? q.sortDirs[0] ?? 'desc');
    // glance's paginate_query makes the order total with created_at and id.
    for (const k of ['created_at', 'id'] as const) {
      if (!keys.includes(k)) {
        keys.push(k);
        dirs.push('desc');
      }
    }
    const cmp = comparator(keys, dirs);
    // Sorted here, not in SQL, so NULL placement and collation are the same on every dialect.
    const viewer = { projectId: ctx.projectId, isAdmin: ctx.isAdmin, memberStatus: q.memberStatus };
    const all = (await repo.findImages(this.#db, viewer, q.filters)).sort(cmp);
    let start = 0;
    if (q.marker !== undefined) {
      const marker = await repo.getImage(this.#db, q.marker);
      if (!marker || !(await this.#visible(ctx, marker))) throw httpBadRequest(`No image found with ID ${q.marker}`);
      start = all.findIndex((i) => cmp(i, marker) > 0);
      if (start < 0) start = all.length;
    }
    const images = all.slice(start, start + q.limit);
    const full = q.limit > 0 && images.length === q.limit;
    return full ? { images, nextMarker: images[images.length - 1]!.id } : { images };
  }

  /** Applies JSON-patch changes in order and saves once (glance's update). */
  async update(ctx: RequestContext, id: string, changes: ImageChange[]): Promise<Image> {
    const image = await this.get(ctx, id);
    if (changes.length === 0) return image;
    checkMutable(ctx, image);
    for (const change of changes) this.#apply(ctx, image, change);
    image.updatedAt = this.#clock.now();
    await this.#db.transaction().execute((tx) => repo.saveImage(tx, image));
    return image;
  }

  #apply(ctx: RequestContext, image: Image, change: ImageChange): void {
    const key = change.path;
    if (change.op === 'remove') {
      if (isMutableAttribute(key)) throw new PropertyNotRemovable(key);
      if (!Object.hasOwn(image.properties, key)) throw new PropertyNotFound(key);
      delete image.properties[key];
      return;
    }
    if (change.op === 'add' && change.draft === 4 && (isMutableAttribute(key) || Object.hasOwn(image.properties, key))) {
      throw new PropertyAlreadyPresent(key);
    }
    if (!isMutableAttribute(key)) {
      if (change.op === 'replace' && !Object.hasOwn(image.properties, key)) throw new PropertyNotFound(key);
      image.properties[key] = change.value as string;
      return;
    }
    if (key === 'owner' && change.op === 'replace' && !ctx.isAdmin) throw new OwnerChangeForbidden();
    if (key === 'visibility') enforceVisibility(ctx, change.value as Visibility);
    if ((key === 'disk_format' || key === 'container_format') && image.status !== 'queued') {
      throw new FormatNotReplaceable(key);
    }
    const field = MUTABLE_ATTRIBUTES[key];
    if (field === 'tags') {
      image.tags = [...new Set(change.value as string[])];
      this.#checkTagQuota(image.tags);
    } else (image as unknown as Record<string, unknown>)[field] = change.value;
  }

  /**
   * PUT /v2/images/{id}/tags/{tag}: adds a tag (present already: saved unchanged, as
   * glance's set add) within image_tag_quota. The tag is validated by the caller.
   */
  async addTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    const image = await this.lookup(ctx, id);
    try {
      checkMutable(ctx, image);
    } catch {
      throw new TagChangeForbidden('update', id);
    }
    if (!image.tags.includes(tag)) image.tags.push(tag);
    const max = this.#quotas.imageTagQuota;
    if (max >= 0 && image.tags.length > max) throw new ImageTagLimitExceededForImage(id, image.tags.length, max);
    image.updatedAt = this.#clock.now();
    await this.#db.transaction().execute((tx) => repo.saveImage(tx, image));
  }

  /** DELETE /v2/images/{id}/tags/{tag}: removes a tag; 404 (webob's bare text) when the image lacks it. */
  async deleteTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    const image = await this.lookup(ctx, id);
    try {
      checkMutable(ctx, image);
    } catch {
      throw new TagChangeForbidden('delete', id);
    }
    if (!image.tags.includes(tag)) throw httpNotFound('The resource could not be found.');
    image.tags = image.tags.filter((t) => t !== tag);
    image.updatedAt = this.#clock.now();
    await this.#db.transaction().execute((tx) => repo.saveImage(tx, image));
  }

  /** The image if the caller may see it; throws ImageLookupNotFound (the tag and member routes' 404). */
  async lookup(ctx: RequestContext, id: string): Promise<Image> {
    try {
      return await this.get(ctx, id);
    } catch (e) {
      if (e instanceof ImageNotFound) throw new ImageLookupNotFound(id);
      throw e;
    }
  }

  /** Deletes an image and its data; refuses protected images and images of other projects. */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    const image = await repo.getImage(this.#db, id);
    if (!image || !(await this.#visible(ctx, image))) throw new ImageToDeleteNotFound(id);
    checkMutable(ctx, image);
    if (image.protected) throw new ProtectedImageDelete(id);
    await this.#db.transaction().execute((tx) => repo.deleteImage(tx, id));
    await this.#store.delete(id);
  }

  /**
   * Stores the image's data: queued → saving → active with size and hashes. A failed
   * stream puts the image back to queued (glance's _restore); an image deleted meanwhile
   * loses the data and answers 410.
   */
  async upload(ctx: RequestContext, id: string, data: Readable): Promise<Image> {
    const image = await this.get(ctx, id);
    try {
      checkMutable(ctx, image);
    } catch {
      throw new UploadForbidden(id);
    }
    const saving = await repo.transitionImage(this.#db, id, 'queued', { status: 'saving', updated_at: this.#iso() });
    if (!saving) {
      const now = await repo.getImage(this.#db, id);
      if (!now) throw new ImageNotFound(id);
      throw new InvalidImageStatusTransition(now.status, 'saving');
    }
    let stored;
    try {
      stored = await this.#store.write(id, data);
    } catch (e) {
      await repo.transitionImage(this.#db, id, 'saving', { status: 'queued', updated_at: this.#iso() });
      throw e;
    }
    const fields = {
      status: 'active',
      size: stored.size,
      virtual_size: virtualSize(image.diskFormat, stored.size, stored.head),
      checksum: stored.md5,
      os_hash_algo: 'sha512',
      os_hash_value: stored.sha512,
      updated_at: this.#iso(),
    };
    if (!(await repo.transitionImage(this.#db, id, 'saving', fields))) {
      await this.#store.delete(id);
      throw new ImageGoneDuringUpload(id);
    }
    this.#log.info({ image: id, size: stored.size }, 'image data stored');
    return (await repo.getImage(this.#db, id))!;
  }

  /** The image and a stream of its data (none for an image without data). */
  async download(ctx: RequestContext, id: string): Promise<ImageDownload> {
    const image = await this.get(ctx, id);
    if (image.status === 'deactivated' && !ctx.isAdmin) throw new DeactivatedDownloadForbidden();
    const data = await this.#store.open(id);
    return data ? { image, data } : { image };
  }

  /**
   * Hides an active image's data from non-admins. Zed's deactivate policy passes under
   * the legacy defaults, so glance's check_is_image_mutable decides: admins and the owner.
   */
  async deactivate(ctx: RequestContext, id: string): Promise<void> {
    await this.#setActivation(ctx, id, 'deactivate', 'active', 'deactivated');
  }

  /** Makes a deactivated image downloadable again. */
  async reactivate(ctx: RequestContext, id: string): Promise<void> {
    await this.#setActivation(ctx, id, 'reactivate', 'deactivated', 'active');
  }

  async #setActivation(
    ctx: RequestContext,
    id: string,
    action: 'deactivate' | 'reactivate',
    from: 'active' | 'deactivated',
    to: 'active' | 'deactivated',
  ): Promise<void> {
    const image = await this.get(ctx, id);
    checkMutable(ctx, image);
    if (image.status === to) return;
    if (image.status !== from || !(await repo.transitionImage(this.#db, id, from, { status: to, updated_at: this.#iso() }))) {
      throw new ActionNotAllowedInStatus(action, image.status);
    }
  }

  #iso(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}

function comparator(keys: SortKey[], dirs: ('asc' | 'desc')[]): (a: Image, b: Image) => number {
  return (a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const f = SORT_FIELD[keys[i]!];
      const x = a[f] as string | number | null;
      const y = b[f] as string | number | null;
      let c = 0;
      if (x === y) c = 0;
      else if (x === null) c = -1; // NULLs first ascending, as SQLite and MySQL order them
      else if (y === null) c = 1;
      else c = x < y ? -1 : 1;
      if (c !== 0) return dirs[i] === 'desc' ? -c : c;
    }
    return 0;
  };
}
