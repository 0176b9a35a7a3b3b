/**
 * Who may see and change an image, as glance Zed's default (legacy) policies and its
 * owner checks decide: a shared image is visible to its owner, admins and its members.
 */
import type { RequestContext } from '../common/auth.js';
import { ImageNotMutable, PolicyForbidden } from './errors.js';
import type { Image, Visibility } from './model.js';

/**
 * glance's is_image_visible: admins see all, and everyone sees an image without owner,
 * public and community images and their own; a shared image also its members, whatever
 * their status (`isMember` is only asked for then, as it costs a query).
 */
export async function canSee(ctx: RequestContext, image: Image, isMember: () => Promise<boolean>): Promise<boolean> {
  if (ctx.isAdmin || image.owner === null) return true;
  if (image.visibility === 'public' || image.visibility === 'community') return true;
  if (image.owner === ctx.projectId) return true;
  return image.visibility === 'shared' && (await isMember());
}

/** check_is_image_mutable: only admins and the owning project change an image; throws ImageNotMutable. */
export function checkMutable(ctx: RequestContext, image: Image): void {
  if (ctx.isAdmin) return;
  if (image.owner === null || image.owner !== ctx.projectId) throw new ImageNotMutable();
}

/** publicize_image is admin-only; community, shared and private are open to members. */
export function enforceVisibility(ctx: RequestContext, visibility: Visibility): void {
  if (visibility === 'public' && !ctx.isAdmin) throw new PolicyForbidden('publicize_image');
}
