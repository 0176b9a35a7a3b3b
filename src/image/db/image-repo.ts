/**
 * Every statement on the image tables. Functions take the Kysely handle (or a
 * transaction) so callers decide atomicity; rows are converted to the domain Image here
 * and nowhere else.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { fromBool, toBool } from '../../db/database.js';
import type { Image, ImageMember, ImageStatus, MemberStatus, Visibility } from '../model.js';
import type { ImageDB, ImageMemberRow, ImageRow } from './tables.js';

type Q = Kysely<ImageDB> | Transaction<ImageDB>;

const iso = (ms: number) => new Date(ms).toISOString();

function toRow(i: Image): ImageRow {
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    visibility: i.visibility,
    protected: fromBool(i.protected),
    os_hidden: fromBool(i.osHidden),
    owner: i.owner,
    disk_format: i.diskFormat,
    container_format: i.containerFormat,
    size: i.size,
    virtual_size: i.virtualSize,
    checksum: i.checksum,
    os_hash_algo: i.osHashAlgo,
    os_hash_value: i.osHashValue,
    min_disk: i.minDisk,
    min_ram: i.minRam,
    created_at: iso(i.createdAt),
    updated_at: iso(i.updatedAt),
  };
}

function fromRow(r: ImageRow, properties: Record<string, string>, tags: string[]): Image {
  return {
    id: r.id,
    name: r.name,
    status: r.status as ImageStatus,
    visibility: r.visibility as Visibility,
    protected: toBool(r.protected),
    osHidden: toBool(r.os_hidden),
    owner: r.owner,
    diskFormat: r.disk_format,
    containerFormat: r.container_format,
    size: r.size === null ? null : Number(r.size),
    virtualSize: r.virtual_size === null ? null : Number(r.virtual_size),
    checksum: r.checksum,
    osHashAlgo: r.os_hash_algo,
    osHashValue: r.os_hash_value,
    minDisk: r.min_disk,
    minRam: r.min_ram,
    createdAt: Date.parse(r.created_at),
    updatedAt: Date.parse(r.updated_at),
    properties,
    tags,
  };
}

async function writeExtras(q: Q, image: Image): Promise<void> {
  const props = Object.entries(image.properties).map(([name, value]) => ({ image_id: image.id, name, value }));
  if (props.length) await q.insertInto('image_properties').values(props).execute();
  const tags = [...new Set(image.tags)].map((value) => ({ image_id: image.id, value }));
  if (tags.length) await q.insertInto('image_tags').values(tags).execute();
}

/** Inserts a new image with its properties and tags; call inside a transaction. */
export async function insertImage(q: Q, image: Image): Promise<void> {
  await q.insertInto('images').values(toRow(image)).execute();
  await writeExtras(q, image);
}

/** Replaces an image's row, properties and tags with `image` (glance's repo.save); call inside a transaction. */
export async function saveImage(q: Q, image: Image): Promise<void> {
  const { id, created_at: _c, ...rest } = toRow(image);
  await q.updateTable('images').set(rest).where('id', '=', id).execute();
  await q.deleteFrom('image_properties').where('image_id', '=', id).execute();
  await q.deleteFrom('image_tags').where('image_id', '=', id).execute();
  await writeExtras(q, image);
}

/** Columns a data upload or status action changes. */
export type ImageStateFields = Partial<
  Pick<ImageRow, 'status' | 'size' | 'virtual_size' | 'checksum' | 'os_hash_algo' | 'os_hash_value' | 'updated_at'>
>;

/**
 * Sets state columns only when the image is still in status `from` (a compare-and-set, so
 * two concurrent uploads cannot both move queued → saving); true when it matched.
 */
export async function transitionImage(q: Q, id: string, from: ImageStatus, fields: ImageStateFields): Promise<boolean> {
  const r = await q.updateTable('images').set(fields).where('id', '=', id).where('status', '=', from).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Removes an image and (by cascade and explicitly, for dialects without FK enforcement) its extras. */
export async function deleteImage(q: Q, id: string): Promise<void> {
  await q.deleteFrom('image_members').where('image_id', '=', id).execute();
  await q.deleteFrom('image_properties').where('image_id', '=', id).execute();
  await q.deleteFrom('image_tags').where('image_id', '=', id).execute();
  await q.deleteFrom('images').where('id', '=', id).execute();
}

async function hydrate(q: Q, rows: ImageRow[]): Promise<Image[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const props = new Map<string, Record<string, string>>();
  const tags = new Map<string, string[]>();
  // Chunked so the IN list stays under every dialect's parameter limit.
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    for (const p of await q.selectFrom('image_properties').selectAll().where('image_id', 'in', chunk).orderBy('name').execute()) {
      (props.get(p.image_id) ?? props.set(p.image_id, {}).get(p.image_id)!)[p.name] = p.value;
    }
    for (const t of await q.selectFrom('image_tags').selectAll().where('image_id', 'in', chunk).orderBy('value').execute()) {
      (tags.get(t.image_id) ?? tags.set(t.image_id, []).get(t.image_id)!).push(t.value);
    }
  }
  return rows.map((r) => fromRow(r, props.get(r.id) ?? {}, tags.get(r.id) ?? []));
}

