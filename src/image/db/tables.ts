/**
 * glance's tables as Kysely row types: images, image_properties, image_tags, image_members. Booleans
 * are 0/1 integers and times ISO-8601 text with milliseconds (sortable as text), as
 * src/db/database.ts requires for portability. Deleted images are removed, not kept
 * with glance's deleted flag.
 */

export interface ImageRow {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  protected: number;
  os_hidden: number;
  owner: string | null;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  min_disk: number;
  min_ram: number;
  created_at: string;
  updated_at: string;
}

/** One extra property (glance's image_properties); values are strings per the schema. */
export interface ImagePropertyRow {
  image_id: string;
  name: string;
  value: string;
}

export interface ImageTagRow {
  image_id: string;
  value: string;
}

/** One membership of a shared image (glance's image_members, without its deleted flag). */
export interface ImageMemberRow {
  image_id: string;
  member: string;
  status: string;
  created_at: string;
  updated_at: string;
}

/** A metadef namespace (glance's metadef_namespaces). */
export interface MetadefNamespaceRow {
  namespace: string;
  display_name: string | null;
  description: string | null;
  visibility: string;
  protected: number;
  owner: string | null;
  created_at: string;
  updated_at: string;
}

/** A resource type (metadef_resource_types); seeded ones are protected. */
export interface MetadefResourceTypeRow {
  name: string;
  protected: number;
  created_at: string;
  updated_at: string;
}

/**
 * What a namespace holds: objects, properties, tags and resource type associations,
 * one row each, told apart by `kind`; `body` is the JSON of the fields besides the name
 * (an object's description/required/properties, a property's schema, an association's
 * prefix/properties_target).
 */
export interface MetadefItemRow {
  namespace: string;
  kind: string;
  name: string;
  body: string;
  created_at: string;
  updated_at: string;
}

/** The image service's database. */
export interface ImageDB {
  images: ImageRow;
  image_properties: ImagePropertyRow;
  image_tags: ImageTagRow;
  image_members: ImageMemberRow;
  metadef_namespaces: MetadefNamespaceRow;
  metadef_resource_types: MetadefResourceTypeRow;
  metadef_items: MetadefItemRow;
}
