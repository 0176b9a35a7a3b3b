/**
 * nova's glance client (nova/image/glance.py): GET the image with the user's token
 * through glance's REST API (404 → ImageNotFound); for snapshots, create the record,
 * set its formats, upload its data, or delete it.
 */
import { restCall, type RestResponse, type ServiceSession } from '../common/rest-client.js';
import type { NovaContext } from './context.js';
import { ImageNotAuthorized, ImageNotFound, Invalid, NovaException } from './errors.js';

export interface ImageMeta {
  id: string;
  name: string;
  status: string;
  min_ram: number;
  min_disk: number;
  size: number | null;
  disk_format: string | null;
  container_format: string | null;
}

export class GlanceAPI {
  constructor(private readonly session: ServiceSession) {}

  async show(ctx: NovaContext, imageId: string): Promise<ImageMeta> {
    const base = await this.session.endpoint('image');
    const res = await restCall<ImageMeta>('GET', `${base}/v2/images/${encodeURIComponent(imageId)}`, { token: ctx.authToken });
    if (res.status === 404 || res.status === 403) throw new ImageNotFound(imageId);
    if (res.status !== 200) throw new NovaException(`Error from the image service: ${res.status}`);
    return res.body;
  }

  /** The glance endpoint (generate_image_url's base). */
  endpoint(): Promise<string> {
    return this.session.endpoint('image');
  }

  /** POST /v2/images: an image record as nova's glance client creates it (properties flattened). */
  async create(ctx: NovaContext, meta: Record<string, unknown>): Promise<ImageMeta> {
    const base = await this.endpoint();
    const res = await restCall<ImageMeta>('POST', `${base}/v2/images`, { token: ctx.authToken, body: meta });
    if (res.status !== 201) throw new NovaException(`Error from the image service: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** POST /v2/images/{id}/members: what nova's client does for a snapshot of another project's server. */
  async addMember(ctx: NovaContext, imageId: string, member: string): Promise<void> {
    const base = await this.endpoint();
    await restCall('POST', `${base}/v2/images/${encodeURIComponent(imageId)}/members`, { token: ctx.authToken, body: { member } });
  }

  /** PATCH with a JSON patch of `replace`/`add` ops (nova's _update_v2 before an upload). */
  async update(ctx: NovaContext, imageId: string, changes: Record<string, string>): Promise<void> {
    const base = await this.endpoint();
    const ops = Object.entries(changes).map(([k, v]) => ({ op: 'add', path: `/${k}`, value: v }));
    const res = await restCall('PATCH', `${base}/v2/images/${encodeURIComponent(imageId)}`, { token: ctx.authToken, raw: { contentType: 'application/openstack-images-v2.1-json-patch', data: JSON.stringify(ops) } });
    if (res.status === 404) throw new ImageNotFound(imageId);
    if (res.status !== 200) throw new NovaException(`Error from the image service: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** PUT /v2/images/{id}/file. */
  async upload(ctx: NovaContext, imageId: string, data: string): Promise<void> {
    const base = await this.endpoint();
    const res = await restCall('PUT', `${base}/v2/images/${encodeURIComponent(imageId)}/file`, { token: ctx.authToken, raw: { contentType: 'application/octet-stream', data } });
    if (res.status === 404) throw new ImageNotFound(imageId);
    if (res.status !== 204) throw new NovaException(`Error from the image service: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** GET /v2/images with filters (properties included), every page, in the order asked for. */
  async list(ctx: NovaContext, filters: Record<string, string>): Promise<ImageMeta[]> {
    const base = await this.endpoint();
    const out: ImageMeta[] = [];
    let url: string | undefined = `${base}/v2/images?${new URLSearchParams(filters)}`;
    while (url) {
      const res: { status: number; body: { images: ImageMeta[]; next?: string } } = await restCall('GET', url, { token: ctx.authToken });
      if (res.status !== 200) throw new NovaException(`Error from the image service: ${res.status} ${JSON.stringify(res.body)}`);
      out.push(...res.body.images);
      url = res.body.next ? new URL(res.body.next, `${base}/`).toString() : undefined;
    }
    return out;
  }

  /** DELETE /v2/images/{id}: ImageNotFound on 404, ImageNotAuthorized on 403 (_translate_image_exception). */
  async delete(ctx: NovaContext, imageId: string): Promise<void> {
    const base = await this.endpoint();
    const res = await restCall('DELETE', `${base}/v2/images/${encodeURIComponent(imageId)}`, { token: ctx.authToken });
    if (res.status === 404) throw new ImageNotFound(imageId);
    if (res.status === 403 || res.status === 401) throw new ImageNotAuthorized(imageId);
    if (res.status !== 204) throw new NovaException(`Error from the image service: ${res.status}`);
  }

  /**
   * glanceclient's images.list as nova's detail() calls it: GET /v2/images with the
   * filters, `page_size` (20) a page, following glance's `next` links until `limit`
   * images are read or none are left. A glance 400 is nova's Invalid with glanceclient's
   * text; a 403/401 is Forbidden.
   */
  async detail(ctx: NovaContext, q: { filters: Record<string, string>; limit?: number; marker?: string; pageSize?: number }): Promise<Record<string, unknown>[]> {
    const base = await this.endpoint();
    const params = new URLSearchParams({ limit: String(q.pageSize || 20), ...q.filters });
    if (q.marker !== undefined) params.set('marker', q.marker);
    const out: Record<string, unknown>[] = [];
    for (let url: string | undefined = `${base}/v2/images?${params}`; url; ) {
      const res: RestResponse<{ images: Record<string, unknown>[]; next?: string; message?: string }> = await restCall('GET', url, { token: ctx.authToken });
      if (res.status === 400) throw new Invalid(`${res.body?.message ?? ''} (HTTP 400)`);
      if (res.status !== 200) throw new NovaException(`Error from the image service: ${res.status}`);
      for (const image of res.body.images) {
        if (q.limit !== undefined && out.length >= q.limit) return out;
        out.push(image);
      }
      url = res.body.next ? `${base}${res.body.next}` : undefined;
    }
    return out;
  }
}
