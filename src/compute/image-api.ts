/**
 * nova's glance client (nova/image/glance.py, the one call a boot needs): GET the image
 * with the user's token through glance's REST API; 404 → ImageNotFound.
 */
import { restCall, type ServiceSession } from '../common/rest-client.js';
import type { NovaContext } from './context.js';
import { ImageNotFound, NovaException } from './errors.js';

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
}
