/**
 * The wire form of an image, in glance's key order: extra properties first, then the
 * core attributes, links and (once it has data) the store holding it.
 */
import { isoSeconds } from '../../common/clock.js';
import type { Image, ImageMember } from '../model.js';
import { STORE_ID } from '../store/file-store.js';

/** An image as GET /v2/images/{id} answers it. */
export function imageView(i: Image): Record<string, unknown> {
  const self = `/v2/images/${i.id}`;
  const view: Record<string, unknown> = {
    ...i.properties,
    name: i.name,
    disk_format: i.diskFormat,
    container_format: i.containerFormat,
    visibility: i.visibility,
    size: i.size,
    virtual_size: i.virtualSize,
    status: i.status,
    checksum: i.checksum,
    protected: i.protected,
    min_ram: i.minRam,
    min_disk: i.minDisk,
    owner: i.owner,
    os_hidden: i.osHidden,
    os_hash_algo: i.osHashAlgo,
    os_hash_value: i.osHashValue,
    id: i.id,
    created_at: isoSeconds(i.createdAt),
    updated_at: isoSeconds(i.updatedAt),
    tags: [...i.tags],
    self,
    file: `${self}/file`,
    schema: '/v2/schemas/image',
  };
  // glance lists stores from the image's locations; only images with data have one.
  if (i.checksum !== null) view.stores = STORE_ID;
  return view;
}

/** A membership as glance's member serializer writes it. */
export function memberView(m: ImageMember): Record<string, unknown> {
  return {
    member_id: m.memberId,
    image_id: m.imageId,
    status: m.status,
    created_at: isoSeconds(m.createdAt),
    updated_at: isoSeconds(m.updatedAt),
    schema: '/v2/schemas/member',
  };
}
