/**
 * The image every fresh deployment has, like devstack's cirros upload: public, active,
 * qcow2/bare, owned by the admin project. Its data is a few KB of deterministic bytes
 * behind a qcow2 header announcing cirros 0.6.2's 112 MiB virtual size, so checksums
 * are stable across runs. Running it again finds the image by name and does nothing.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { adminContext } from '../common/auth.js';
import type { Logger } from '../common/log.js';
import type { ImageAPI } from './api.js';
import type { Kysely } from 'kysely';
import { findImageIdsByName } from './db/image-repo.js';
import type { ImageDB } from './db/tables.js';

/** Name of the bootstrapped image (the one nova examples boot). */
export const BOOTSTRAP_IMAGE_NAME = 'cirros-0.6.2-x86_64-disk';
const DATA_SIZE = 8192;
const VIRTUAL_SIZE = 112n * 1024n * 1024n;

/** The bootstrap image's bytes: a qcow2 v3 header then a sha256 chain; always the same. */
export function bootstrapImageData(): Buffer {
  const buf = Buffer.alloc(DATA_SIZE);
  buf.writeUInt32BE(0x514649fb, 0); // "QFI\xfb"
  buf.writeUInt32BE(3, 4); // version
  buf.writeUInt32BE(16, 20); // cluster_bits
  buf.writeBigUInt64BE(VIRTUAL_SIZE, 24); // size
  buf.writeUInt32BE(104, 100); // header_length (v3)
  let block = createHash('sha256').update('nimbus cirros').digest();
  for (let off = 512; off < DATA_SIZE; off += block.length) {
    block.copy(buf, off);
    block = createHash('sha256').update(block).digest();
  }
  return buf;
}

/** Creates and uploads the bootstrap image unless one with its name exists. */
export async function bootstrapImages(db: Kysely<ImageDB>, api: ImageAPI, owner: string, log: Logger): Promise<void> {
  if ((await findImageIdsByName(db, BOOTSTRAP_IMAGE_NAME)).length > 0) return;
  const ctx = { ...adminContext('req-image-bootstrap'), projectId: owner };
  const image = await api.create(ctx, {
    core: { name: BOOTSTRAP_IMAGE_NAME, diskFormat: 'qcow2', containerFormat: 'bare', visibility: 'public' },
    properties: {},
    tags: [],
  });
  await api.upload(ctx, image.id, Readable.from([bootstrapImageData()]));
  log.info({ image: image.id }, `bootstrapped image ${BOOTSTRAP_IMAGE_NAME}`);
}
