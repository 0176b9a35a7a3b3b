/**
 * Glance's errors, one class per message, with glance's own text. Most are raised in
 * glance as `webob.exc.HTTPXxx(explanation=msg)`; the few raised as `HTTPXxx(msg)` put the
 * text in webob's *detail* instead, after the status's stock explanation, and set
 * `detail` here so http/faults.ts renders them the same way.
 */
import { BadRequest, Conflict, NotAuthorized, NotFound, OpenStackError } from '../common/errors.js';

/** An image the caller may not see or that does not exist (show, update, upload, download). */
export class ImageNotFound extends NotFound {
  static override readonly wireType: string = 'ImageNotFound';
  constructor(id: string) {
    super(`No image found with ID ${id}`);
  }
}

/** DELETE of an image the caller may not see or that does not exist. */
export class ImageToDeleteNotFound extends NotFound {
  static override readonly wireType: string = 'ImageToDeleteNotFound';
  constructor(id: string) {
    super(`Failed to find image ${id} to delete`);
  }
}

/** DELETE of an image whose `protected` is true. */
export class ProtectedImageDelete extends NotAuthorized {
  static override readonly wireType: string = 'ProtectedImageDelete';
  constructor(id: string) {
    super(`Image ${id} is protected and cannot be deleted.`);
  }
}

/** A change to an image the caller can see but does not own (glance's legacy owner check). */
export class ImageNotMutable extends NotAuthorized {
  static override readonly wireType: string = 'ImageNotMutable';
  constructor() {
    super('You do not own this image');
  }
}

/** A policy rule (publicize_image, deactivate...) refused the caller. */
export class PolicyForbidden extends NotAuthorized {
  static override readonly wireType: string = 'PolicyForbidden';
  constructor(action: string) {
    super(`You are not authorized to complete ${action} action.`);
  }
}

/** Creating an image for another project without admin. */
export class ForeignOwnerForbidden extends NotAuthorized {
  static override readonly wireType: string = 'ForeignOwnerForbidden';
  constructor(owner: string) {
    super(`You are not permitted to create images owned by '${owner}'`);
    this.detail = this.message;
  }
}

/** A read-only attribute in a create body or a patch path. */
export class ReadonlyAttribute extends NotAuthorized {
  static override readonly wireType: string = 'ReadonlyAttribute';
  constructor(key: string) {
    super(`Attribute '${key}' is read-only.`);
  }
}

/** A reserved attribute or os_glance* property; glance raises it positionally on create. */
export class ReservedAttribute extends NotAuthorized {
  static override readonly wireType: string = 'ReservedAttribute';
  constructor(key: string, asDetail: boolean) {
    super(`Attribute '${key}' is reserved.`);
    if (asDetail) this.detail = this.message;
  }
}

/** Removing a core attribute with a patch. */
export class PropertyNotRemovable extends NotAuthorized {
  static override readonly wireType: string = 'PropertyNotRemovable';
  constructor(key: string) {
    super(`Property ${key} may not be removed.`);
    this.detail = this.message;
  }
}

/** Replacing or removing an extra property the image does not have. */
export class PropertyNotFound extends Conflict {
  static override readonly wireType: string = 'PropertyNotFound';
  constructor(key: string) {
    super(`Property ${key} does not exist.`);
  }
}

/** Adding (JSON-patch draft 4) a property that exists. */
export class PropertyAlreadyPresent extends Conflict {
  static override readonly wireType: string = 'PropertyAlreadyPresent';
  constructor(key: string) {
    super(`Property ${key} already present.`);
  }
}

/** A non-admin replacing `owner`. */
export class OwnerChangeForbidden extends NotAuthorized {
  static override readonly wireType: string = 'OwnerChangeForbidden';
  constructor() {
    super("Owner can't be updated by non admin.");
    this.detail = this.message;
  }
}

/** Data upload to an image the caller can see but may not change. */
export class UploadForbidden extends NotAuthorized {
  static override readonly wireType: string = 'UploadForbidden';
  constructor(id: string) {
    super(`Not allowed to upload image data for image ${id}`);
  }
}

/** Data download of a deactivated image by a non-admin. */
export class DeactivatedDownloadForbidden extends NotAuthorized {
  static override readonly wireType: string = 'DeactivatedDownloadForbidden';
  constructor() {
    super('The requested image has been deactivated. Image data download is forbidden.');
  }
}

/** A status change the image's state machine forbids (upload to an active image...). */
export class InvalidImageStatusTransition extends Conflict {
  static override readonly wireType: string = 'InvalidImageStatusTransition';
  constructor(from: string, to: string) {
    super(`Image status transition from ${from} to ${to} is not allowed`);
  }
}

/** A body that fails the image schema; `reason` is jsonschema's first line. */
export class InvalidObject extends BadRequest {
  static override readonly wireType: string = 'InvalidObject';
  constructor(schema: string, reason: string) {
    super(`Provided object does not match schema '${schema}': ${reason}`);
  }
}

/**
 * Unsupported request Content-Type. webob's 415 ignores the explanation and always
 * names the request's media type; `acceptPatch` is sent as Accept-Patch on PATCH.
 */
export class UnsupportedMediaType extends OpenStackError {
  static override readonly wireType: string = 'UnsupportedMediaType';
  override readonly status: number = 415;
  constructor(
    contentType: string,
    readonly acceptPatch?: string,
  ) {
    super(`The request media type ${contentType} is not supported by this server.`);
  }
}

