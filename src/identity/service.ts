/**
 * The identity service (keystone v3 subset): owns its tables, mints and validates
 * tokens, serves the catalog. Construct, `await init()`, then the caller listens on
 * `app`; other services in the process validate tokens through `validator` and get
 * their own with `issueToken`.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { TokenInfo, TokenValidator } from '../common/auth.js';
import type { Clock, Random } from '../common/clock.js';
import { publicUrl, type Config } from '../common/config.js';
import type { Logger } from '../common/log.js';
import { migrate, type Db } from '../db/database.js';
import { createIdentityApp } from './api/app.js';
import { bootstrap, writeOpenrcFiles } from './bootstrap.js';
import { buildCatalog, type CatalogEntry, type Service } from './catalog.js';
import { identityMigrations } from './db/migrations.js';
import type { IdentityDB } from './db/schema.js';
import { IdentityStore } from './db/store.js';
import { TokenIssuer } from './tokens/authenticate.js';
import { RevocationList } from './tokens/revocations.js';
import { TokenSigner } from './tokens/signer.js';
import { IdentityTokenValidator } from './tokens/validator.js';

export type { CatalogEntry } from './catalog.js';
export type { IdentityDB } from './db/schema.js';

/** What IdentityService needs. */
export interface IdentityServiceOptions {
  cfg: Config;
  log: Logger;
  clock: Clock;
  random: Random;
  db: Db<IdentityDB>;
  /** Services to advertise; the array is read on every request, so entries may be pushed later. */
  catalog: CatalogEntry[];
}

/** Keystone in process. */
export class IdentityService {
  /** The keystone API; not listening until the caller calls listen(). */
  readonly app: FastifyInstance;
  /** In-process token validation honouring expiry (injected clock) and revocation. */
  readonly validator: TokenValidator;

  readonly #opts: IdentityServiceOptions;
  readonly #store: IdentityStore;
  readonly #revocations: RevocationList;
  readonly #validator: IdentityTokenValidator;
  readonly #issuer: TokenIssuer;
  #catalogCache: { key: string; services: Service[] } | null = null;

  constructor(opts: IdentityServiceOptions) {
    this.#opts = opts;
    const { cfg, clock, random } = opts;
    this.#store = new IdentityStore(opts.db.kysely);
    const signer = TokenSigner.loadOrCreate(join(cfg.DEFAULT.data_dir, 'identity-token.key'), random);
    const lifetime = cfg.identity.token_expiration;
    this.#revocations = new RevocationList(this.#store, clock, random, lifetime * 1000);
    this.#validator = new IdentityTokenValidator(signer, this.#revocations, this.#store, clock);
    this.validator = this.#validator;
    this.#issuer = new TokenIssuer(this.#store, signer, this.#validator, clock, random, lifetime);
    this.app = createIdentityApp(
      {
        store: this.#store,
        validator: this.#validator,
        issuer: this.#issuer,
        revocations: this.#revocations,
        clock,
        random,
        catalog: () => this.catalog(),
        region: cfg.DEFAULT.region,
        publicRoot: publicUrl(cfg, 'identity'),
      },
      opts.log,
    );
  }

  /** Migrates, bootstraps the initial accounts, loads revocations and writes the openrc files. */
  async init(): Promise<void> {
    const { cfg, clock, random } = this.#opts;
    await migrate(this.#opts.db.kysely as never, identityMigrations, 'identity');
    await bootstrap(cfg, { store: this.#store, clock, random });
    await this.#revocations.load();
    writeOpenrcFiles(cfg, `${publicUrl(cfg, 'identity')}/v3`);
  }

  /** A project-scoped token for a user in the default domain; throws AuthenticationRequired when refused. */
  issueToken(userName: string, password: string, projectName: string): Promise<{ token: string; info: TokenInfo }> {
    return this.#issuer.issueToken(userName, password, projectName);
  }

  /** The id of a project of the default domain, or undefined (services bootstrap resources owned by it). */
  async projectId(name: string): Promise<string | undefined> {
    return (await this.#store.getProjectByName(name, 'default'))?.id;
  }

  /** Rewrites the openrc files once the real listening URL is known. */
  writeOpenrc(authUrl: string): void {
    writeOpenrcFiles(this.#opts.cfg, authUrl);
  }

  /** The catalog with its stable ids, for the token body and /v3/services. */
  catalog(): Service[] {
    const entries = this.#opts.catalog;
    const key = JSON.stringify(entries);
    if (this.#catalogCache?.key !== key) this.#catalogCache = { key, services: buildCatalog(entries, this.#opts.cfg.DEFAULT.region) };
    return this.#catalogCache.services;
  }

  /** Closes the HTTP app (the database belongs to the caller). */
  async close(): Promise<void> {
    await this.app.close();
  }
}
