/**
 * Who may see and change an image, as glance Zed's default (legacy) policies and its
 * owner checks decide. There are no image members, so a shared image is visible only to
 * its owner (and admins).
 */
import type { RequestContext } from '../common/auth.js';
import { ImageNotMutable, PolicyForbidden } from './errors.js';
import type { Image, Visibility } from './model.js';

/** glance's is_image_visible: admins see all; others public, community and their own. */
export function canSee(ctx: RequestContext, image: Image): boolean {
  if (ctx.isAdmin) return true;
  if (image.visibility === 'public' || image.visibility === 'community') return true;
  return image.owner !== null && image.owner === ctx.projectId;
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
