/**
 * nova's KeyPair and KeyPairList objects (nova/objects/keypair.py) over nova_api's
 * key_pairs: a user's public keys by name, listed in name order with nova's
 * marker/limit paging.
 */
import type { Kysely, Selectable } from 'kysely';
import { isUniqueViolation } from '../../db/database.js';
import type { KeyPairsTable, NovaDB } from './schema.js';
import { KeyPairExists, KeypairNotFound, MarkerNotFound } from '../errors.js';

/** A key_pairs row. */
export type KeyPairRow = Selectable<KeyPairsTable>;

/** What a new keypair is made of. */
export interface NewKeyPair {
  userId: string;
  name: string;
  type: 'ssh' | 'x509';
  publicKey: string;
  fingerprint: string;
}

export class KeyPairStore {
  constructor(private readonly db: Kysely<NovaDB>) {}

  /** KeyPair.get_by_name: the user's keypair of that name; throws KeypairNotFound. */
  async getByName(userId: string, name: string): Promise<KeyPairRow> {
    const row = await this.db.selectFrom('key_pairs').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
    if (!row) throw new KeypairNotFound(name, userId);
    return row;
  }

  /** KeyPair.create; throws KeyPairExists when the user has one of that name. */
  async create(k: NewKeyPair, createdAt: string): Promise<KeyPairRow> {
    try {
      await this.db
        .insertInto('key_pairs')
        .values({ name: k.name, user_id: k.userId, type: k.type, public_key: k.publicKey, fingerprint: k.fingerprint, created_at: createdAt, updated_at: null })
        .execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw new KeyPairExists(k.name);
      throw e;
    }
    return this.getByName(k.userId, k.name);
  }

  /** KeyPairList.get_by_user: by name; after `marker` (a name; MarkerNotFound if the user has none such), at most `limit`. */
  async listByUser(userId: string, o: { limit?: number; marker?: string } = {}): Promise<KeyPairRow[]> {
    let q = this.db.selectFrom('key_pairs').selectAll().where('user_id', '=', userId);
    if (o.marker !== undefined) {
      const m = await this.db.selectFrom('key_pairs').select('id').where('user_id', '=', userId).where('name', '=', o.marker).executeTakeFirst();
      if (!m) throw new MarkerNotFound(o.marker);
      q = q.where('name', '>', o.marker);
    }
    q = q.orderBy('name', 'asc').orderBy('id', 'asc');
    if (o.limit !== undefined) q = q.limit(o.limit);
    return q.execute();
  }

  /** KeyPairList.get_count_by_user: what the key_pairs quota counts. */
  async countByUser(userId: string): Promise<number> {
    const r = await this.db.selectFrom('key_pairs').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** KeyPair.destroy_by_name; throws KeypairNotFound. */
  async destroyByName(userId: string, name: string): Promise<void> {
    const r = await this.db.deleteFrom('key_pairs').where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new KeypairNotFound(name, userId);
  }
}
