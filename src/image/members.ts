/**
 * Image members: the projects a shared image is offered to, as glance's
 * ImageMembersController decides under Zed's default (legacy) policies. The owner (or an
 * admin) adds and removes members; a member (or an admin) accepts, rejects or resets its
 * own membership; only `shared` images have members. Each refusal carries the text of the
 * controller's own wrapper, which differs per operation.
 */
import type { Kysely } from 'kysely';
import type { RequestContext } from '../common/auth.js';
import type { Clock } from '../common/clock.js';
import { isUniqueViolation } from '../db/database.js';
import type { ImageAPI } from './api.js';
import * as repo from './db/image-repo.js';
import type { ImageDB } from './db/tables.js';
import {
  ImageMemberLimitExceeded,
  InvalidMemberStatus,
  MemberChangeForbidden,
  MemberDuplicated,
  MemberListForbidden,
  MemberNotFound,
  OnlySharedImagesHaveMembers,
} from './errors.js';
import { DEFAULT_IMAGE_QUOTAS, isMemberStatus, type Image, type ImageMember, type ImageQuotas } from './model.js';

export interface ImageMemberAPIDeps {
  db: Kysely<ImageDB>;
  clock: Clock;
  /** Looks images up with glance's visibility rules. */
  images: ImageAPI;
  /** Member quota; glance's default (128) when absent. */
  quotas?: ImageQuotas;
}

/** glance's image member operations; every method may throw the errors in errors.ts. */
export class ImageMemberAPI {
  readonly #db: Kysely<ImageDB>;
  readonly #clock: Clock;
  readonly #images: ImageAPI;
  readonly #quotas: ImageQuotas;

  constructor(deps: ImageMemberAPIDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#images = deps.images;
    this.#quotas = deps.quotas ?? DEFAULT_IMAGE_QUOTAS;
  }

  /**
   * Offers a shared image to `memberId` (status pending). Only the owner or an admin;
   * image_member_quota counts every existing membership; a second offer is 409.
   */
  async create(ctx: RequestContext, imageId: string, memberId: string): Promise<ImageMember> {
    const image = await this.#images.lookup(ctx, imageId);
    if (image.visibility !== 'shared' || !isOwnerOrAdmin(ctx, image)) throw new MemberChangeForbidden('create', imageId);
    const max = this.#quotas.imageMemberQuota;
    if (max >= 0) {
      const attempted = (await repo.countMembers(this.#db, imageId)) + 1;
      if (attempted > max) throw new ImageMemberLimitExceeded(imageId, attempted, max);
    }
    const now = this.#clock.now();
    const member: ImageMember = { imageId, memberId, status: 'pending', createdAt: now, updatedAt: now };
    try {
      await repo.insertMember(this.#db, member);
    } catch (e) {
      if (isUniqueViolation(e)) throw new MemberDuplicated(memberId, imageId);
      throw e;
    }
    return member;
  }

  /**
   * The memberships the caller may see: all of them for the owner and admins, only its
   * own for a member (glance's image_member_find filters by owner or member).
   */
  async list(ctx: RequestContext, imageId: string): Promise<ImageMember[]> {
    const image = await this.#images.lookup(ctx, imageId);
    if (image.visibility !== 'shared') throw new MemberListForbidden(imageId);
    return repo.listMembers(this.#db, imageId, isOwnerOrAdmin(ctx, image) ? undefined : ctx.projectId);
  }

  /** One membership; glance hides "not shared" behind a 404. */
  async get(ctx: RequestContext, imageId: string, memberId: string): Promise<ImageMember> {
    const image = await this.#images.lookup(ctx, imageId);
    if (image.visibility !== 'shared') throw new OnlySharedImagesHaveMembers();
    return this.#find(ctx, image, memberId);
  }

  /**
   * Sets a membership's status. The owner may not (unless admin): accepting is the
   * member's decision. `status` is unchecked input; anything but the three states is 400.
   */
  async update(ctx: RequestContext, imageId: string, memberId: string, status: unknown): Promise<ImageMember> {
    const image = await this.#images.lookup(ctx, imageId);
    if (image.visibility !== 'shared' || (!ctx.isAdmin && image.owner === ctx.projectId)) {
      throw new MemberChangeForbidden('update', imageId);
    }
    const member = await this.#find(ctx, image, memberId);
    if (!isMemberStatus(status)) throw new InvalidMemberStatus();
    const now = this.#clock.now();
    if (!(await repo.updateMemberStatus(this.#db, imageId, memberId, status, now))) throw new MemberNotFound(memberId, imageId);
    return { ...member, status, updatedAt: now };
  }

  /** Withdraws a membership; only the owner or an admin. */
  async delete(ctx: RequestContext, imageId: string, memberId: string): Promise<void> {
    const image = await this.#images.lookup(ctx, imageId);
    if (image.visibility !== 'shared' || !isOwnerOrAdmin(ctx, image)) throw new MemberChangeForbidden('delete', imageId);
    await this.#find(ctx, image, memberId);
    if (!(await repo.deleteMember(this.#db, imageId, memberId))) throw new MemberNotFound(memberId, imageId);
  }

  /** A membership the caller may see (owner and admins: any; others: their own), else MemberNotFound. */
  async #find(ctx: RequestContext, image: Image, memberId: string): Promise<ImageMember> {
    const visible = isOwnerOrAdmin(ctx, image) || memberId === ctx.projectId;
    const member = visible ? await repo.getMember(this.#db, image.id, memberId) : undefined;
    if (!member) throw new MemberNotFound(memberId, image.id);
    return member;
  }
}

function isOwnerOrAdmin(ctx: RequestContext, image: Image): boolean {
  return ctx.isAdmin || (image.owner !== null && image.owner === ctx.projectId);
}
