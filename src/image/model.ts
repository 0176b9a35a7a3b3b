/**
 * The image domain: glance's Image as one typed record, its enumerations and the
 * mapping between wire attribute names and domain fields. Wire and row shapes are
 * converted in http/view.ts and db/image-repo.ts respectively.
 */

/** Image statuses glance knows (its schema's enum); Nimbus moves through queued, saving, active, deactivated. */
export const ImageStatus = {
  queued: 'queued',
  saving: 'saving',
  active: 'active',
  killed: 'killed',
  deleted: 'deleted',
  uploading: 'uploading',
  importing: 'importing',
  pending_delete: 'pending_delete',
  deactivated: 'deactivated',
} as const;
export type ImageStatus = (typeof ImageStatus)[keyof typeof ImageStatus];

/** Who may see an image. */
export const Visibility = { public: 'public', community: 'community', shared: 'shared', private: 'private' } as const;
export type Visibility = (typeof Visibility)[keyof typeof Visibility];

/** glance's default [image_format] disk_formats. */
export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'] as const;
/** glance's default [image_format] container_formats. */
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;

/** One image with its extra properties and tags; times are epoch milliseconds. */
export interface Image {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: Visibility;
  protected: boolean;
  osHidden: boolean;
  owner: string | null;
  diskFormat: string | null;
  containerFormat: string | null;
  size: number | null;
  virtualSize: number | null;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  minDisk: number;
  minRam: number;
  createdAt: number;
  updatedAt: number;
  /** Free-form string properties (glance's extra_properties), e.g. owner_specified.openstack.md5. */
  properties: Record<string, string>;
  tags: string[];
}

/** The core attributes a client may set, by wire name, with their domain field. */
export const MUTABLE_ATTRIBUTES = {
  name: 'name',
  visibility: 'visibility',
  protected: 'protected',
  os_hidden: 'osHidden',
  owner: 'owner',
  disk_format: 'diskFormat',
  container_format: 'containerFormat',
  min_disk: 'minDisk',
  min_ram: 'minRam',
  tags: 'tags',
} as const satisfies Record<string, keyof Image>;
export type MutableAttribute = keyof typeof MUTABLE_ATTRIBUTES;

/** The settable core attributes of an image, in domain form. */
export type ImageCore = Pick<Image, (typeof MUTABLE_ATTRIBUTES)[MutableAttribute]>;

/** True when `key` is a core attribute a client may set (not an extra property). */
export function isMutableAttribute(key: string): key is MutableAttribute {
  return Object.hasOwn(MUTABLE_ATTRIBUTES, key);
}

/** Attributes glance refuses to let a client write ("Attribute '%s' is read-only."). */
export const READONLY_ATTRIBUTES = [
  'created_at', 'updated_at', 'status', 'checksum', 'size', 'virtual_size', 'direct_url',
  'self', 'file', 'schema', 'id', 'os_hash_algo', 'os_hash_value',
] as const;
/** Attributes a create body may not carry at all (checked before the schema). */
export const DISALLOWED_ON_CREATE = ['direct_url', 'self', 'file', 'schema', 'stores'] as const;
/** Attribute names glance reserves ("Attribute '%s' is reserved."). */
export const RESERVED_ATTRIBUTES = ['location', 'deleted', 'deleted_at'] as const;
/** Property name prefix glance reserves for itself. */
export const RESERVED_NAMESPACE = 'os_glance';

/** A membership's state as the member project sets it. */
export const MemberStatus = { pending: 'pending', accepted: 'accepted', rejected: 'rejected' } as const;
export type MemberStatus = (typeof MemberStatus)[keyof typeof MemberStatus];

/** True when `s` is a status a membership may take. */
export function isMemberStatus(s: unknown): s is MemberStatus {
  return typeof s === 'string' && Object.hasOwn(MemberStatus, s);
}

/** One project a shared image is offered to (glance's ImageMembership); times are epoch milliseconds. */
export interface ImageMember {
  imageId: string;
  memberId: string;
  status: MemberStatus;
  createdAt: number;
  updatedAt: number;
}

/** glance's defaults for image_member_quota and image_tag_quota; a negative value means unlimited. */
export interface ImageQuotas {
  imageMemberQuota: number;
  imageTagQuota: number;
}
export const DEFAULT_IMAGE_QUOTAS: ImageQuotas = { imageMemberQuota: 128, imageTagQuota: 128 };