/** One image by id, or undefined; visibility is the caller's business. */
export async function getImage(q: Q, id: string): Promise<Image | undefined> {
  if (id.length > 36) return undefined; // glance's _check_image_id: longer ids cannot exist
  const row = await q.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? (await hydrate(q, [row]))[0] : undefined;
}

/** Who is listing: decides which images pass before any filter. */
export interface Viewer {
  projectId: string;
  isAdmin: boolean;
  /** Which memberships make a shared image listable for a non-admin ('all': any). */
  memberStatus: MemberStatus | 'all';
}

/** Core text columns GET /v2/images filters on by equality. */
export const FILTER_COLUMNS = ['id', 'name', 'status', 'owner', 'disk_format', 'container_format', 'checksum', 'os_hash_algo', 'os_hash_value'] as const;
export type FilterColumn = (typeof FILTER_COLUMNS)[number];

/**
 * Integer columns: glance filters `?size=N` by equality on the column (any Image column
 * name is one) and `?size_min=`/`?size_max=` as a range.
 */
export const NUMERIC_FILTER_COLUMNS = ['size', 'virtual_size', 'min_disk', 'min_ram'] as const;
export type NumericFilterColumn = (typeof NUMERIC_FILTER_COLUMNS)[number];

/** glance's utils.evaluate_filter_op operators, as SQL comparisons. */
export const TIME_FILTER_OPS = { gt: '>', gte: '>=', lt: '<', lte: '<=', neq: '!=', eq: '=' } as const;
export type TimeFilterOp = keyof typeof TIME_FILTER_OPS;

/** A `created_at` / `updated_at` filter (`gte:2014-01-01T01:01:01Z`): the column compared with an instant. */
export interface TimeFilter {
  column: 'created_at' | 'updated_at';
  op: TimeFilterOp;
  /** Epoch milliseconds, UTC. */
  at: number;
}

/** Equality filters on core columns and properties, as glance's list accepts them. */
export interface ImageFilters {
  /** A visibility, 'all', or undefined for glance's default (public + own + shared). */
  visibility?: Visibility | 'all';
  osHidden: boolean;
  protected?: boolean;
  columns: Partial<Record<FilterColumn, string>>;
  /** Exact values of integer columns; NaN (a non-numeric value) matches nothing. */
  numbers: Partial<Record<NumericFilterColumn, number>>;
  /** Inclusive bounds on integer columns (`size_min`, `virtual_size_max`...). */
  ranges: Partial<Record<NumericFilterColumn, { min?: number; max?: number }>>;
  /** Comparisons on the timestamps, all of which must hold. */
  times: TimeFilter[];
  /** Every tag must be present. */
  tags: string[];
  /** Every extra property must have the value. */
  properties: Record<string, string>;
}

/**
 * Images the viewer may list that match the filters, unordered. Follows glance's
 * `_select_images_query` and `image_get_all`: admins start from every image, others from
 * public and community images, their own, and shared images they are a member of with
 * `memberStatus`; then a visibility filter keeps only that visibility ('all' keeps all),
 * and without one community images are listed only to their owner.
 */