/** Changing disk_format or container_format once data has been uploaded. */
export class FormatNotReplaceable extends NotAuthorized {
  static override readonly wireType: string = 'FormatNotReplaceable';
  constructor(attribute: 'disk_format' | 'container_format') {
    super(`Attribute ${attribute} can be only replaced for a queued image.`);
  }
}

/** deactivate/reactivate from a status that does not allow it. */
export class ActionNotAllowedInStatus extends NotAuthorized {
  static override readonly wireType: string = 'ActionNotAllowedInStatus';
  constructor(action: 'deactivate' | 'reactivate', status: string) {
    super(`Not allowed to ${action} image in status '${status}'`);
  }
}

/** The image vanished while its data was being written. */
export class ImageGoneDuringUpload extends OpenStackError {
  static override readonly wireType: string = 'ImageGoneDuringUpload';
  override readonly status: number = 410;
  constructor(id: string) {
    super(
      `Image ${id} could not be found after upload. The image may have been deleted during the upload, cleaning up the chunks uploaded.`,
    );
  }
}

/** Creating an image with an id that exists (glance's Duplicate → 409). */
export class ImageIdConflict extends Conflict {
  static override readonly wireType: string = 'ImageIdConflict';
  constructor(id: string) {
    super(`Image ID ${id} already exists!`);
  }
}

/** glance's webob 413 (quota refusals); there is no shared base class for it. */
export class RequestEntityTooLarge extends OpenStackError {
  static override readonly wireType: string = 'RequestEntityTooLarge';
  override readonly status: number = 413;
}

/** Tag and member routes' own lookup of an image the caller may not see ("Image %s not found."). */
export class ImageLookupNotFound extends NotFound {
  static override readonly wireType: string = 'ImageLookupNotFound';
  constructor(id: string) {
    super(`Image ${id} not found.`);
  }
}

/** PUT/DELETE /v2/images/{id}/tags/{tag} on an image the caller does not own. */
export class TagChangeForbidden extends NotAuthorized {
  static override readonly wireType: string = 'TagChangeForbidden';
  constructor(action: 'update' | 'delete', id: string) {
    super(`Not allowed to ${action} tags for image ${id}.`);
  }
}

/** More tags than image_tag_quota (create and PATCH show glance's bare quota message). */
export class ImageTagLimitExceeded extends RequestEntityTooLarge {
  static override readonly wireType: string = 'ImageTagLimitExceeded';
  constructor(attempted: number, maximum: number) {
    super(`The limit has been exceeded on the number of allowed image tags. Attempted: ${attempted}, Maximum: ${maximum}`);
  }
}

/** PUT of one tag past image_tag_quota: the tag controller wraps the quota message (trailing colon included). */
export class ImageTagLimitExceededForImage extends RequestEntityTooLarge {
  static override readonly wireType: string = 'ImageTagLimitExceededForImage';
  constructor(id: string, attempted: number, maximum: number) {
    super(`Image tag limit exceeded for image ${id}: ${new ImageTagLimitExceeded(attempted, maximum).message}:`);
  }
}

/** Creating, updating or deleting a membership the rules refuse (not shared, not the owner, the owner accepting). */
export class MemberChangeForbidden extends NotAuthorized {
  static override readonly wireType: string = 'MemberChangeForbidden';
  constructor(action: 'create' | 'update' | 'delete', id: string) {
    super(`Not allowed to ${action} members for image ${id}.`);
  }
}

/** Listing the members of an image that is not shared. */
export class MemberListForbidden extends NotAuthorized {
  static override readonly wireType: string = 'MemberListForbidden';
  constructor(id: string) {
    super(`Not allowed to list members for image ${id}: Only shared images have members.`);
  }
}

/** GET of one member of an image that is not shared: glance turns its Forbidden into 404. */
export class OnlySharedImagesHaveMembers extends NotFound {
  static override readonly wireType: string = 'OnlySharedImagesHaveMembers';
  constructor() {
    super('Only shared images have members.');
  }
}

/** A member the caller cannot see on this image (another project's membership, or none). */
export class MemberNotFound extends NotFound {
  static override readonly wireType: string = 'MemberNotFound';
  constructor(memberId: string, imageId: string) {
    super(`${memberId} not found in the member list of the image ${imageId}.`);
  }
}

/** Adding a project that is already a member. */
export class MemberDuplicated extends Conflict {
  static override readonly wireType: string = 'MemberDuplicated';
  constructor(memberId: string, imageId: string) {
    super(`Member ${memberId} is duplicated for image ${imageId}`);
  }
}

/** More members than image_member_quota; the trailing colon is glance's. */
export class ImageMemberLimitExceeded extends RequestEntityTooLarge {
  static override readonly wireType: string = 'ImageMemberLimitExceeded';
  constructor(id: string, attempted: number, maximum: number) {
    super(
      `Image member limit exceeded for image ${id}: The limit has been exceeded on the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${maximum}:`,
    );
  }
}

/** A member status outside pending/accepted/rejected (ImageMembership's ValueError). */
export class InvalidMemberStatus extends BadRequest {
  static override readonly wireType: string = 'InvalidMemberStatus';
  constructor() {
    super('Incorrect request: Status must be "pending", "accepted" or "rejected".');
  }
}

/**
 * A known URL with a method glance's mapper routes to its RejectMethodController: webob's
 * 405 names the request method; `allow` is sent as the Allow header.
 */
export class MethodNotAllowed extends OpenStackError {
  static override readonly wireType: string = 'MethodNotAllowed';
  override readonly status: number = 405;
  constructor(
    method: string,
    readonly allow: string,
  ) {
    super(`The method ${method} is not allowed for this resource.`);
  }
}
