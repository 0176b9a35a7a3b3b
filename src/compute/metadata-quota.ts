/**
 * compute/api.py _check_metadata_properties_quota: a server's metadata may hold at most
 * the project's metadata_items quota (128 by default). Used at boot and by the
 * server metadata API; the key/value lengths are the API schema's business.
 */
import type { Kysely } from 'kysely';
import type { Config } from '../common/config.js';
import type { NovaDB } from './db/schema.js';
import { MetadataLimitExceeded } from './errors.js';
import { QuotaEngine } from './objects/quotas.js';

/** Throws MetadataLimitExceeded (403 at the API) when the items exceed the project's limit (-1: unlimited). */
export async function checkMetadataQuota(db: Kysely<NovaDB>, cfg: Config, projectId: string, metadata: Record<string, string>): Promise<void> {
  const n = Object.keys(metadata).length;
  if (n === 0) return;
  const limit = (await new QuotaEngine(db, cfg).projectQuotas(projectId)).metadata_items.limit;
  if (limit >= 0 && n > limit) throw new MetadataLimitExceeded(limit);
}
