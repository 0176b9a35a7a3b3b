/**
 * Image data on the local filesystem, one file per image under <data_dir>/images/<id>
 * (glance_store's "fs" store). Uploads stream through md5 and sha512 hashers into a
 * temporary file renamed into place, so a failed upload leaves no data behind.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What an upload produced: glance's size, checksum (md5), os_hash_value (sha512) and the first bytes for format inspection. */
export interface StoredData {
  size: number;
  md5: string;
  sha512: string;
  head: Buffer;
}

/** The store id glance reports in `stores` and OpenStack-image-store-ids. */
export const STORE_ID = 'fs';

const HEAD_BYTES = 512;

/** The filesystem data store; `dir` is created on first write. */
export class FileStore {
  constructor(readonly dir: string) {}

  #path(id: string): string {
    return join(this.dir, id);
  }

  /** Streams `source` into the image's file; rejects (leaving no file) when the stream fails. */
  async write(id: string, source: Readable): Promise<StoredData> {
    await mkdir(this.dir, { recursive: true });
    const md5 = createHash('md5');
    const sha512 = createHash('sha512');
    let size = 0;
    const headParts: Buffer[] = [];
    let headLen = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        md5.update(chunk);
        sha512.update(chunk);
        size += chunk.length;
        if (headLen < HEAD_BYTES) {
          headParts.push(chunk.subarray(0, HEAD_BYTES - headLen));
          headLen += Math.min(chunk.length, HEAD_BYTES - headLen);
        }
        done(null, chunk);
      },
    });
    const tmp = `${this.#path(id)}.part`;
    try {
      await pipeline(source, tap, createWriteStream(tmp));
      await rename(tmp, this.#path(id));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return { size, md5: md5.digest('hex'), sha512: sha512.digest('hex'), head: Buffer.concat(headParts) };
  }

  /** A stream of the image's data, or undefined when the image has none. */
  async open(id: string): Promise<{ stream: Readable; size: number } | undefined> {
    try {
      const s = await stat(this.#path(id));
      return { stream: createReadStream(this.#path(id)), size: s.size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Removes the image's data; absent data is not an error. */
  async delete(id: string): Promise<void> {
    await rm(this.#path(id), { force: true });
  }
}