export async function findImages(q: Q, viewer: Viewer, f: ImageFilters): Promise<Image[]> {
  let query = q.selectFrom('images').selectAll().where('os_hidden', '=', fromBool(f.osHidden));
  const me = viewer.projectId;
  if (!viewer.isAdmin) {
    query = query.where((eb) => {
      let membership = eb
        .selectFrom('image_members')
        .select('image_members.image_id')
        .whereRef('image_members.image_id', '=', 'images.id')
        .where('image_members.member', '=', me);
      if (viewer.memberStatus !== 'all') membership = membership.where('image_members.status', '=', viewer.memberStatus);
      return eb.or([
        eb('visibility', 'in', ['public', 'community']),
        eb('owner', '=', me),
        eb.and([eb('visibility', '=', 'shared'), eb.exists(membership)]),
      ]);
    });
  }
  const v = f.visibility;
  if (v === undefined) query = query.where((eb) => eb.or([eb('owner', '=', me), eb('visibility', '!=', 'community')]));
  else if (v !== 'all') query = query.where('visibility', '=', v);
  if (f.protected !== undefined) query = query.where('protected', '=', fromBool(f.protected));
  for (const [col, value] of Object.entries(f.columns) as [keyof ImageFilters['columns'], string][]) {
    query = query.where(col, '=', value);
  }
  for (const [col, value] of Object.entries(f.numbers) as [NumericFilterColumn, number][]) {
    query = Number.isNaN(value) ? query.where(sql<boolean>`1 = 0`) : query.where(col, '=', value);
  }
  for (const [col, r] of Object.entries(f.ranges) as [NumericFilterColumn, { min?: number; max?: number }][]) {
    if (r.min !== undefined) query = query.where(col, '>=', r.min);
    if (r.max !== undefined) query = query.where(col, '<=', r.max);
  }
  // Stored as toISOString(), so the strings compare as the instants do.
  for (const t of f.times) query = query.where(t.column, TIME_FILTER_OPS[t.op], iso(t.at));
  for (const tag of f.tags) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('image_tags')
          .select('image_tags.image_id')
          .whereRef('image_tags.image_id', '=', 'images.id')
          .where('image_tags.value', '=', tag),
      ),
    );
  }
  for (const [name, value] of Object.entries(f.properties)) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('image_properties')
          .select('image_properties.image_id')
          .whereRef('image_properties.image_id', '=', 'images.id')
          .where('image_properties.name', '=', name)
          .where('image_properties.value', '=', value),
      ),
    );
  }
  return hydrate(q, await query.execute());
}

/** Ids of the images with this exact name (bootstrap checks it to stay idempotent). */
export async function findImageIdsByName(q: Q, name: string): Promise<string[]> {
  return (await q.selectFrom('images').select('id').where('name', '=', name).execute()).map((r) => r.id);
}

function memberFromRow(r: ImageMemberRow): ImageMember {
  return {
    imageId: r.image_id,
    memberId: r.member,
    status: r.status as MemberStatus,
    createdAt: Date.parse(r.created_at),
    updatedAt: Date.parse(r.updated_at),
  };
}

/** Adds a membership; a second one for the same project is a unique violation. */
export async function insertMember(q: Q, m: ImageMember): Promise<void> {
  await q
    .insertInto('image_members')
    .values({ image_id: m.imageId, member: m.memberId, status: m.status, created_at: iso(m.createdAt), updated_at: iso(m.updatedAt) })
    .execute();
}

/** One membership, or undefined. */
export async function getMember(q: Q, imageId: string, memberId: string): Promise<ImageMember | undefined> {
  const row = await q.selectFrom('image_members').selectAll().where('image_id', '=', imageId).where('member', '=', memberId).executeTakeFirst();
  return row ? memberFromRow(row) : undefined;
}

/**
 * An image's memberships in creation order (then by member, for ties), optionally only
 * `memberId`'s: glance shows a non-owner only their own row.
 */
export async function listMembers(q: Q, imageId: string, memberId?: string): Promise<ImageMember[]> {
  let query = q.selectFrom('image_members').selectAll().where('image_id', '=', imageId);
  if (memberId !== undefined) query = query.where('member', '=', memberId);
  return (await query.orderBy('created_at').orderBy('member').execute()).map(memberFromRow);
}

/** How many memberships an image has, whatever their status (image_member_quota counts them all). */
export async function countMembers(q: Q, imageId: string): Promise<number> {
  const r = await q.selectFrom('image_members').select((eb) => eb.fn.countAll<number>().as('n')).where('image_id', '=', imageId).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Sets a membership's status; true when it existed. */
export async function updateMemberStatus(q: Q, imageId: string, memberId: string, status: MemberStatus, updatedAt: number): Promise<boolean> {
  const r = await q
    .updateTable('image_members')
    .set({ status, updated_at: iso(updatedAt) })
    .where('image_id', '=', imageId)
    .where('member', '=', memberId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Removes a membership; true when it existed. */
export async function deleteMember(q: Q, imageId: string, memberId: string): Promise<boolean> {
  const r = await q.deleteFrom('image_members').where('image_id', '=', imageId).where('member', '=', memberId).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
