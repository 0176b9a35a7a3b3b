/**
 * The image service (glance-api): owns its tables, its data directory and its HTTP app.
 * Construct, `init()` (migrations and bootstrap), then listen on `app` with
 * src/common/http.ts's listen(); `close()` stops the app. The database handle belongs
 * to the caller, who closes it.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { TokenValidator } from '../common/auth.js';
import type { Clock, Random } from '../common/clock.js';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import { migrate, type Db } from '../db/database.js';
import { ImageAPI } from './api.js';
import { bootstrapImages } from './bootstrap.js';
import { IMAGE_MIGRATIONS } from './db/migrations.js';
import { ImageMemberAPI } from './members.js';
import type { ImageQuotas } from './model.js';
import type { ImageDB } from './db/tables.js';
import { createImageApp } from './http/router.js';
import { MetadefAPI } from './metadefs.js';
import { FileStore } from './store/file-store.js';

export interface ImageServiceDeps {
  cfg: Config;
  log: Logger;
  clock: Clock;
  random: Random;
  db: Db<ImageDB>;
  validator: TokenValidator;
  /** Project that owns the bootstrapped public image (the admin project). */
  bootstrapOwner: string;
  /** Keystone's public URL, for WWW-Authenticate on 401. */
  authUri?: string;
  /** image_member_quota and image_tag_quota; glance's defaults when absent. */
  quotas?: ImageQuotas;
}

/** Glance v2 subset: images, their data, tags, members, schemas and version discovery. */
export class ImageService {
  /** The HTTP app; the caller listens on it. */
  readonly app: FastifyInstance;
  /** The image operations without HTTP, for in-process callers and tests. */
  readonly api: ImageAPI;
  /** The image member operations without HTTP. */
  readonly members: ImageMemberAPI;
  /** The metadefs catalog without HTTP. */
  readonly metadefs: MetadefAPI;
  readonly #deps: ImageServiceDeps;
  #closing = false;

  constructor(deps: ImageServiceDeps) {
    this.#deps = deps;
    const store = new FileStore(join(deps.cfg.DEFAULT.data_dir, 'images'));
    const quotas = deps.quotas ? { quotas: deps.quotas } : {};
    this.api = new ImageAPI({ db: deps.db.kysely, store, clock: deps.clock, random: deps.random, log: deps.log, ...quotas });
    this.members = new ImageMemberAPI({ db: deps.db.kysely, clock: deps.clock, images: this.api, ...quotas });
    this.metadefs = new MetadefAPI({ db: deps.db.kysely, clock: deps.clock });
    this.app = createImageApp({
      api: this.api,
      members: this.members,
      metadefs: this.metadefs,
      storeDir: store.dir,
      log: deps.log,
      random: deps.random,
      validator: deps.validator,
      ...(deps.authUri ? { authUri: deps.authUri } : {}),
    });
    // close() only drops connections idle at that instant; a keep-alive socket whose
    // response (a download) is still flushing would hold close() for keepAliveTimeout.
    this.app.addHook('onResponse', async () => {
      if (this.#closing) setImmediate(() => this.app.server.closeIdleConnections());
    });
  }

  /** Applies migrations and bootstraps the public cirros image; idempotent. */
  async init(): Promise<void> {
    await migrate(this.#deps.db.kysely as unknown as Kysely<unknown>, IMAGE_MIGRATIONS, 'image');
    await this.metadefs.seed();
    await bootstrapImages(this.#deps.db.kysely, this.api, this.#deps.bootstrapOwner, this.#deps.log);
  }

  /** Stops serving; in-flight requests finish first. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.app.close();
  }
}
