/**
 * nova's KeyPair object (nova/objects/keypair.py), the read a boot needs: a keypair is
 * the user's, found by name. Creating and listing them (os-keypairs) comes later.
 */
import type { Kysely, Selectable } from 'kysely';
import type { KeyPairsTable, NovaDB } from '../db/schema.js';
import { KeypairNotFound } from '../errors.js';

/** A key_pairs row. */
export type KeyPairRow = Selectable<KeyPairsTable>;

export class KeyPairStore {
  constructor(private readonly db: Kysely<NovaDB>) {}

  /** KeyPair.get_by_name: the user's keypair of that name; throws KeypairNotFound. */
  async getByName(userId: string, name: string): Promise<KeyPairRow> {
    const row = await this.db.selectFrom('key_pairs').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
    if (!row) throw new KeypairNotFound(name, userId);
    return row;
  }
}
